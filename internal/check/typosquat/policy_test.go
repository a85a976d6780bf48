package typosquat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
)

func TestConfigFromPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("[checks.typosquat]\nallow = [\"reqests\"]\nmin-ratio = 10\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFromPolicy(p)
	if len(c.Allow) != 1 || c.Allow[0] != "reqests" || c.MinRatio != 10 || c.MinLength != DefaultConfig().MinLength {
		t.Errorf("config = %+v", c)
	}
}

// TestPolicyChangesBehaviour: the established-* and unverified-* settings of
// pyvet.toml reach the check.
func TestPolicyChangesBehaviour(t *testing.T) {
	parse := func(src string) Config {
		t.Helper()
		p, err := policy.Parse([]byte(src), "pyvet.toml")
		if err != nil {
			t.Fatal(err)
		}
		c := ConfigFromPolicy(p)
		c.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
		return c
	}
	if c, d := parse(""), DefaultConfig(); c.EstablishedAge != d.EstablishedAge || c.EstablishedReleases != d.EstablishedReleases ||
		c.UnverifiedTop != d.UnverifiedTop || c.UnverifiedTargets != d.UnverifiedTargets {
		t.Errorf("unset keys: %+v, want the defaults %+v", c, d)
	}

	// With index data: established-age and established-releases decide
	// whether a project's history makes it established.
	pop := fixturePopularity(t)
	srv := projectServer(t, map[string][]string{
		"reqests": {"2025-01-01", "2025-02-01"}, // 17 months, two releases
	})
	idx := pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Retries: -1})
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "reqests"}}}
	reported := func(src string) bool {
		t.Helper()
		fs, err := CheckIndex(context.Background(), inv, pop, idx, parse(src))
		if err != nil {
			t.Fatal(err)
		}
		return len(fs) > 0
	}
	if !reported("") {
		t.Error("defaults: a 17-month-old project with two releases must be reported")
	}
	if reported("[checks.typosquat]\nestablished-age = \"365d\"\nestablished-releases = 2\n") {
		t.Error("established-age 365d, established-releases 2: the project is established")
	}
	if !reported("[checks.typosquat]\nestablished-age = \"365d\"\n") {
		t.Error("established-age 365d alone: two releases are still fewer than 3")
	}

	// Without index data: unverified-top and unverified-targets cap the
	// findings.
	names := make([]string, 2000)
	dl := make([]int64, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("project%04dx", i)
		dl[i] = int64(1e9 - i)
	}
	names[50], names[700] = "toppackage", "midpackage"
	p := NewPopularity(names, dl)
	off := &inventory.Inventory{Packages: []*inventory.Package{{Name: "toppackag"}, {Name: "midpackag"}}}
	sev := func(src string) string {
		got := map[string]finding.Severity{}
		for _, f := range Check(off, p, parse(src)) {
			got[f.Package] = f.Severity
		}
		return fmt.Sprint(got)
	}
	if got, want := sev(""), fmt.Sprint(map[string]finding.Severity{"toppackag": finding.SeverityMedium, "midpackag": finding.SeverityLow}); got != want {
		t.Errorf("defaults: %s, want %s", got, want)
	}
	if got, want := sev("[checks.typosquat]\nunverified-top = 10\nunverified-targets = 500\n"), fmt.Sprint(map[string]finding.Severity{"toppackag": finding.SeverityLow}); got != want {
		t.Errorf("unverified-top 10, unverified-targets 500: %s, want %s", got, want)
	}
	if _, err := policy.Parse([]byte("[checks.typosquat]\nunverified-top = -1\n"), "pyvet.toml"); err == nil {
		t.Error("unverified-top = -1 accepted")
	}
	if _, err := policy.Parse([]byte("[checks.typosquat]\nestablished-age = 3\n"), "pyvet.toml"); err == nil {
		t.Error("established-age = 3 (not a duration) accepted")
	}
}
