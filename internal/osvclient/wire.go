package osvclient

import (
	"encoding/json"
	"fmt"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/safeio"
)

// EcosystemPyPI is the OSV ecosystem name of the Python Package Index.
const EcosystemPyPI = "PyPI"

// MaxBatch is the largest number of queries one /v1/querybatch request may
// carry, as osv.dev defines it.
const MaxBatch = 1000

// Package names a package in a query: by name and ecosystem, or by purl.
type Package struct {
	Name      string `json:"name,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	PURL      string `json:"purl,omitempty"`
}

// Query is one OSV query: a package with an optional version, or a commit.
// PageToken continues a query whose previous answer carried a NextPageToken.
type Query struct {
	Commit    string   `json:"commit,omitempty"`
	Version   string   `json:"version,omitempty"`
	Package   *Package `json:"package,omitempty"`
	PageToken string   `json:"page_token,omitempty"`
}

// PyPIQuery returns the query for one PyPI package at one version.
func PyPIQuery(name, version string) Query {
	return Query{Version: version, Package: &Package{Name: name, Ecosystem: EcosystemPyPI}}
}

// QueryResponse is the answer to /v1/query: full OSV entries. An empty answer
// is the JSON object {}.
type QueryResponse struct {
	Vulns         []json.RawMessage `json:"vulns,omitempty"`
	NextPageToken string            `json:"next_page_token,omitempty"`
}

// BatchRequest is the body of /v1/querybatch.
type BatchRequest struct {
	Queries []Query `json:"queries"`
}

// VulnRef is how /v1/querybatch names a vulnerability: its id and when it was
// last modified (RFC 3339), without the rest of the entry.
type VulnRef struct {
	ID       string `json:"id"`
	Modified string `json:"modified,omitempty"`
}

// BatchResult is the answer to one query of a batch.
type BatchResult struct {
	Vulns         []VulnRef `json:"vulns,omitempty"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

// BatchResponse is the answer to /v1/querybatch, one result per query in order.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// Error is the JSON body of an OSV API error. Code is the gRPC status code
// osv.dev uses (3 invalid argument, 5 not found, ...).
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// The gRPC status codes OSV error bodies carry.
const (
	CodeInvalidArgument   = 3
	CodeNotFound          = 5
	CodeResourceExhausted = 8
	CodeUnimplemented     = 12
	CodeInternal          = 13
	CodeUnavailable       = 14
)

// StatusError is returned by the client when the service answers with an HTTP
// error status.
type StatusError struct {
	URL    string
	Status int
	Body   Error // zero when the body was not an OSV error object
}

// Error names the URL, the status and the service's message, if any.
func (e *StatusError) Error() string {
	if e.Body.Message != "" {
		return fmt.Sprintf("%s: HTTP %d: %s", e.URL, e.Status, safeio.ExcerptN(e.Body.Message, 200))
	}
	return fmt.Sprintf("%s: HTTP %d", e.URL, e.Status)
}

// Is matches httpx.ErrNetwork when the status is the server's failure
// (httpx.IsNetworkStatus: 5xx, 429, 408), not an answer about the query.
func (e *StatusError) Is(target error) bool {
	return target == httpx.ErrNetwork && httpx.IsNetworkStatus(e.Status)
}
