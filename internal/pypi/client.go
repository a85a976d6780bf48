// Package pypi is a client for Python package indexes: the PyPI JSON API
// (/pypi/NAME/json), the Simple API (PEP 691 JSON, PEP 503 HTML) and PEP 658/714
// core-metadata files. Responses are kept in an on-disk cache with HTTP freshness
// rules; requests go through the program's HTTP client (internal/httpx: timeouts,
// retries, circuit breaker, body cap). In offline mode only the cache is read.
package pypi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/progress"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// Default endpoints of the public index.
const (
	DefaultJSONURL   = "https://pypi.org/pypi"
	DefaultSimpleURL = "https://pypi.org/simple"
)

// maxBody bounds how much of one response is read.
const maxBody = safeio.MaxJSON

// ErrNotFound is returned when the index has no such project or version.
var ErrNotFound = errors.New("not found on the index")

// HTTPError is an unexpected HTTP status from the index.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Is matches httpx.ErrNetwork when the status is the index's failure
// (httpx.IsNetworkStatus: 5xx, 429, 408), not an answer about the project.
func (e *HTTPError) Is(target error) bool {
	return target == httpx.ErrNetwork && httpx.IsNetworkStatus(e.Status)
}

// Options configure a Client. Zero values mean the defaults.
type Options struct {
	// SimpleURL is the Simple API base, what pip calls the index URL
	// (default https://pypi.org/simple).
	SimpleURL string
	// JSONURL is the JSON API base (default: derived from SimpleURL, see
	// JSONURLFor). An index whose JSON API cannot be derived and is not given
	// answers Project and Release with ErrNoJSONAPI.
	JSONURL     string
	CacheDir    string        // on-disk cache directory; "" disables the cache
	Offline     bool          // read only the cache; never use the network
	Concurrency int           // parallel requests in batch calls (default 8)
	Progress    io.Writer     // where batch calls draw a progress bar (nil: none)
	HTTP        *httpx.Client // the HTTP client (default httpx.Default())
	// Timeout, Retries and Backoff, when set, tune HTTP for this client
	// (per attempt, retries after a transient failure with -1 for none, first
	// retry delay); the connections, circuit breaker and offline mode stay
	// shared with HTTP.
	Timeout time.Duration
	Retries int
	Backoff time.Duration
}

// ErrNoJSONAPI is returned by Project and Release when the index's JSON API
// base is not known.
var ErrNoJSONAPI = errors.New("the JSON API of this index is unknown (its index URL does not end in /simple)")

// Client talks to one package index. It is safe for concurrent use.
type Client struct {
	opts   Options
	cache  *Cache
	http   *httpx.Client
	flight *singleflight.Group
}

// New returns a client with the given options.
func New(o Options) *Client {
	if o.SimpleURL == "" {
		o.SimpleURL = DefaultSimpleURL
	}
	o.SimpleURL = strings.TrimRight(o.SimpleURL, "/")
	if o.JSONURL == "" {
		o.JSONURL = JSONURLFor(o.SimpleURL)
	}
	o.JSONURL = strings.TrimRight(o.JSONURL, "/")
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	hc := httpx.Or(o.HTTP)
	if o.Timeout > 0 || o.Retries != 0 || o.Backoff > 0 {
		hc = hc.Tune(httpx.Tuning{Timeout: o.Timeout, Retries: o.Retries, Backoff: o.Backoff})
	}
	o.HTTP = hc
	o.Offline = o.Offline || hc.Offline()
	return &Client{opts: o, http: hc, flight: &singleflight.Group{}, cache: NewCache(o.CacheDir)}
}

// Options returns the options the client uses (defaults filled in).
func (c *Client) Options() Options { return c.opts }

// Offline reports whether the client reads only the cache.
func (c *Client) Offline() bool { return c.opts.Offline }

// WithIndex returns a client for another index sharing this one's cache and
// settings. simpleURL is the Simple API base (as in pip's --index-url); the JSON
// API base is derived from it with JSONURLFor.
func (c *Client) WithIndex(simpleURL string) *Client {
	n := *c
	n.opts.SimpleURL = strings.TrimRight(simpleURL, "/")
	n.opts.JSONURL = JSONURLFor(simpleURL)
	return &n
}

