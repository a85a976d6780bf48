// Package lookup gathers the results of the concurrent package-index lookups
// that several checks make: the findings they produce and the names that
// could not be looked up, grouped by cause.
package lookup

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/pypi"
)

// Collector gathers findings and failed names from concurrent lookups. The
// zero value is ready to use; its methods are safe for concurrent use.
type Collector struct {
	mu     sync.Mutex
	out    []finding.Finding
	failed []failure
}

type failure struct {
	name  string
	cause string
}

// Add records findings.
func (c *Collector) Add(fs ...finding.Finding) {
	c.mu.Lock()
	c.out = append(c.out, fs...)
	c.mu.Unlock()
}

// Fail records a name whose lookup failed with err.
func (c *Collector) Fail(name string, err error) {
	c.FailCause(name, Cause(err, name))
}

// FailCause records a name whose lookup failed for the reason cause.
func (c *Collector) FailCause(name, cause string) {
	c.mu.Lock()
	c.failed = append(c.failed, failure{name, cause})
	c.mu.Unlock()
}

// Result returns what was collected once every lookup has finished. When ctx
// was cancelled it returns the findings so far with ctx's error. Otherwise the
// findings are sorted and, when some lookups failed, the error is a
// *finding.Failures whose lines start with what (a sentence with one %d for
// the number of names, e.g. "license: %d package(s) not checked") and give one
// cause each with its names; the findings are valid either way.
func (c *Collector) Result(ctx context.Context, what string) ([]finding.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return c.out, err
	}
	finding.Sort(c.out)
	if len(c.failed) == 0 {
		return c.out, nil
	}
	fs := finding.NewFailures(what)
	for _, f := range c.failed {
		fs.AddCause(f.name, f.cause)
	}
	return c.out, fs
}

// Cause says in a few words, the same for every package that failed for one
// reason, why looking name up failed: "not on the index", "not cached
// (offline)", "pypi.org: connection refused", "pypi.org: HTTP 503".
func Cause(err error, name string) string {
	var he *pypi.HTTPError
	var xe *httpx.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, pypi.ErrNotFound):
		return "not on the index"
	case errors.Is(err, pypi.ErrNotCached):
		return "not cached (offline)"
	case errors.As(err, &xe):
		return xe.Error()
	case errors.As(err, &he):
		host := he.URL
		if u, perr := url.Parse(he.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
		return host + ": HTTP " + strconv.Itoa(he.Status)
	}
	return finding.Cause(err, name)
}
