// Package lookup gathers the results of the concurrent package-index lookups
// that several checks make: the findings they produce and the names that
// could not be looked up.
package lookup

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pyvet/pyvet/internal/finding"
)

// Collector gathers findings and failed names from concurrent lookups. The
// zero value is ready to use; its methods are safe for concurrent use.
type Collector struct {
	mu     sync.Mutex
	out    []finding.Finding
	failed []string
}

// Add records findings.
func (c *Collector) Add(fs ...finding.Finding) {
	c.mu.Lock()
	c.out = append(c.out, fs...)
	c.mu.Unlock()
}

// Fail records a name whose lookup failed.
func (c *Collector) Fail(name string) {
	c.mu.Lock()
	c.failed = append(c.failed, name)
	c.mu.Unlock()
}

// Result returns what was collected once every lookup has finished. When ctx
// was cancelled it returns the findings so far with ctx's error. Otherwise the
// findings are sorted and, when some lookups failed, the error is failFormat
// (with a %d for their number and a %s for their sorted, comma-separated
// names); the findings are valid either way.
func (c *Collector) Result(ctx context.Context, failFormat string) ([]finding.Finding, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return c.out, err
	}
	finding.Sort(c.out)
	if len(c.failed) > 0 {
		sort.Strings(c.failed)
		// A short line: the first names and how many more.
		names := strings.Join(c.failed, ", ")
		if len(c.failed) > 3 {
			names = fmt.Sprintf("%s and %d more", strings.Join(c.failed[:3], ", "), len(c.failed)-3)
		}
		return c.out, fmt.Errorf(failFormat, len(c.failed), names)
	}
	return c.out, nil
}
