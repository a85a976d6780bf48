// Package pypi is a client for Python package indexes: the PyPI JSON API
// (/pypi/NAME/json), the Simple API (PEP 691 JSON, PEP 503 HTML) and PEP 658/714
// core-metadata files. Responses are kept in an on-disk cache with HTTP freshness
// rules; requests are bounded in number, time out, and are retried with backoff.
// In offline mode only the cache is read.
package pypi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/pyvet/pyvet/internal/progress"
)

// Default endpoints of the public index.
const (
	DefaultJSONURL   = "https://pypi.org/pypi"
	DefaultSimpleURL = "https://pypi.org/simple"
)

// maxBody bounds how much of one response is read.
const maxBody = 64 << 20

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

// Options configure a Client. Zero values mean the defaults.
type Options struct {
	JSONURL     string        // JSON API base (default https://pypi.org/pypi)
	SimpleURL   string        // Simple API base (default https://pypi.org/simple)
	CacheDir    string        // on-disk cache directory; "" disables the cache
	Offline     bool          // read only the cache; never use the network
	Timeout     time.Duration // per request attempt (default 30s)
	Retries     int           // extra attempts after a timeout, 429 or 5xx (default 3; -1 for none)
	Backoff     time.Duration // first retry delay, doubled each retry (default 500ms)
	Concurrency int           // parallel requests in batch calls (default 8)
	UserAgent   string        // default "pyvet"
	HTTPClient  *http.Client  // default: a client with a dial timeout
	Progress    io.Writer     // where batch calls draw a progress bar (nil: none)
}

// Client talks to one package index. It is safe for concurrent use.
type Client struct {
	opts   Options
	cache  *Cache
	http   *http.Client
	flight *singleflight.Group
}

// New returns a client with the given options.
func New(o Options) *Client {
	if o.JSONURL == "" {
		o.JSONURL = DefaultJSONURL
	}
	if o.SimpleURL == "" {
		o.SimpleURL = DefaultSimpleURL
	}
	o.JSONURL = strings.TrimRight(o.JSONURL, "/")
	o.SimpleURL = strings.TrimRight(o.SimpleURL, "/")
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 3
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.UserAgent == "" {
		o.UserAgent = "pyvet"
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: o.Concurrency,
		}}
	}
	return &Client{opts: o, http: hc, flight: &singleflight.Group{}, cache: NewCache(o.CacheDir)}
}

// Options returns the options the client uses (defaults filled in).
func (c *Client) Options() Options { return c.opts }

// Offline reports whether the client reads only the cache.
func (c *Client) Offline() bool { return c.opts.Offline }

// WithIndex returns a client for another index sharing this one's cache and
// settings. simpleURL is the Simple API base (as in pip's --index-url); the JSON
// API base is derived from it (".../simple" becomes ".../pypi", which PyPI,
// devpi and Artifactory PyPI repositories serve).
func (c *Client) WithIndex(simpleURL string) *Client {
	n := *c
	n.opts.SimpleURL = strings.TrimRight(simpleURL, "/")
	n.opts.JSONURL = JSONURLFor(simpleURL)
	return &n
}

