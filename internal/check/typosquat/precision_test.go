package typosquat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

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

// singleTypos returns one typing mistake in each of the n most popular names
// (drop a letter, swap two, double one) that is not itself a listed project.
func singleTypos(p *Popularity, n int, cfg Config) map[string]string {
	out := map[string]string{} // typo -> intended name
	for i := 0; i < n && i < p.Len(); i++ {
		name := p.Name(i)
		if len(squash(name)) < cfg.MinLength {
			continue
		}
		m := len(name) / 2
		for _, typo := range []string{name[:m] + name[m+1:], name[:m-1] + string(name[m]) + string(name[m-1]) + name[m+1:], name[:m] + string(name[m]) + name[m:]} {
			if _, listed := p.Rank(typo); listed || pep508.NormalizeName(typo) == name {
				continue // a real project (or the same name): not a typo to catch
			}
			out[typo] = name
		}
	}
	return out
}

// TestRecallTop500 counts how many single-typo variants of the 500 most
// popular names are caught: by Lookup, and reported by Check without index
// data (the unverified rules), which is what an offline run shows.
func TestRecallTop500(t *testing.T) {
	p := corpusPopularity(t)
	cfg := DefaultConfig()
	typos := singleTypos(p, 500, cfg)
	looked, reported := 0, 0
	for typo, name := range typos {
		for _, mt := range p.Lookup(typo, cfg) {
			if mt.Target == name {
				looked++
				break
			}
		}
		inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: typo}}}
		for _, f := range Check(inv, p, cfg) {
			if f.Evidence["target"] == name || strings.Contains(f.Detail, fmt.Sprintf("%q", name)) {
				reported++
			}
		}
	}
	tried := len(typos)
	t.Logf("recall: %d of %d single-typo variants of the top 500 matched (%.1f%%), %d reported offline (%.1f%%)",
		looked, tried, 100*float64(looked)/float64(tried), reported, 100*float64(reported)/float64(tried))
	if float64(looked) < 0.95*float64(tried) || float64(reported) < 0.95*float64(tried) {
		t.Errorf("recall %d/%d matched, %d/%d reported: below 95%%", looked, tried, reported, tried)
	}
}

// realInputs are the corpus files taken from real projects (not the test
// fixtures of parsers), relative to the corpus root.
var realInputs = []string{
	"lockfiles/real/*",
	"lockfiles/uv/test/ecosystem/*/uv.lock",
	"lockfiles/uv/test/ecosystem/*/pyproject.toml",
	"lockfiles/uv/test/requirements/*.in",
	"lockfiles/uv/test/requirements/*.txt",
	"lockfiles/uv/test/requirements/compiled/*.txt",
	"lockfiles/warehouse/requirements/*",
	"lockfiles/pipenv/Pipfile.lock",
	"lockfiles/pipenv/pylock.toml",
	"lockfiles/uv/uv.lock",
	"lockfiles/uv/pyproject.toml",
}

// corpusIndex serves the corpus's /pypi/NAME/json responses as an index; any
// other project gets 503, so that its history is unknown (the corpus does not
// say the project is missing from PyPI, only that it has no copy).
func corpusIndex(t *testing.T, root string) *pypi.Client {
	dir := filepath.Join(root, "pypi-json", "poetry-2022-09", "json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/pypi/"), "/json")
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(name)+".json"))
		if err != nil || strings.ContainsAny(name, "/\\") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", Retries: -1})
}

// TestCorpusPrecision runs the name-confusion check over every real
// requirements file and lockfile of the corpus, offline (no index data) and
// with the corpus's PyPI responses as the index, and counts the findings.
// None of these projects depends on a typosquat: the goal is no high finding
// and few others.
func TestCorpusPrecision(t *testing.T) {
	p := corpusPopularity(t)
	root := os.Getenv("PYVET_CORPUS")
	cfg := DefaultConfig()
	idx := corpusIndex(t, root)
	var files []string
	for _, g := range realInputs {
		m, _ := filepath.Glob(filepath.Join(root, g))
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d real inputs found", len(files))
	}
	type tally struct{ files, pkgs, low, medium, high int }
	var offline, online tally
	count := func(tl *tally, fs []finding.Finding, file string, mode string) {
		for _, f := range fs {
			switch {
			case f.Severity >= finding.SeverityHigh:
				tl.high++
				t.Errorf("%s (%s): high finding %s", file, mode, f.Title)
			case f.Severity == finding.SeverityMedium:
				tl.medium++
			default:
				tl.low++
			}
			if os.Getenv("PYVET_VERBOSE") != "" {
				t.Logf("%s (%s): %s %s", filepath.Base(file), mode, f.Severity, f.Title)
			}
		}
	}
	for _, file := range files {
		inv, err := inventory.Load([]string{file}, inventory.Options{NoIncludes: true})
		if err != nil {
			continue // not a dependency file pyvet reads (a README, a broken fixture)
		}
		offline.files++
		offline.pkgs += len(inv.Packages)
		count(&offline, Check(inv, p, cfg), file, "offline")
		fs, _ := CheckIndex(context.Background(), inv, p, idx, cfg)
		count(&online, fs, file, "corpus index")
	}
	t.Logf("precision on %d real inputs (%d package entries): offline %d high, %d medium, %d low; with the corpus index %d high, %d medium, %d low",
		offline.files, offline.pkgs, offline.high, offline.medium, offline.low, online.high, online.medium, online.low)
}

// TestHomeAssistantPrecision: home-assistant's requirements, 949 real
// packages, reported 24 typosquats (two high) before release histories and
// the unverified rules. Offline now: no high, at most two findings.
func TestHomeAssistantPrecision(t *testing.T) {
	p := corpusPopularity(t)
	file := filepath.Join(os.Getenv("PYVET_CORPUS"), "lockfiles", "uv", "test", "requirements", "home-assistant.in")
	inv, err := inventory.Load([]string{file}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := Check(inv, p, DefaultConfig())
	var titles []string
	for _, f := range fs {
		titles = append(titles, f.Severity.String()+" "+f.Title)
		if f.Severity >= finding.SeverityHigh {
			t.Errorf("high: %s", f.Title)
		}
	}
	t.Logf("home-assistant (%d packages): %d typosquat finding(s) offline: %s", len(inv.Packages), len(fs), strings.Join(titles, "; "))
	if len(fs) > 2 {
		t.Errorf("%d findings, want at most 2", len(fs))
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
