package pep740

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultIndexURL is PyPI, whose integrity API serves provenance.
const DefaultIndexURL = "https://pypi.org"

// ErrNoProvenance means the index has no provenance for the file (HTTP 404).
var ErrNoProvenance = errors.New("no provenance published for this file")

// Client fetches provenance from an index's integrity API:
// GET {BaseURL}/integrity/{project}/{version}/{filename}/provenance.
type Client struct {
	BaseURL string        // default DefaultIndexURL
	HTTP    *http.Client  // default: a client with Timeout
	Timeout time.Duration // per request, default 20s
	Retries int           // retries on network errors, 429 and 5xx (default 2; negative: none)
	Backoff time.Duration // first retry delay, doubled each time (default 500ms)
}

// maxProvenanceSize bounds a provenance response.
const maxProvenanceSize = 16 << 20

// Provenance fetches and parses the provenance of one distribution file. It
// returns ErrNoProvenance (wrapped) when the index has none.
func (c *Client) Provenance(ctx context.Context, project, version, filename string) (*Provenance, error) {
	base := strings.TrimSuffix(c.BaseURL, "/")
	if base == "" {
		base = DefaultIndexURL
	}
	u := base + "/integrity/" + url.PathEscape(project) + "/" + url.PathEscape(version) + "/" + url.PathEscape(filename) + "/provenance"
	hc := c.HTTP
	if hc == nil {
		t := c.Timeout
		if t <= 0 {
			t = 20 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	retries := c.Retries
	if retries == 0 {
		retries = 2
	} else if retries < 0 {
		retries = 0
	}
	delay := c.Backoff
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	var lastErr error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
		data, status, err := get(ctx, hc, u)
		switch {
		case err != nil:
			lastErr = err
			continue
		case status == http.StatusNotFound:
			return nil, fmt.Errorf("%s: %w", u, ErrNoProvenance)
		case status == http.StatusTooManyRequests || status >= 500:
			lastErr = fmt.Errorf("HTTP %d", status)
			continue
		case status != http.StatusOK:
			return nil, fmt.Errorf("%s: HTTP %d", u, status)
		}
		return ParseProvenance(data, u)
	}
	return nil, fmt.Errorf("%s: %v (after %d attempts)", u, lastErr, retries+1)
}

func get(ctx context.Context, hc *http.Client, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/vnd.pypi.integrity.v1+json, application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProvenanceSize+1))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if len(data) > maxProvenanceSize {
		return nil, resp.StatusCode, fmt.Errorf("response larger than %d bytes", maxProvenanceSize)
	}
	return data, resp.StatusCode, nil
}
