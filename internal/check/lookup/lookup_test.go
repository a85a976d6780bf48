package lookup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/pypi"
)

func TestCollectorConcurrent(t *testing.T) {
	var c Collector
	var wg sync.WaitGroup
	for i, name := range []string{"zeta", "alpha", "mid"} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.Fail(name, fmt.Errorf("https://pypi.org/pypi/%s/json: %w", name, pypi.ErrNotFound))
		}()
		go func() {
			defer wg.Done()
			c.Add(finding.Finding{Package: name, Severity: finding.Severity(i + 1)})
		}()
	}
	wg.Wait()
	fs, err := c.Result(context.Background(), "check: %d failed")
	if err == nil || err.Error() != "check: 3 failed: not on the index (alpha, mid, zeta)" {
		t.Errorf("error %v", err)
	}
	if len(fs) != 3 || fs[0].Package != "mid" || fs[2].Package != "zeta" {
		t.Errorf("findings not sorted by severity: %+v", fs)
	}
}

// TestCollectorGroupsCauses: a thousand names failing for one reason make one
// short line, whatever URL each request had.
func TestCollectorGroupsCauses(t *testing.T) {
	var c Collector
	unreachable := &httpx.Error{Host: "pypi.org", Reason: "connection refused"}
	for i := 0; i < 1000; i++ {
		c.Fail(fmt.Sprintf("pkg%04d", i), unreachable)
	}
	c.Fail("one", &pypi.HTTPError{URL: "https://pypi.org/pypi/one/1.0/json", Status: 503})
	c.Fail("two", &pypi.HTTPError{URL: "https://pypi.org/pypi/two/2.0/json", Status: 503})
	_, err := c.Result(context.Background(), "size: %d package(s) not checked")
	var fs *finding.Failures
	if !errors.As(err, &fs) {
		t.Fatalf("err %T %v", err, err)
	}
	lines := fs.Lines()
	want := []string{
		"size: 1000 package(s) not checked: pypi.org: connection refused (pkg0000, pkg0001, pkg0002 and 997 more)",
		"size: 2 package(s) not checked: pypi.org: HTTP 503 (one, two)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectorCleanAndCancelled(t *testing.T) {
	var c Collector
	c.Add(finding.Finding{Package: "a"})
	if fs, err := c.Result(context.Background(), "%d"); err != nil || len(fs) != 1 {
		t.Errorf("clean: %v, %v", fs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Fail("b", errors.New("x"))
	if fs, err := c.Result(ctx, "%d"); !errors.Is(err, context.Canceled) || len(fs) != 1 {
		t.Errorf("cancelled: %v, %v", fs, err)
	}
}

func TestCause(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("u: %w", pypi.ErrNotCached), "not cached (offline)"},
		{errors.New("requests: bad metadata in requests-1.0"), "bad metadata in <name>-1.0"},
	} {
		if got := Cause(tc.err, "requests"); got != tc.want {
			t.Errorf("Cause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