// JSONURLFor derives the JSON API base from a Simple API base URL.
func JSONURLFor(simpleURL string) string {
	s := strings.TrimRight(simpleURL, "/")
	if strings.HasSuffix(s, "/simple") {
		return strings.TrimSuffix(s, "/simple") + "/pypi"
	}
	if strings.HasSuffix(s, "/+simple") { // devpi
		return strings.TrimSuffix(s, "/+simple")
	}
	return s
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

var nameSep = regexp.MustCompile(`[-_.]+`)

// NormalizeName normalizes a project name as PEP 503 does.
func NormalizeName(name string) string {
	return strings.ToLower(nameSep.ReplaceAllString(strings.TrimSpace(name), "-"))
}

// Project fetches /pypi/NAME/json: the project's latest metadata and all releases.
func (c *Client) Project(ctx context.Context, name string) (*Project, error) {
	u := c.opts.JSONURL + "/" + url.PathEscape(NormalizeName(name)) + "/json"
	return c.project(ctx, u)
}

// Release fetches /pypi/NAME/VERSION/json: the metadata and files of one version.
func (c *Client) Release(ctx context.Context, name, version string) (*Project, error) {
	u := c.opts.JSONURL + "/" + url.PathEscape(NormalizeName(name)) + "/" + url.PathEscape(version) + "/json"
	return c.project(ctx, u)
}

func (c *Client) project(ctx context.Context, u string) (*Project, error) {
	e, err := c.fetch(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return ParseProject(e.Body, u)
}

// Simple fetches the project's Simple API page from the client's index,
// preferring PEP 691 JSON and falling back to PEP 503 HTML.
func (c *Client) Simple(ctx context.Context, name string) (*SimplePage, error) {
	return c.SimpleAt(ctx, c.opts.SimpleURL, name)
}

// SimpleAt fetches the project's Simple API page from the index at indexURL.
func (c *Client) SimpleAt(ctx context.Context, indexURL, name string) (*SimplePage, error) {
	u := strings.TrimRight(indexURL, "/") + "/" + url.PathEscape(NormalizeName(name)) + "/"
	e, err := c.fetch(ctx, u, acceptSimple)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(u)
	p, err := ParseSimple(e.ContentType, e.Body, base, u)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = NormalizeName(name)
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
		uniq[NormalizeName(n)] = true
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
		return nil, fmt.Errorf("%s: %w", u, ErrNotCached)
	}
	var lastErr error
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, c.delay(attempt, lastErr)); err != nil {
				return nil, err
			}
		}
		e, retry, err := c.do(ctx, u, accept, cached)
		if err == nil || !retry {
			return e, err
		}
		lastErr = err
	}
	if cached != nil && cached.Status == http.StatusOK {
		// The index is failing: a stale copy is better than nothing.
		return cached, nil
	}
	return nil, fmt.Errorf("%w (after %d attempts)", lastErr, c.opts.Retries+1)
}

// retryAfter carries a server's Retry-After delay with a retryable error.
type retryAfter struct {
	error
	wait time.Duration
}

func (r *retryAfter) Unwrap() error { return r.error }

func (c *Client) delay(attempt int, err error) time.Duration {
	d := c.opts.Backoff << (attempt - 1)
	var ra *retryAfter
	if errors.As(err, &ra) && ra.wait > d {
		d = min(ra.wait, 30*time.Second)
	}
	// up to 25% jitter so parallel clients do not retry in step
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do makes one request. retry says whether a failure is worth retrying.
func (c *Client) do(ctx context.Context, u, accept string, cached *entry) (e *entry, retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if cached != nil && cached.Status == http.StatusOK {
		if cached.ETag != "" {
			req.Header.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			req.Header.Set("If-Modified-Since", cached.LastModified)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	now := c.cache.clock()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		e := *cached // entries are shared read-only: update a copy
		e.Fetched, e.MaxAge = now, c.cache.lifetime(200, resp.Header.Get("Cache-Control"))
		_ = c.cache.put(&e)
		return &e, false, nil
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			return nil, true, fmt.Errorf("%s: reading response: %w", u, err)
		}
		if len(body) > maxBody {
			return nil, false, fmt.Errorf("%s: response larger than %d MB", u, maxBody>>20)
		}
		st := resp.StatusCode
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
		r, err := result(e)
		return r, false, err
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		err := &retryAfter{error: &HTTPError{URL: u, Status: resp.StatusCode}}
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			err.wait = time.Duration(s) * time.Second
		}
		return nil, true, err
	default:
		return nil, false, &HTTPError{URL: u, Status: resp.StatusCode}
	}
}

func result(e *entry) (*entry, error) {
	if e.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", e.URL, ErrNotFound)
	}
	return e, nil
}

// DefaultCacheDir is the index cache under a pyvet cache directory.
func DefaultCacheDir(root string) string { return root + string(os.PathSeparator) + "index" }
