package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
)

// Checks for the tests (the real ones register from their packages, which
// this package cannot import): one with every kind of setting.
func init() {
	Register(Spec{Name: "example", Doc: "a check for the tests", Rules: []string{"example-rule"}, Keys: []Key{
		{Name: "max-distance", Kind: KindInt, Default: 1, Validate: AtLeast(0)},
		{Name: "ratio", Kind: KindFloat, Default: 0.5},
		{Name: "mode", Kind: KindString, Default: "fast", Validate: OneOf("fast", "slow")},
		{Name: "strict", Kind: KindBool, Default: false},
	}})
	Register(Spec{Name: "example-health", Keys: []Key{
		{Name: "max-age", Kind: KindDuration, Default: 365 * 24 * time.Hour, Doc: "how old is too old"},
		{Name: "min-releases", Kind: KindInt, Default: 2},
		{Name: "exclude", Kind: KindStrings, Default: []string{}},
	}})
	Register(Spec{Name: string(finding.RiskUnpinned), Rules: []string{"pin-loose"}})
	// The risks the tests name (the checks declare them from their packages).
	for _, r := range []finding.Risk{finding.RiskVulnerability, finding.RiskMalicious, finding.RiskCompromise,
		finding.RiskNameConfusion, finding.RiskUnmaintained, finding.RiskOutdated, finding.RiskUntracked,
		finding.RiskLicense, finding.RiskImmature, finding.RiskUnpinned, finding.RiskSize} {
		Register(Spec{Name: string(r), Doc: "the " + string(r) + " risk"})
	}
}

func TestLoadPrecedence(t *testing.T) {
	p, err := Load("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	if p.FailOn != finding.SeverityHigh || p.Origin("fail-on") != "testdata/both/pyvet.toml:2" {
		t.Errorf("fail-on = %v from %s, want high from pyvet.toml:2", p.FailOn, p.Origin("fail-on"))
	}
	// [tool.pyvet] values that pyvet.toml does not override stay.
	if !reflect.DeepEqual(p.Licenses.Deny, []string{"GPL-3.0-only"}) || p.Origin("licenses.deny") != "testdata/both/pyproject.toml:9" {
		t.Errorf("licenses.deny = %v from %s", p.Licenses.Deny, p.Origin("licenses.deny"))
	}
	if !reflect.DeepEqual(p.Licenses.Allow, []string{"MIT", "Apache-2.0", "BSD-3-Clause"}) {
		t.Errorf("licenses.allow = %v", p.Licenses.Allow)
	}
	// Ignores from both files apply.
	if len(p.Ignores) != 3 {
		t.Fatalf("%d ignores, want 3: %+v", len(p.Ignores), p.Ignores)
	}
	if p.Ignores[0].Origin != "testdata/both/pyproject.toml:11" || p.Ignores[1].Package != "django" || p.Ignores[1].Origin != "testdata/both/pyvet.toml:27" {
		t.Errorf("ignores = %+v", p.Ignores)
	}
	if p.Enabled("example") || !p.Enabled("vulnerability") {
		t.Error("check enablement wrong")
	}
	c := p.Check("example")
	if c.Int("max-distance", 1) != 2 || p.Origin("checks.example.max-distance") != "testdata/both/pyvet.toml:6" {
		t.Errorf("example settings %v from %s", c.Settings, p.Origin("checks.example.max-distance"))
	}
	u := p.Check("example-health")
	if !u.Enabled || u.Duration("max-age", 0) != 730*24*time.Hour || u.Int("min-releases", 0) != 3 || !reflect.DeepEqual(u.Strings("exclude"), []string{"legacy-lib"}) {
		t.Errorf("unmaintained settings %+v", u)
	}
	if u.String("missing", "dflt") != "dflt" || u.Bool("missing", true) != true || u.Float("min-releases", 0) != 3 {
		t.Error("typed getters wrong")
	}
	if p.Severity["pin-loose"] != finding.SeverityInfo || p.Severity["unmaintained"] != finding.SeverityLow {
		t.Errorf("severity overrides %v", p.Severity)
	}
	if !p.IndexAllowed("https://PKGS.corp.example/simple") || !p.IndexAllowed("https://pypi.org/simple/") || p.IndexAllowed("https://evil.example/simple") {
		t.Error("IndexAllowed wrong")
	}
	if !p.RequiresAttestation("sigstore") || p.RequiresAttestation("flask") || !p.RequiresSignature("anything") {
		t.Error("verify requirements wrong")
	}
}

