// Package osvclient talks to any OSV-compatible vulnerability API (osv.dev,
// `pyvet serve`, an organisation's mirror): POST /v1/query, POST
// /v1/querybatch with pagination, and GET /v1/vulns/{id}. Requests go through
// the program's HTTP client (internal/httpx), which retries transient failures
// with exponential backoff; Audit turns the answers into pyvet findings.
//
// Nothing a service answers is trusted to be small: every answer body, every
// advisory, the pages of each query, the advisories of a run and the bytes
// of a run are capped (see Limits), and errors quote at most an excerpt of
// what the service said.
package osvclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/safeio"
)

// DefaultBaseURL is osv.dev's public API.
const DefaultBaseURL = "https://api.osv.dev"

// Limits bound what the client reads from a service, so a hostile or broken
// one cannot exhaust memory or keep a run going forever. Zero fields take
// the defaults.
type Limits struct {
	// ResponseBytes caps one answer body of /v1/query or /v1/querybatch
	// (default 32 MiB; a full batch of osv.dev answers is far smaller).
	ResponseBytes int64
	// EntryBytes caps one advisory, as GET /v1/vulns/{id} answers it or
	// inside a /v1/query answer (default 4 MiB; the largest PyPA advisory
	// has 42 KB).
	EntryBytes int64
	// Pages caps the pages followed for one query (default 100: osv.dev
	// pages after 1,000 advisories).
	Pages int
	// TotalBytes caps all answer bodies read by one call (Query, QueryBatch,
	// Get, Fetch or Audit; default 256 MiB).
	TotalBytes int64
	// Advisories caps the distinct advisories one Fetch or Audit fetches
	// (default 50,000).
	Advisories int
}

// The default Limits.
const (
	DefaultResponseBytes int64 = 32 << 20
	DefaultEntryBytes    int64 = 4 << 20
	DefaultPages               = 100
	DefaultTotalBytes    int64 = 256 << 20
	DefaultAdvisories          = 50_000
)

// maxErrorBody is how much of an error answer the client reads: enough for
// an OSV error object.
const maxErrorBody = 64 << 10

// MaxIDLen is the longest advisory id the client accepts from a service.
const MaxIDLen = 256

func (l Limits) withDefaults() Limits {
	if l.ResponseBytes <= 0 {
		l.ResponseBytes = DefaultResponseBytes
	}
	if l.EntryBytes <= 0 {
		l.EntryBytes = DefaultEntryBytes
	}
	if l.Pages <= 0 {
		l.Pages = DefaultPages
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = DefaultTotalBytes
	}
	if l.Advisories <= 0 {
		l.Advisories = DefaultAdvisories
	}
	return l
}

// ErrNotFound is returned by Get when the service does not know the id.
var ErrNotFound = errors.New("vulnerability not found")

// Client is a client for an OSV-compatible API. The zero value is not usable;
// build one with New.
type Client struct {
	// BaseURL is the API root, without /v1 (e.g. "https://api.osv.dev").
	BaseURL string
	// HTTP sends the requests (default httpx.Default(), the program's client:
	// offline mode, circuit breaker, retries).
	HTTP *httpx.Client
	// Timeout bounds each attempt (default 30 s).
	Timeout time.Duration
	// Retries is how many times a failed attempt (network error, 408, 429,
	// 5xx) is retried.
	Retries int
	// Backoff is the wait before the first retry; each further retry waits
	// twice as long, with jitter, up to MaxBackoff. A Retry-After header
	// from the server takes precedence when it is not longer than MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// BatchSize is how many queries go into one /v1/querybatch request (at
	// most MaxBatch).
	BatchSize int
	// Limits bound what is read from the service.
	Limits Limits
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout sets the timeout of each HTTP attempt.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.Timeout = d } }

// WithHTTPClient sets the HTTP client used for requests.
func WithHTTPClient(h *httpx.Client) Option { return func(c *Client) { c.HTTP = h } }

// WithRetries sets the number of retries and the first backoff.
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) { c.Retries, c.Backoff = n, backoff }
}

// WithBatchSize sets how many queries are sent per /v1/querybatch request.
func WithBatchSize(n int) Option { return func(c *Client) { c.BatchSize = n } }

// WithLimits sets the bounds on what is read from the service; zero fields
// keep the defaults.
func WithLimits(l Limits) Option { return func(c *Client) { c.Limits = l } }

