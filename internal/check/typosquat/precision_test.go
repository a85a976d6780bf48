package typosquat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep508"
)

var pypiNormalize = pep508.NormalizeName

func corpusPopularity(t testing.TB) *Popularity {
	t.Helper()
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	p, err := LoadPopularity(filepath.Join(root, "popularity", "top-pypi-packages-30-days.min.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// precisionRun checks each of the top n names against the whole list with the
// popularity suppression off, and returns the names flagged.
func precisionRun(p *Popularity, n int, cfg Config) map[string][]Match {
	out := map[string][]Match{}
	for i := 0; i < n && i < p.Len(); i++ {
		if ms := p.Lookup(p.Name(i), cfg); len(ms) > 0 {
			out[p.Name(i)] = ms
		}
	}
	return out
}

func TestPrecisionTop5000(t *testing.T) {
	p := corpusPopularity(t)
	if p.Len() != 15000 {
		t.Fatalf("popularity list has %d names, want 15000", p.Len())
	}
	cfg := DefaultConfig()
	flagged := precisionRun(p, 5000, cfg)
	if os.Getenv("PYVET_VERBOSE") != "" {
		for n, ms := range flagged {
			t.Logf("%s -> %s (%s %d, rank %d)", n, ms[0].Target, ms[0].Kind, ms[0].Distance, ms[0].Rank)
		}
	}
	t.Logf("top 5000 checked against %d names (popularity suppression off): %d flagged (%.2f%%)", p.Len(), len(flagged), 100*float64(len(flagged))/5000)
	// Budget: at most 0.5% of the top 5000. The ones flagged with the default
	// thresholds (2026-04 list) have a reason: renamed or legacy names
	// (boto/boto3, docker-py, msgpack-python, gitdb2, asn1/pyasn1), real
	// look-alikes (pyaml/pyyaml, dydantic/pydantic, willow/pillow, scapy/scipy)
	// and numbered variants (nvidia-nccl-cu11/cu12, nest-asyncio2).
	const budget = 25
	if len(flagged) > budget {
		t.Errorf("%d of the top 5000 flagged, budget %d", len(flagged), budget)
	}
	// Names that must be flagged for their popular neighbour.
	for name, target := range map[string]string{"boto": "boto3", "pyaml": "pyyaml", "msgpack-python": "msgpack"} {
		if ms := flagged[name]; len(ms) == 0 || ms[0].Target != target {
			t.Errorf("%s: %+v, want a match on %s", name, ms, target)
		}
	}
	// With the default suppression no popular name is reported at all.
	var inv inventory.Inventory
	for i := 0; i < 5000; i++ {
		inv.Packages = append(inv.Packages, &inventory.Package{Name: p.Name(i)})
	}
	if fs := Check(&inv, p, DefaultConfig()); len(fs) != 0 {
		t.Errorf("default config flagged %d popular names, first %s", len(fs), fs[0].Title)
	}
}

// TestRecallTop500 makes one typing mistake in each of the 500 most popular
// names (drop a letter, swap two, double one) and counts how many are caught.
func TestRecallTop500(t *testing.T) {
	p := corpusPopularity(t)
	cfg := DefaultConfig()
	tried, caught := 0, 0
	for i := 0; i < 500; i++ {
		n := p.Name(i)
		if len(squash(n)) < cfg.MinLength {
			continue
		}
		m := len(n) / 2
		for _, typo := range []string{n[:m] + n[m+1:], n[:m-1] + string(n[m]) + string(n[m-1]) + n[m+1:], n[:m] + string(n[m]) + n[m:]} {
			if _, listed := p.Rank(typo); listed || pypiNormalize(typo) == n {
				continue // a real project (or the same name): not a typo to catch
			}
			tried++
			for _, mt := range p.Lookup(typo, cfg) {
				if mt.Target == n {
					caught++
					break
				}
			}
		}
	}
	t.Logf("recall: %d of %d single-typo variants of the top 500 caught (%.1f%%)", caught, tried, 100*float64(caught)/float64(tried))
	if float64(caught) < 0.95*float64(tried) {
		t.Errorf("recall %d/%d below 95%%", caught, tried)
	}
}

func BenchmarkLookup(b *testing.B) {
	p := corpusPopularity(b)
	cfg := DefaultConfig()
	names := []string{"reqeusts", "python-dateutil2", "djang0", "numpyy", "scikit-learnn", "my-private-package-name"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Lookup(names[i%len(names)], cfg)
	}
}