func TestLoadPyprojectOnlyAndDefaults(t *testing.T) {
	p, err := Load("testdata/pyproject-only")
	if err != nil {
		t.Fatal(err)
	}
	if p.FailOn != finding.SeverityCritical || p.Enabled("license") || p.Origin("checks.license.enabled") != "testdata/pyproject-only/pyproject.toml:7" {
		t.Errorf("policy %+v", p)
	}
	d, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d.FailOn != DefaultFailOn || d.Origin("fail-on") != "default" || len(d.Ignores) != 0 {
		t.Errorf("defaults %+v", d)
	}
	// A pyproject.toml without [tool.pyvet] is fine.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\nname = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Error(err)
	}
	// LoadFile on a pyproject reads [tool.pyvet].
	p, err = LoadFile("testdata/pyproject-only/pyproject.toml")
	if err != nil || p.FailOn != finding.SeverityCritical {
		t.Errorf("LoadFile pyproject: %v %v", p, err)
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	for file, want := range map[string]string{
		"unknown-key.toml":  `testdata/bad/unknown-key.toml:3: unknown policy key "licences"`,
		"bad-severity.toml": `testdata/bad/bad-severity.toml:3: severity.pin-loose: unknown severity "urgent"`,
		"no-reason.toml":    "testdata/bad/no-reason.toml:1: ignore for PYSEC-1 needs a reason",
		"syntax.toml":       "testdata/bad/syntax.toml:2:",
		"bad-expiry.toml":   `testdata/bad/bad-expiry.toml:4: ignore expires: "next year" is not a date`,
		"bad-enabled.toml":  "testdata/bad/bad-enabled.toml:2: checks.example.enabled must be true or false",
		"missing.toml":      "testdata/bad/missing.toml",
		// The schema: unknown checks, keys and wrong types are errors at their line.
		"unknown-check.toml":        `testdata/bad/unknown-check.toml:3: checks.typosquatting: unknown check or rule "typosquatting"`,
		"unknown-setting.toml":      `testdata/bad/unknown-setting.toml:2: checks.example.max-distanse: unknown key "max-distanse" (did you mean max-distance?)`,
		"wrong-type.toml":           `testdata/bad/wrong-type.toml:3: checks.example.max-distance: want an integer, not a string`,
		"bad-duration.toml":         `testdata/bad/bad-duration.toml:2: checks.example-health.max-age: "two years" is not a duration`,
		"rule-setting.toml":         `testdata/bad/rule-setting.toml:2: checks.example-rule.max-distance: unknown key "max-distance": example-rule is a rule of the example check and takes only enabled`,
		"unknown-severity-key.toml": `testdata/bad/unknown-severity-key.toml:2: severity.pin-lose: unknown check or rule "pin-lose" (did you mean pin-loose?)`,
	} {
		_, err := LoadFile(filepath.Join("testdata/bad", file))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want prefix %q", file, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", file, err)
		}
	}
	if _, err := LoadFile("testdata"); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestApply(t *testing.T) {
	p, err := Load("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	fs := []finding.Finding{
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2023-1", Package: "x", Severity: finding.SeverityCritical},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2024-9", Aliases: []string{"GHSA-xxxx-yyyy-zzzz"}, Package: "django", Severity: finding.SeverityHigh},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2024-9", Aliases: []string{"GHSA-xxxx-yyyy-zzzz"}, Package: "flask", Severity: finding.SeverityHigh},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "CVE-2020-0001", Package: "y", Severity: finding.SeverityMedium},
		{Risk: finding.RiskUnpinned, Rule: "pin-loose", Package: "z", Severity: finding.SeverityLow},
		{Risk: finding.RiskNameConfusion, Rule: "example-rule", Package: "reqeusts", Severity: finding.SeverityHigh},
		{Risk: finding.RiskMalicious, Rule: "malicious", ID: "MAL-1", Package: "evil", Severity: finding.SeverityMalicious},
	}
	out, notes := p.Apply(slices.Clone(fs), now)
	byKey := map[string]finding.Finding{}
	for _, f := range out {
		byKey[f.ID+"/"+f.Rule+"/"+f.Package] = f
	}
	if _, ok := byKey["/example-rule/reqeusts"]; ok {
		t.Error("finding of a disabled check kept")
	}
	if f := byKey["PYSEC-2023-1/vuln/x"]; !f.Ignored || f.IgnoreReason != "not reachable" {
		t.Errorf("ignore by id: %+v", f)
	}
	if f := byKey["PYSEC-2024-9/vuln/django"]; !f.Ignored {
		t.Errorf("ignore by alias and package (through its expiry day): %+v", f)
	}
	if f := byKey["PYSEC-2024-9/vuln/flask"]; f.Ignored {
		t.Errorf("ignore for django applied to flask: %+v", f)
	}
	if f := byKey["CVE-2020-0001/vuln/y"]; f.Ignored {
		t.Errorf("expired ignore applied: %+v", f)
	}
	if f := byKey["/pin-loose/z"]; f.Severity != finding.SeverityInfo {
		t.Errorf("severity override: %+v", f)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "CVE-2020-0001") || !strings.Contains(notes[0], "expired on 2025-01-01T00:00:00Z") || !strings.Contains(notes[0], "reported again") {
		t.Errorf("notes = %q", notes)
	}
	if out[0].Severity != finding.SeverityMalicious {
		t.Errorf("findings not sorted: %+v", out[0])
	}
	// The day after the expiry date the django ignore stops.
	out2, notes2 := p.Apply(slices.Clone(fs), now.Add(2*time.Hour))
	for _, f := range out2 {
		if f.Package == "django" && f.Ignored {
			t.Error("date-only expiry still applied the next day")
		}
	}
	if len(notes2) != 2 {
		t.Errorf("notes next day = %q", notes2)
	}

	// In place: the findings returned are fs's, not a copy.
	in := slices.Clone(fs)
	if out3, _ := p.Apply(in, now); len(out3) == 0 || &out3[0] != &in[0] {
		t.Error("Apply copied the findings")
	}
}

