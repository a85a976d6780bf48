package health

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func testConfig() Config {
	c := DefaultConfig()
	c.Now = func() time.Time { return now }
	return c
}

func run(t *testing.T, layout pypitest.Layout, cfg Config, pkgs ...*inventory.Package) ([]finding.Finding, error) {
	t.Helper()
	srv := pypitest.New(t, layout)
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Backoff: time.Millisecond})
	return Check(context.Background(), &inventory.Inventory{Packages: pkgs}, idx, cfg)
}

func fixtures() pypitest.Layout {
	return pypitest.Layout{ProjectJSON: filepath.Join("testdata", "pypi")}
}

// rules returns "package:rule:severity" for each finding, sorted.
func rules(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package+":"+f.Rule+":"+f.Severity.String())
	}
	sort.Strings(out)
	return out
}

func TestCheckFixtures(t *testing.T) {
	fs, err := run(t, fixtures(), testConfig(),
		&inventory.Package{Name: "OldLib", Version: "1.0", Direct: true, Locations: []inventory.Location{{File: "requirements.txt", Line: 2}}},
		&inventory.Package{Name: "fresh", Version: "0.2.0b1"},
		&inventory.Package{Name: "steady", Version: "1.0"},
		&inventory.Package{Name: "steady-range", Specifier: "<2"},
		&inventory.Package{Name: "vcs-thing", Source: inventory.Source{Kind: inventory.SourceVCS}},
	)
	want := []string{
		"fresh:immature-few-releases:low",
		"fresh:immature-new:medium",
		"fresh:immature-prerelease:low",
		"oldlib:outdated:medium",
		"oldlib:unmaintained-deprecated:medium",
		"oldlib:unmaintained-inactive:high",
		"oldlib:unmaintained-stale:medium",
		"oldlib:yanked:high",
		"steady:outdated:medium",
	}
	if got := rules(fs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err == nil || !strings.Contains(err.Error(), "not on the index (steady-range)") {
		t.Errorf("err = %v, want steady-range reported as not on the index", err)
	}
	for _, f := range fs {
		if f.Title == "" || f.Detail == "" || f.Action == "" {
			t.Errorf("%s/%s lacks text: %+v", f.Package, f.Rule, f)
		}
		switch f.Package + ":" + f.Rule {
		case "oldlib:yanked":
			if !strings.Contains(f.Detail, "broken on Windows") || f.Location == nil || f.Location.Line != 2 || !f.Direct {
				t.Errorf("yanked finding = %+v", f)
			}
		case "steady:outdated":
			// 1.5, 2.0, 2.1 are newer finals; 3.0a1 is a pre-release and not counted.
			if f.Evidence["releases_behind"] != "3" || f.Evidence["latest"] != "2.1" || f.Evidence["days_behind"] != "2161" || f.Fix[0] != "2.1" {
				t.Errorf("outdated evidence = %v fix %v", f.Evidence, f.Fix)
			}
		}
	}
}

func TestThresholdsAndSwitches(t *testing.T) {
	cfg := testConfig()
	cfg.OutdatedMinBehind = 4 // steady 1.0 is 3 behind
	cfg.Unmaintained = false
	cfg.Yanked = false
	cfg.ImmatureAge = 5 * 24 * time.Hour // fresh is 12 days old
	cfg.ImmatureMinReleases = 2
	fs, err := run(t, fixtures(), cfg,
		&inventory.Package{Name: "oldlib", Version: "1.1"},
		&inventory.Package{Name: "fresh", Version: "0.1.0"},
		&inventory.Package{Name: "steady", Version: "1.0"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := "fresh:immature-zerover:info"
	if got := strings.Join(rules(fs), ","); got != want {
		t.Errorf("findings = %s, want %s", got, want)
	}
	// A pin at 2.0 is one release and 18 months behind: medium with the default
	// one-year age, low when the age threshold is two years.
	fs, _ = run(t, fixtures(), testConfig(), &inventory.Package{Name: "steady", Version: "2.0"})
	if got := strings.Join(rules(fs), ","); got != "steady:outdated:medium" {
		t.Errorf("steady 2.0: %s", got)
	}
	cfg = testConfig()
	cfg.OutdatedAge = 2 * 365 * 24 * time.Hour
	fs, _ = run(t, fixtures(), cfg, &inventory.Package{Name: "steady", Version: "2.0"})
	if got := strings.Join(rules(fs), ","); got != "steady:outdated:low" {
		t.Errorf("steady 2.0, two-year threshold: %s", got)
	}
	// A version the index does not list.
	fs, _ = run(t, fixtures(), testConfig(), &inventory.Package{Name: "steady", Version: "1.2"})
	if got := strings.Join(rules(fs), ","); !strings.Contains(got, "steady:version-missing:medium") {
		t.Errorf("steady 1.2: %s", got)
	}
}

func TestRangeExcludesLatest(t *testing.T) {
	fs, err := run(t, fixtures(), testConfig(), &inventory.Package{Name: "steady", Specifier: ">=1,<2"}, &inventory.Package{Name: "oldlib", Specifier: ">=1"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rules(fs), ",")
	if !strings.Contains(got, "steady:outdated-range:low") || strings.Contains(got, "oldlib:outdated") {
		t.Errorf("findings = %s", got)
	}
}

func TestOfflineNotCached(t *testing.T) {
	srv := pypitest.New(t, fixtures())
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: t.TempDir(), Offline: true})
	fs, err := Check(context.Background(), &inventory.Inventory{Packages: []*inventory.Package{{Name: "steady", Version: "1.0"}}}, idx, testConfig())
	if len(fs) != 0 || err == nil || !strings.Contains(err.Error(), "not cached (offline) (steady)") {
		t.Errorf("offline: %v, %v", fs, err)
	}
}

func TestCorpusProjects(t *testing.T) {
	cfg := testConfig()
	fs, err := run(t, pypitest.Corpus(t), cfg,
		&inventory.Package{Name: "requests", Version: "2.9.2"},
		&inventory.Package{Name: "black", Version: "21.11b0"},
		&inventory.Package{Name: "hbmqtt", Version: "0.9.6"},
	)
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string]finding.Finding{}
	for _, f := range fs {
		byRule[f.Package+":"+f.Rule] = f
	}
	// requests.json (Poetry's 2022 fixture) stops at 2.18.4, released 2017-08-15.
	if f, ok := byRule["requests:outdated"]; !ok || f.Evidence["latest"] != "2.18.4" {
		t.Errorf("requests outdated: %+v", f)
	}
	if f, ok := byRule["requests:unmaintained-stale"]; !ok || f.Evidence["last_release"] != "2017-08-15" {
		t.Errorf("requests stale: %+v", f)
	}
	if f, ok := byRule["black:yanked"]; !ok || f.Severity != finding.SeverityHigh {
		t.Errorf("black 21.11b0 yanked: %+v (all: %v)", f, rules(fs))
	}
	if _, ok := byRule["black:immature-prerelease"]; !ok {
		t.Errorf("black 21.11b0 is a pre-release: %v", rules(fs))
	}
	if _, ok := byRule["hbmqtt:immature-zerover"]; !ok {
		t.Errorf("hbmqtt 0.9.6: %v", rules(fs))
	}
}

func TestProjectStatus(t *testing.T) {
	layout := fixtures()
	layout.SimpleJSON = filepath.Join("testdata", "simple")
	cfg := testConfig()
	cfg.Outdated, cfg.Immature, cfg.Yanked = false, false, false
	fs, err := run(t, layout, cfg,
		&inventory.Package{Name: "oldlib", Version: "1.1"},
		&inventory.Package{Name: "fresh", Version: "0.1.0"},
		&inventory.Package{Name: "steady", Version: "2.1"},
	)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rules(fs), ",")
	want := "fresh:quarantined:critical,oldlib:unmaintained-archived:medium,oldlib:unmaintained-deprecated:medium,oldlib:unmaintained-inactive:high,oldlib:unmaintained-stale:medium"
	if got != want {
		t.Errorf("findings:\n%s\nwant\n%s", got, want)
	}
	for _, f := range fs {
		if f.Rule == "unmaintained-archived" && !strings.Contains(f.Detail, "moved to newlib") {
			t.Errorf("archived detail: %s", f.Detail)
		}
	}
	cfg.ProjectStatus = false
	fs, _ = run(t, layout, cfg, &inventory.Package{Name: "fresh", Version: "0.1.0"})
	if len(fs) != 0 {
		t.Errorf("status off: %s", rules(fs))
	}
}

func TestConstraintsAreNotDependencies(t *testing.T) {
	fs, err := run(t, fixtures(), testConfig(), &inventory.Package{Name: "oldlib", Version: "1.0", Constraint: true}, &inventory.Package{Name: "unknown-constraint", Version: "1", Constraint: true})
	if err != nil || len(fs) != 0 {
		t.Errorf("constraint-only packages checked: %v %v", rules(fs), err)
	}
}
