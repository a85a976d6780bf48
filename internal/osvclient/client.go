// Package osvclient talks to any OSV-compatible vulnerability API (osv.dev,
// `pyvet serve`, an organisation's mirror): POST /v1/query, POST
// /v1/querybatch with pagination, and GET /v1/vulns/{id}. It retries transient
// failures with exponential backoff and turns the answers into pyvet findings
// with Audit.
package osvclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is osv.dev's public API.
const DefaultBaseURL = "https://api.osv.dev"

// maxResponse bounds how much of one response body the client reads.
const maxResponse = 256 << 20

// maxPages bounds how many pages the client follows for one query, so a
// server that keeps returning tokens cannot keep it busy forever.
const maxPages = 10000

// ErrNotFound is returned by Get when the service does not know the id.
var ErrNotFound = errors.New("vulnerability not found")

// Client is a client for an OSV-compatible API. The zero value is not usable;
// build one with New.
type Client struct {
	// BaseURL is the API root, without /v1 (e.g. "https://api.osv.dev").
	BaseURL string
	// HTTP sends the requests; its Timeout bounds each attempt.
	HTTP *http.Client
	// Retries is how many times a failed attempt (network error, 429, 5xx) is
	// retried.
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
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout sets the timeout of each HTTP attempt.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.HTTP = &http.Client{Timeout: d, Transport: c.HTTP.Transport} }
}

// WithHTTPClient sets the HTTP client used for requests.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.HTTP = h } }

// WithRetries sets the number of retries and the first backoff.
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) { c.Retries, c.Backoff = n, backoff }
}

// WithBatchSize sets how many queries are sent per /v1/querybatch request.
func WithBatchSize(n int) Option { return func(c *Client) { c.BatchSize = n } }

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
		HTTP:       &http.Client{Timeout: 30 * time.Second},
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
	return c, nil
}

// Query runs one query and follows its page tokens, returning every entry the
// service reports, as raw OSV JSON.
func (c *Client) Query(ctx context.Context, q Query) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for range maxPages {
		var resp QueryResponse
		if err := c.do(ctx, http.MethodPost, "/v1/query", q, &resp); err != nil {
			return nil, err
		}
		all = append(all, resp.Vulns...)
		if resp.NextPageToken == "" {
			return all, nil
		}
		if resp.NextPageToken == q.PageToken {
			return nil, fmt.Errorf("%s/v1/query: the service repeated page token %q", c.BaseURL, q.PageToken)
		}
		q.PageToken = resp.NextPageToken
	}
	return nil, fmt.Errorf("%s/v1/query: more than %d pages", c.BaseURL, maxPages)
}

// QueryBatch runs the queries in batches of BatchSize and follows every page
// token, returning the vulnerabilities of each query in the order given.
func (c *Client) QueryBatch(ctx context.Context, queries []Query) ([][]VulnRef, error) {
	out := make([][]VulnRef, len(queries))
	// pending holds the indexes of queries that still have pages to fetch.
	pending := make([]int, len(queries))
	for i := range pending {
		pending[i] = i
	}
	qs := append([]Query(nil), queries...)
	for range maxPages {
		if len(pending) == 0 {
			return out, nil
		}
		var next []int
		for start := 0; start < len(pending); start += c.BatchSize {
			idx := pending[start:min(start+c.BatchSize, len(pending))]
			req := BatchRequest{Queries: make([]Query, len(idx))}
			for j, i := range idx {
				req.Queries[j] = qs[i]
			}
			var resp BatchResponse
			if err := c.do(ctx, http.MethodPost, "/v1/querybatch", req, &resp); err != nil {
				return nil, err
			}
			if len(resp.Results) != len(idx) {
				return nil, fmt.Errorf("%s/v1/querybatch: %d results for %d queries", c.BaseURL, len(resp.Results), len(idx))
			}
			for j, r := range resp.Results {
				i := idx[j]
				out[i] = append(out[i], r.Vulns...)
				if r.NextPageToken != "" {
					if r.NextPageToken == qs[i].PageToken {
						return nil, fmt.Errorf("%s/v1/querybatch: the service repeated page token %q", c.BaseURL, r.NextPageToken)
					}
					qs[i].PageToken = r.NextPageToken
					next = append(next, i)
				}
			}
		}
		pending = next
	}
	return nil, fmt.Errorf("%s/v1/querybatch: more than %d pages", c.BaseURL, maxPages)
}

// Get fetches one full OSV entry by id. It returns an error wrapping
// ErrNotFound when the service does not know the id.
func (c *Client) Get(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.do(ctx, http.MethodGet, "/v1/vulns/"+url.PathEscape(id), nil, &raw)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return raw, err
}

// do sends one request with retries and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := c.BaseURL + path
	var last error
	for attempt := 0; ; attempt++ {
		retryAfter, err := c.attempt(ctx, method, u, body, out)
		if err == nil {
			return nil
		}
		last = err
		if !retryable(err) || attempt >= c.Retries || ctx.Err() != nil {
			break
		}
		wait := c.backoff(attempt, retryAfter)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return last
}

// attempt sends the request once. It returns the server's Retry-After delay
// (0 when absent) with the error.
func (c *Client) attempt(ctx context.Context, method, u string, body []byte, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, &netError{err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return 0, &netError{fmt.Errorf("%s: reading response: %w", u, err)}
	}
	if len(data) > maxResponse {
		return 0, fmt.Errorf("%s: response larger than %d bytes", u, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		se := &StatusError{URL: u, Status: resp.StatusCode}
		_ = json.Unmarshal(data, &se.Body)
		return parseRetryAfter(resp.Header.Get("Retry-After")), se
	}
	if err := json.Unmarshal(data, out); err != nil {
		return 0, fmt.Errorf("%s: invalid JSON answer: %w", u, err)
	}
	return 0, nil
}

// netError marks transport failures, which are worth retrying.
type netError struct{ err error }

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// retryable reports whether a failed attempt is worth repeating: transport
// failures (including a per-attempt timeout), 408, 429 and 5xx. The caller's
// own context is checked separately.
func retryable(err error) bool {
	var ne *netError
	if errors.As(err, &ne) {
		return true
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusTooManyRequests || se.Status == http.StatusRequestTimeout || se.Status >= 500
	}
	return false
}

func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 && retryAfter <= c.MaxBackoff {
		return retryAfter
	}
	d := c.Backoff << attempt
	if d <= 0 || d > c.MaxBackoff {
		d = c.MaxBackoff
	}
	// Full jitter in [d/2, d) spreads retries of many clients apart.
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	return time.Duration(half + rand.Int64N(half))
}

func parseRetryAfter(s string) time.Duration {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
