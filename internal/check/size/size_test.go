package size

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// chain builds an inventory where direct package "top" requires a chain of n packages.
func chain(n int) *inventory.Inventory {
	inv := &inventory.Inventory{}
	top := &inventory.Package{Name: "top", Version: "1.0", Direct: true, Files: []inventory.File{{Name: "top-1.0.whl", Size: 50000}}}
	inv.Packages = append(inv.Packages, top)
	prev := top
	for i := range n {
		p := &inventory.Package{Name: fmt.Sprintf("dep_%d", i), Version: "1.0", Files: []inventory.File{{Name: "d.whl", Size: 40000}}}
		prev.Requires = append(prev.Requires, p.Name)
		inv.Packages = append(inv.Packages, p)
		prev = p
	}
	// a cycle back to the top must not loop or be counted twice
	prev.Requires = append(prev.Requires, "TOP")
	return inv
}

func codes(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package+":"+f.Rule+":"+f.Severity.String())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestTransitiveThresholds(t *testing.T) {
	cfg := DefaultConfig()
	for _, c := range []struct {
		n    int
		want string
	}{{40, ""}, {41, "top:size-heavy:low"}, {81, "top:size-heavy:medium"}} {
		inv := chain(c.n)
		if got := Transitive(inv)["top"]; got != c.n {
			t.Errorf("Transitive = %d, want %d", got, c.n)
		}
		fs, err := Check(context.Background(), inv, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := codes(fs); got != c.want {
			t.Errorf("chain %d: %q, want %q", c.n, got, c.want)
		}
	}
}

func TestFileSizesFromIndex(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{ReleaseJSON: filepath.Join("testdata", "pypi")})
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: t.TempDir()})
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "tiny", Version: "1.0", Direct: true},
		{Name: "huge", Version: "2.0"},
		{Name: "locked", Version: "1.0", Files: []inventory.File{{Name: "locked-1.0.whl", Size: 100 << 20}}},
		{Name: "gone", Version: "1.0"},
		{Name: "unpinned"},
	}}
	fs, err := Check(context.Background(), inv, idx, DefaultConfig())
	if got := codes(fs); got != "huge:size-large:low,locked:size-large:low,tiny:size-trivial:low" {
		t.Errorf("findings = %s", got)
	}
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("err = %v, want the missing package named", err)
	}
	for _, f := range fs {
		if f.Title == "" || f.Detail == "" || f.Action == "" || f.Evidence["bytes"] == "" {
			t.Errorf("incomplete %+v", f)
		}
	}
	cfg := Config{MaxDistSize: 1 << 30}
	fs, _ = Check(context.Background(), inv, idx, cfg)
	if len(fs) != 0 {
		t.Errorf("raised thresholds: %s", codes(fs))
	}
}

// TestCorpusUVLock counts the transitive dependencies of real projects' uv.lock files.
func TestCorpusUVLock(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	path := filepath.Join(root, "lockfiles", "uv", "test", "ecosystem", "transformers", "uv.lock")
	inv, err := inventory.ParseFile(path, inventory.FormatUnknown, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts := Transitive(inv)
	max, maxName := 0, ""
	for n, c := range counts {
		if c > max {
			max, maxName = c, n
		}
	}
	t.Logf("transformers uv.lock: %d packages, %d direct; largest closure %s with %d", len(inv.Packages), len(counts), maxName, max)
	if len(counts) == 0 || max == 0 || max >= len(inv.Packages) {
		t.Errorf("implausible closure sizes: %d direct, max %d of %d packages", len(counts), max, len(inv.Packages))
	}
	fs, err := Check(context.Background(), inv, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	large := 0
	for _, f := range fs {
		if f.Rule == "size-large" {
			large++
		}
	}
	t.Logf("findings: %d (%d size-large)", len(fs), large)
}

func BenchmarkTransitive(b *testing.B) {
	inv := chain(500)
	for range b.N {
		Transitive(inv)
	}
}
