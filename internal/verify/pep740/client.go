package pep740

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
)

// DefaultIndexURL is PyPI's Simple API base, the index URL as pip means it.
// PyPI serves the integrity API next to it.
const DefaultIndexURL = "https://pypi.org/simple"

// ErrNoProvenance means the index has no provenance for the file (HTTP 404).
var ErrNoProvenance = errors.New("no provenance published for this file")

// ErrNoIntegrityAPI means the integrity API of the index is not known: its
// index URL does not end in /simple and no integrity API base was given.
var ErrNoIntegrityAPI = errors.New("the integrity API of this index is unknown (its index URL does not end in /simple)")

// Client fetches provenance from an index's integrity API:
// GET {integrity base}/integrity/{project}/{version}/{filename}/provenance.
type Client struct {
	// IndexURL is the index's Simple API base (pip's --index-url, default
	// DefaultIndexURL); the integrity API base is derived from it with
	// IntegrityBaseFor.
	IndexURL string
	// BaseURL, when set, is the integrity API base itself (the URL the
	// /integrity/... paths hang from, https://pypi.org for PyPI); it wins over
	// IndexURL.
	BaseURL string
	// HTTP is the HTTP client (default httpx.Default()).
	HTTP *httpx.Client
	// Timeout, Retries and Backoff, when set, tune HTTP for this client (per
	// attempt; retries after a transient failure, -1 for none; first retry
	// delay).
	Timeout time.Duration
	Retries int
	Backoff time.Duration
}

// maxProvenanceSize bounds a provenance response.
const maxProvenanceSize = 16 << 20

// IntegrityBaseFor derives the integrity API base from a Simple API base:
// "https://pypi.org/simple" gives "https://pypi.org". Other URLs give "".
func IntegrityBaseFor(indexURL string) string {
	s := strings.TrimRight(indexURL, "/")
	if strings.HasSuffix(s, "/simple") {
		return strings.TrimSuffix(s, "/simple")
	}
	return ""
}

// integrityBase is the base the client asks.
func (c *Client) integrityBase() (string, error) {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/"), nil
	}
	idx := c.IndexURL
	if idx == "" {
		idx = DefaultIndexURL
	}
	if b := IntegrityBaseFor(idx); b != "" {
		return b, nil
	}
	return "", fmt.Errorf("%s: %w", idx, ErrNoIntegrityAPI)
}

// Provenance fetches and parses the provenance of one distribution file. It
// returns ErrNoProvenance (wrapped) when the index has none.
func (c *Client) Provenance(ctx context.Context, project, version, filename string) (*Provenance, error) {
	base, err := c.integrityBase()
	if err != nil {
		return nil, err
	}
	u := base + "/integrity/" + url.PathEscape(project) + "/" + url.PathEscape(version) + "/" + url.PathEscape(filename) + "/provenance"
	hc := httpx.Or(c.HTTP)
	if c.Timeout > 0 || c.Retries != 0 || c.Backoff > 0 {
		hc = hc.Tune(httpx.Tuning{Timeout: c.Timeout, Retries: c.Retries, Backoff: c.Backoff})
	}
	resp, err := hc.Get(ctx, u, http.Header{"Accept": {"application/vnd.pypi.integrity.v1+json, application/json"}}, maxProvenanceSize)
	if err != nil {
		return nil, err // names the host and the cause
	}
	switch resp.Status {
	case http.StatusOK:
		return ParseProvenance(resp.Body, u)
	case http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", u, ErrNoProvenance)
	}
	return nil, &httpx.StatusError{URL: u, Status: resp.Status}
}