// JSONURLFor derives the JSON API base from a Simple API base URL (an index
// URL as pip means it): ".../simple" becomes ".../pypi", which PyPI,
// Artifactory and Nexus PyPI repositories serve, and devpi's ".../+simple"
// becomes the index root. Any other URL gives "": its JSON API must be set
// explicitly.
func JSONURLFor(simpleURL string) string {
	s := strings.TrimRight(simpleURL, "/")
	if strings.HasSuffix(s, "/simple") {
		return strings.TrimSuffix(s, "/simple") + "/pypi"
	}
	if strings.HasSuffix(s, "/+simple") { // devpi
		return strings.TrimSuffix(s, "/+simple")
	}
	return ""
}

// ForIndexes returns a client for the primary index a requirements file selects
// (--index-url, inventory.IndexOptions.IndexURL), or c itself when indexURL is
// empty. The extra indexes (--extra-index-url) that differ from the primary one
// are returned as Simple API base URLs.
func (c *Client) ForIndexes(indexURL string, extraIndexURLs []string) (primary *Client, extras []string) {
	primary = c
	if indexURL != "" && !sameIndex(indexURL, c.opts.SimpleURL) {
		primary = c.WithIndex(indexURL)
	}
	for _, e := range extraIndexURLs {
		if !sameIndex(e, primary.opts.SimpleURL) {
			extras = append(extras, strings.TrimRight(e, "/"))
		}
	}
	return primary, extras
}

