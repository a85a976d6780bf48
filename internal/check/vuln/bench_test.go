package vuln

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep440"
)

// benchCorpus is the corpus snapshot, opened once for every benchmark.
var benchCorpus struct {
	once sync.Once
	db   *advisory.DB
	err  error
}

// corpusSource opens the corpus advisory snapshot, or skips.
func corpusSource(b *testing.B) *advisory.DB {
	b.Helper()
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		b.Skip("PYVET_CORPUS not set; skipping corpus benchmark")
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "advisories", "*.zip"))
	if len(zips) != 1 {
		b.Fatalf("advisory zips: %v", zips)
	}
	benchCorpus.once.Do(func() { benchCorpus.db, benchCorpus.err = advisory.Open(zips[0]) })
	if benchCorpus.err != nil {
		b.Fatal(benchCorpus.err)
	}
	return benchCorpus.db
}

// listedVersions returns the PEP 440 versions the package's advisories list,
// sorted.
func listedVersions(db *advisory.DB, name string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range db.Query(name, "") {
		for _, a := range e.Affected {
			for _, v := range a.Versions {
				if _, err := pep440.Parse(v); err == nil && !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
	}
	advisory.SortVersions(out)
	return out
}

// pinInventory writes a requirements file of n pins chosen from the
// advisories' versions lists (as bench/genreqs picks its "listed" pins: one
// per package, then packages with many versions again) and loads it.
func pinInventory(b *testing.B, db *advisory.DB, n int) *inventory.Inventory {
	b.Helper()
	names := db.Packages()
	listed := make(map[string][]string, len(names))
	for _, name := range names {
		listed[name] = listedVersions(db, name)
	}
	var lines []string
	for _, name := range names {
		if vs := listed[name]; len(vs) > 0 && len(lines) < n {
			lines = append(lines, fmt.Sprintf("%s==%s", name, vs[len(vs)/2]))
		}
	}
	for i := 0; len(lines) < n && i < 10*len(names); i++ {
		name := names[(i*7919)%len(names)]
		if vs := listed[name]; len(vs) >= 2 {
			lines = append(lines, fmt.Sprintf("%s==%s", name, vs[(i*31)%len(vs)]))
		}
	}
	if len(lines) < n {
		b.Fatalf("only %d pins", len(lines))
	}
	p := filepath.Join(b.TempDir(), "requirements.txt")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	inv, err := inventory.Load([]string{p}, inventory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

// benchCheck runs Check over n pins of the corpus and reports the findings
// and the allocations and bytes per finding.
func benchCheck(b *testing.B, n int) {
	db := corpusSource(b)
	inv := pinInventory(b, db, n)
	findings := len(Check(inv, db).Findings)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Check(inv, db)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	per := float64(b.N) * float64(findings)
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/finding")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/finding")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/finding")
}

func BenchmarkCheck1000(b *testing.B)  { benchCheck(b, 1000) }
func BenchmarkCheck10000(b *testing.B) { benchCheck(b, 10000) }

// benchFindings measures finding construction alone: the advisories of n
// pins are matched once (as hits), then grouped and made into findings.
func benchFindings(b *testing.B, n int) {
	db := corpusSource(b)
	inv := pinInventory(b, db, n)
	byName := map[string]*inventory.Package{}
	type match struct {
		p    *inventory.Package
		hits []*advisory.Hit
	}
	var ms []match
	for _, p := range inv.Packages {
		byName[p.Name] = p
		hs, _ := db.MatchHits(p.Name, p.Version)
		ms = append(ms, match{p, hs})
	}
	findings := 0
	for _, m := range ms {
		findings += len(group(m.hits))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, m := range ms {
			if len(m.hits) == 0 {
				continue
			}
			pf := newPkgFacts(m.p, true, byName)
			for _, g := range group(m.hits) {
				makeFinding(pf, g, m.p.Version)
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	per := float64(b.N) * float64(findings)
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/finding")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/finding")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/finding")
}

func BenchmarkFindings1000(b *testing.B)  { benchFindings(b, 1000) }
func BenchmarkFindings10000(b *testing.B) { benchFindings(b, 10000) }