func TestExitCode(t *testing.T) {
	p := Default()
	fs := []finding.Finding{{Severity: finding.SeverityInfo}}
	if p.ExitCode(fs) != 0 {
		t.Error("info fails the default gate")
	}
	fs = append(fs, finding.Finding{Severity: finding.SeverityUnknown})
	if p.ExitCode(fs) != 1 {
		t.Error("unknown severity passes the default gate")
	}
	p.SetFailOn(finding.SeverityHigh, "--fail-on")
	if p.ExitCode(fs) != 0 || p.Origin("fail-on") != "--fail-on" {
		t.Error("unknown counted above medium")
	}
	fs = append(fs, finding.Finding{Severity: finding.SeverityCritical, Ignored: true})
	if p.ExitCode(fs) != 0 {
		t.Error("ignored finding failed the run")
	}
	fs = append(fs, finding.Finding{Severity: finding.SeverityMalicious})
	if p.ExitCode(fs) != 1 {
		t.Error("malicious passes fail-on high")
	}
}

func TestFlagsOverride(t *testing.T) {
	p, err := Load("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	p.AddIgnore(Ignore{ID: "PYSEC-9"}, "--ignore-vuln")
	p.SetCheck("vulnerability", false, "--disable")
	es := p.Entries()
	find := func(key string) []Entry {
		var out []Entry
		for _, e := range es {
			if e.Key == key {
				out = append(out, e)
			}
		}
		return out
	}
	if e := find("fail-on"); len(e) != 1 || e[0].Value != `"high"` || e[0].Origin != "testdata/both/pyvet.toml:2" {
		t.Errorf("fail-on entry %+v", e)
	}
	if e := find("checks.vulnerability.enabled"); len(e) != 1 || e[0].Value != "false" || e[0].Origin != "--disable" {
		t.Errorf("check entry %+v", e)
	}
	ig := find("ignore")
	if len(ig) != 4 || ig[3].Origin != "--ignore-vuln" || !strings.Contains(ig[1].Value, `expires = 2026-12-31`) {
		t.Errorf("ignore entries %+v", ig)
	}
	if e := find("indexes.allowed"); len(e) != 1 || e[0].Origin != "testdata/both/pyvet.toml:21" {
		t.Errorf("indexes entry %+v", e)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"xd", "-3d", "soon"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/both/pyvet.toml", "testdata/both/pyproject.toml", "testdata/bad/unknown-key.toml", "testdata/bad/no-reason.toml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ignore = [{id = \"X\", reason = \"y\", expires = 2020-01-01T10:00:00}]\nchecks.a.b.c = 1\n"))
	f.Add([]byte("[checks]\nfoo = false\n[severity]\n\"a.b\" = \"low\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "pyvet.toml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pyvet.toml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error does not name the file on one line: %q", err)
			}
			return
		}
		for _, ig := range p.Ignores {
			if ig.ID == "" || ig.Reason == "" {
				t.Fatalf("ignore without id or reason accepted: %+v", ig)
			}
		}
		_ = p.Entries()
		p.Apply([]finding.Finding{{ID: "X", Package: "y", Rule: "r"}}, time.Now())
	})
}

func BenchmarkLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Load("testdata/both"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestShow(t *testing.T) {
	p, err := Flags{FailOn: "critical", Ignore: []string{"PYSEC-1:Django"}}.Resolve("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.Show(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`fail-on = "critical"`, "# --fail-on",
		`licenses.deny = ["GPL-3.0-only"]`, "# testdata/both/pyproject.toml:9",
		`ignore = { id = "PYSEC-1", package = "django", reason = "ignored on the command line" }`,
		`checks.example.enabled = false`, "# testdata/both/pyvet.toml:5 (default true)",
		`checks.example.max-distance = 2`, "# testdata/both/pyvet.toml:6 (default 1)",
		`checks.example.mode = "fast"`,
		`checks.example-health.max-age = "730d"`, `# testdata/both/pyvet.toml:9 (default "365d")`,
		`checks.example-health.exclude = ["legacy-lib"]`,
		`checks.license.enabled = true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, err := (Flags{FailOn: "severe"}).Resolve("testdata/both"); err == nil || !strings.HasPrefix(err.Error(), "--fail-on") {
		t.Errorf("bad --fail-on: %v", err)
	}
	if _, err := (Flags{File: "testdata/bad/syntax.toml"}).Resolve("."); err == nil {
		t.Error("bad --policy file accepted")
	}
}

func TestLicenseAllowed(t *testing.T) {
	p, err := Load("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"MIT": true, "apache-2.0": true, "GPL-3.0-only": false, "MPL-2.0": false} {
		ok, why := p.LicenseAllowed(id)
		if ok != want || (!ok && !strings.Contains(why, "pyvet.toml:18") && !strings.Contains(why, "pyproject.toml:9")) {
			t.Errorf("LicenseAllowed(%s) = %v, %q", id, ok, why)
		}
	}
	if ok, _ := Default().LicenseAllowed("GPL-3.0-only"); !ok {
		t.Error("the default policy refuses a licence")
	}
}

// TestPolicyNamesArePEP503: names written in the policy match the packages
// they name under PEP 503, surrounding spaces ignored; a separator at either
// end is part of the name, so "django-" is not django.
func TestPolicyNamesArePEP503(t *testing.T) {
	src := "[verify]\nrequire-attestations = [\" Zope.Interface \", \"django-\"]\n\n[[ignore]]\nid = \"GHSA-1\"\npackage = \"Foo__Bar \"\nreason = \"r\"\n"
	p, err := Parse([]byte(src), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !p.RequiresAttestation("zope-interface") || !p.RequiresAttestation("zope_interface") || p.RequiresAttestation("django") {
		t.Errorf("require-attestations %q: zope-interface %v, django %v", p.Verify.RequireAttestations, p.RequiresAttestation("zope-interface"), p.RequiresAttestation("django"))
	}
	if len(p.Ignores) != 1 || p.Ignores[0].Package != "foo-bar" {
		t.Errorf("ignores %+v, want package foo-bar", p.Ignores)
	}
	p.AddIgnore(Ignore{ID: "GHSA-2", Package: "Baz.Qux "}, "--ignore-vuln")
	if got := p.Ignores[len(p.Ignores)-1].Package; got != "baz-qux" {
		t.Errorf("--ignore-vuln package %q, want baz-qux", got)
	}
}