// New returns a client for the API at baseURL ("" means osv.dev). The
// defaults are a 30 s timeout per attempt, 3 retries starting at 500 ms, and
// batches of 1,000 queries.
func New(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OSV service URL %q: want http(s)://host[:port][/path]", baseURL)
	}
	c := &Client{
		BaseURL:    strings.TrimRight(baseURL, "/"),
		Timeout:    30 * time.Second,
		Retries:    3,
		Backoff:    500 * time.Millisecond,
		MaxBackoff: 10 * time.Second,
		UserAgent:  "pyvet",
		BatchSize:  MaxBatch,
	}
	for _, o := range opts {
		o(c)
	}
	if c.BatchSize <= 0 || c.BatchSize > MaxBatch {
		c.BatchSize = MaxBatch
	}
	c.Limits = c.Limits.withDefaults()
	return c, nil
}

// budget is what one call may still read from the service in total; it is
// shared by the concurrent requests of a Fetch.
type budget struct {
	left  atomic.Int64
	limit int64
}

func (c *Client) newBudget() *budget {
	l := c.Limits.withDefaults()
	b := &budget{limit: l.TotalBytes}
	b.left.Store(l.TotalBytes)
	return b
}

// budgetReader charges what it reads to a budget and fails once the budget
// is spent.
type budgetReader struct {
	r    io.Reader
	b    *budget
	name string
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.b.left.Add(-int64(n)) < 0 {
		return n, &safeio.TooLargeError{Path: r.name + " (all answers of this run together)", Limit: r.b.limit}
	}
	return n, err
}

// describe names a query in an error message, quoting at most an excerpt of
// what it holds.
func describe(q Query) string {
	switch {
	case q.Package != nil && q.Package.PURL != "":
		return "query for " + safeio.ExcerptN(q.Package.PURL, 60)
	case q.Package != nil:
		s := q.Package.Name
		if q.Version != "" {
			s += "@" + q.Version
		}
		return "query for " + safeio.ExcerptN(s, 60)
	case q.Commit != "":
		return "query for commit " + safeio.ExcerptN(q.Commit, 60)
	}
	return "query"
}

// checkID rejects an advisory id a service answered that no service uses.
func checkID(u, id string) error {
	if id == "" || len(id) > MaxIDLen || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError }) {
		return fmt.Errorf("%s: the service named an invalid advisory id %s", u, safeio.Excerpt(id))
	}
	return nil
}

// Query runs one query and follows its page tokens, returning every entry the
// service reports, as raw OSV JSON.
func (c *Client) Query(ctx context.Context, q Query) ([]json.RawMessage, error) {
	l := c.Limits.withDefaults()
	b := c.newBudget()
	u := c.BaseURL + "/v1/query"
	var all []json.RawMessage
	for range l.Pages {
		var resp QueryResponse
		if err := c.do(ctx, b, http.MethodPost, "/v1/query", l.ResponseBytes, q, &resp); err != nil {
			return nil, err
		}
		for _, raw := range resp.Vulns {
			if int64(len(raw)) > l.EntryBytes {
				return nil, fmt.Errorf("%s: %s: an advisory larger than the %s limit", u, describe(q), safeio.HumanBytes(l.EntryBytes))
			}
		}
		all = append(all, resp.Vulns...)
		if resp.NextPageToken == "" {
			return all, nil
		}
		if resp.NextPageToken == q.PageToken {
			return nil, fmt.Errorf("%s: %s: the service repeated page token %s", u, describe(q), safeio.Excerpt(q.PageToken))
		}
		q.PageToken = resp.NextPageToken
	}
	return nil, fmt.Errorf("%s: %s: more than %d pages", u, describe(q), l.Pages)
}

// QueryBatch runs the queries in batches of BatchSize and follows every page
// token, returning the vulnerabilities of each query in the order given.
func (c *Client) QueryBatch(ctx context.Context, queries []Query) ([][]VulnRef, error) {
	return c.queryBatch(ctx, c.newBudget(), queries)
}