func sameIndex(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// Project fetches /pypi/NAME/json: the project's latest metadata and all releases.
func (c *Client) Project(ctx context.Context, name string) (*Project, error) {
	if c.opts.JSONURL == "" {
		return nil, fmt.Errorf("%s: %w", c.opts.SimpleURL, ErrNoJSONAPI)
	}
	u := c.opts.JSONURL + "/" + url.PathEscape(pep508.NormalizeName(name)) + "/json"
	return c.project(ctx, u)
}

// Release fetches /pypi/NAME/VERSION/json: the metadata and files of one version.
func (c *Client) Release(ctx context.Context, name, version string) (*Project, error) {
	if c.opts.JSONURL == "" {
		return nil, fmt.Errorf("%s: %w", c.opts.SimpleURL, ErrNoJSONAPI)
	}
	u := c.opts.JSONURL + "/" + url.PathEscape(pep508.NormalizeName(name)) + "/" + url.PathEscape(version) + "/json"
	return c.project(ctx, u)
}

func (c *Client) project(ctx context.Context, u string) (*Project, error) {
	e, err := c.fetch(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return ParseProject(e.Body, redact(u))
}

// Simple fetches the project's Simple API page from the client's index,
// preferring PEP 691 JSON and falling back to PEP 503 HTML.
func (c *Client) Simple(ctx context.Context, name string) (*SimplePage, error) {
	return c.SimpleAt(ctx, c.opts.SimpleURL, name)
}

// SimpleAt fetches the project's Simple API page from the index at indexURL.
func (c *Client) SimpleAt(ctx context.Context, indexURL, name string) (*SimplePage, error) {
	u := strings.TrimRight(indexURL, "/") + "/" + url.PathEscape(pep508.NormalizeName(name)) + "/"
	e, err := c.fetch(ctx, u, acceptSimple)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(u)
	p, err := ParseSimple(e.ContentType, e.Body, base, redact(u))
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = pep508.NormalizeName(name)
	}
	return p, nil
}

// Exists reports whether the index at indexURL has a project called name.
func (c *Client) Exists(ctx context.Context, indexURL, name string) (bool, error) {
	_, err := c.SimpleAt(ctx, indexURL, name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Metadata fetches and parses the PEP 658/714 core metadata of a file
// (FILE_URL.metadata). It fails with ErrNotFound when the index does not
// advertise or serve it.
func (c *Client) Metadata(ctx context.Context, f SimpleFile) (*Metadata, error) {
	if !f.CoreMetadata {
		return nil, fmt.Errorf("%s: %w (the index serves no core metadata for it)", f.Filename, ErrNotFound)
	}
	u := f.URL
	if p, err := url.Parse(u); err == nil {
		p.Fragment = ""
		u = p.String()
	}
	e, err := c.fetch(ctx, u+".metadata", "*/*")
	if err != nil {
		return nil, err
	}
	if err := checkHashes(e.Body, f.MetadataHashes); err != nil {
		return nil, fmt.Errorf("%s.metadata: %w", f.Filename, err)
	}
	return ParseMetadata(e.Body, f.Filename+".metadata")
}

// Result is one outcome of a batch call.
type Result struct {
	Project *Project
	Err     error
}

// Projects fetches many projects concurrently (bounded by Options.Concurrency),
// drawing a progress bar when Options.Progress is a terminal. Every name gets a
// Result keyed by its normalized form; the call fails only when ctx is done.
func (c *Client) Projects(ctx context.Context, names []string) (map[string]Result, error) {
	uniq := map[string]bool{}
	for _, n := range names {
		uniq[pep508.NormalizeName(n)] = true
	}
	out := make(map[string]Result, len(uniq))
	type kv struct {
		name string
		res  Result
	}
	results := make(chan kv, len(uniq))
	var bar *progress.Bar
	if c.opts.Progress != nil && len(uniq) > 1 {
		bar = progress.New(c.opts.Progress, "index", int64(len(uniq)), true)
		defer bar.Done()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for n := range uniq {
		g.Go(func() error {
			p, err := c.Project(gctx, n)
			results <- kv{n, Result{p, err}}
			bar.Add(1)
			return nil
		})
	}
	_ = g.Wait()
	close(results)
	for r := range results {
		out[r.name] = r.res
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// fetch returns the response for u from the cache when fresh (or always, offline),
// otherwise from the network, revalidating with ETag / Last-Modified.
func (c *Client) fetch(ctx context.Context, u, accept string) (*entry, error) {
	v, err, _ := c.flight.Do(accept+"\x00"+u, func() (any, error) { return c.fetchOnce(ctx, u, accept) })
	if err != nil {
		return nil, err
	}
	return v.(*entry), nil
}

func (c *Client) fetchOnce(ctx context.Context, u, accept string) (*entry, error) {
	cached := c.cache.get(u, accept)
	if cached != nil && (c.opts.Offline || cached.fresh(c.cache.clock())) {
		return result(cached)
	}
	if c.opts.Offline {
		return nil, fmt.Errorf("%s: %w", redact(u), ErrNotCached)
	}
	h := http.Header{"Accept": {accept}}
	if cached != nil && cached.Status == http.StatusOK {
		if cached.ETag != "" {
			h.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			h.Set("If-Modified-Since", cached.LastModified)
		}
	}
	resp, err := c.http.Get(ctx, u, h, maxBody)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, httpx.ErrOffline) {
			return nil, fmt.Errorf("%s: %w", redact(u), ErrNotCached)
		}
		if cached != nil && cached.Status == http.StatusOK && !errors.As(err, new(*safeio.TooLargeError)) {
			// The index cannot be reached: a stale copy is better than nothing.
			return cached, nil
		}
		return nil, err // names the host and the cause, the same for every project
	}
	now := c.cache.clock()
	switch st := resp.Status; {
	case st == http.StatusNotModified && cached != nil:
		e := *cached // entries are shared read-only: update a copy
		e.Fetched, e.MaxAge = now, c.cache.lifetime(200, resp.Header.Get("Cache-Control"))
		_ = c.cache.put(&e)
		return &e, nil
	case st == http.StatusOK, st == http.StatusNotFound, st == http.StatusGone:
		body := resp.Body
		if st == http.StatusGone {
			st = http.StatusNotFound
		}
		if st == http.StatusNotFound {
			body = nil
		}
		e := &entry{URL: u, Accept: accept, Status: st, ContentType: resp.Header.Get("Content-Type"),
			ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
			Fetched: now, MaxAge: c.cache.lifetime(st, resp.Header.Get("Cache-Control")), Body: body}
		_ = c.cache.put(e) // a cache that cannot be written is not fatal
		return result(e)
	case httpx.Retryable(st) && cached != nil && cached.Status == http.StatusOK:
		return cached, nil // the index is failing: keep the stale copy
	default:
		return nil, &HTTPError{URL: redact(u), Status: st}
	}
}

func result(e *entry) (*entry, error) {
	if e.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", redact(e.URL), ErrNotFound)
	}
	return e, nil
}

// redact hides the password of a URL (private indexes carry tokens in them)
// before it reaches an error message.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

// DefaultCacheDir is the index cache under a pyvet cache directory.
func DefaultCacheDir(root string) string { return root + string(os.PathSeparator) + "index" }
