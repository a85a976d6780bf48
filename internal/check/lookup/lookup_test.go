package lookup

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
)

func TestCollectorConcurrent(t *testing.T) {
	var c Collector
	var wg sync.WaitGroup
	for i, name := range []string{"zeta", "alpha", "mid"} {
		wg.Add(2)
		go func() { defer wg.Done(); c.Fail(name) }()
		go func() {
			defer wg.Done()
			c.Add(finding.Finding{Package: name, Severity: finding.Severity(i + 1)})
		}()
	}
	wg.Wait()
	fs, err := c.Result(context.Background(), "check: %d failed: %s")
	if err == nil || err.Error() != "check: 3 failed: alpha, mid, zeta" {
		t.Errorf("error %v", err)
	}
	if len(fs) != 3 || fs[0].Package != "mid" || fs[2].Package != "zeta" {
		t.Errorf("findings not sorted by severity: %+v", fs)
	}
}

func TestCollectorCleanAndCancelled(t *testing.T) {
	var c Collector
	c.Add(finding.Finding{Package: "a"})
	if fs, err := c.Result(context.Background(), "%d %s"); err != nil || len(fs) != 1 {
		t.Errorf("clean: %v, %v", fs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Fail("b")
	if fs, err := c.Result(ctx, "%d %s"); !errors.Is(err, context.Canceled) || len(fs) != 1 {
		t.Errorf("cancelled: %v, %v", fs, err)
	}
}