func (c *Client) queryBatch(ctx context.Context, b *budget, queries []Query) ([][]VulnRef, error) {
	l := c.Limits.withDefaults()
	u := c.BaseURL + "/v1/querybatch"
	out := make([][]VulnRef, len(queries))
	// pending holds the indexes of queries that still have pages to fetch.
	pending := make([]int, len(queries))
	for i := range pending {
		pending[i] = i
	}
	qs := append([]Query(nil), queries...)
	for page := 0; len(pending) > 0; page++ {
		if page == l.Pages {
			return nil, fmt.Errorf("%s: %s: more than %d pages", u, describe(queries[pending[0]]), l.Pages)
		}
		var next []int
		for start := 0; start < len(pending); start += c.BatchSize {
			idx := pending[start:min(start+c.BatchSize, len(pending))]
			req := BatchRequest{Queries: make([]Query, len(idx))}
			for j, i := range idx {
				req.Queries[j] = qs[i]
			}
			var resp BatchResponse
			if err := c.do(ctx, b, http.MethodPost, "/v1/querybatch", l.ResponseBytes, req, &resp); err != nil {
				return nil, err
			}
			if len(resp.Results) != len(idx) {
				return nil, fmt.Errorf("%s: %d results for %d queries", u, len(resp.Results), len(idx))
			}
			for j, r := range resp.Results {
				i := idx[j]
				for _, v := range r.Vulns {
					if err := checkID(u, v.ID); err != nil {
						return nil, fmt.Errorf("%w (%s)", err, describe(queries[i]))
					}
				}
				out[i] = append(out[i], r.Vulns...)
				if r.NextPageToken != "" {
					if r.NextPageToken == qs[i].PageToken {
						return nil, fmt.Errorf("%s: %s: the service repeated page token %s", u, describe(queries[i]), safeio.Excerpt(r.NextPageToken))
					}
					qs[i].PageToken = r.NextPageToken
					next = append(next, i)
				}
			}
		}
		pending = next
	}
	return out, nil
}

// Get fetches one full OSV entry by id. It returns an error wrapping
// ErrNotFound when the service does not know the id.
func (c *Client) Get(ctx context.Context, id string) (json.RawMessage, error) {
	return c.get(ctx, c.newBudget(), id)
}

func (c *Client) get(ctx context.Context, b *budget, id string) (json.RawMessage, error) {
	if err := checkID(c.BaseURL+"/v1/vulns/", id); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	err := c.do(ctx, b, http.MethodGet, "/v1/vulns/"+url.PathEscape(id), c.Limits.withDefaults().EntryBytes, nil, &raw)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return raw, err
}

// do sends one request and decodes a JSON answer of at most limit bytes into
// out. The request goes through the program's HTTP client, which repeats it
// (OSV queries only read, so a POST is safe to repeat) after transient
// failures, 408, 429 and 5xx, honouring Retry-After.
func (c *Client) do(ctx context.Context, b *budget, method, path string, limit int64, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := c.BaseURL + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // replayable: NewRequest sets GetBody
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	req.Header["Idempotency-Key"] = nil // may be repeated; an empty key is not sent
	return c.net().Fetch(req, func(resp *http.Response) error { return c.read(resp, b, u, limit, out) })
}

// net is the HTTP client tuned with the client's timeout and retries.
func (c *Client) net() *httpx.Client {
	retries := c.Retries
	if retries == 0 {
		retries = -1 // httpx: none
	}
	return httpx.Or(c.HTTP).Tune(httpx.Tuning{Timeout: c.Timeout, Retries: retries, Backoff: c.Backoff, MaxBackoff: c.MaxBackoff})
}

// read reads one answer and decodes it into out. A 200 body is read up to
// limit bytes and any other one up to maxErrorBody (the rest is left unread);
// every byte is charged to b. A body past limit, or past what b allows, is a
// *safeio.TooLargeError naming the URL; a body cut off is worth another attempt.
func (c *Client) read(resp *http.Response, b *budget, u string, limit int64, out any) error {
	var r io.Reader = &budgetReader{r: resp.Body, b: b, name: u}
	if resp.StatusCode != http.StatusOK {
		r = io.LimitReader(r, maxErrorBody)
	} else {
		if resp.ContentLength > limit {
			return &safeio.TooLargeError{Path: u, Limit: limit}
		}
		r = safeio.LimitReader(r, limit, u)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		if _, ok := errors.AsType[*safeio.TooLargeError](err); ok {
			return err
		}
		return httpx.Transient(fmt.Errorf("%s: reading response: %w", u, err))
	}
	if resp.StatusCode != http.StatusOK {
		se := &StatusError{URL: u, Status: resp.StatusCode}
		_ = json.Unmarshal(data, &se.Body)
		return se
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: invalid JSON answer: %s", u, safeio.ExcerptN(err.Error(), 160))
	}
	return nil
}
