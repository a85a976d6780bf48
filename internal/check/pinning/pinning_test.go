package pinning

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
)

func loadInventory(t testing.TB, path string) *inventory.Inventory {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &inv
}

// key identifies a finding in expectations: rule, package (or title word), file:line.
type key struct {
	rule, pkg, file string
	line            int
}

func keys(fs []finding.Finding) map[key]finding.Finding {
	m := map[key]finding.Finding{}
	for _, f := range fs {
		k := key{rule: f.Rule, pkg: f.Package}
		if f.Location != nil {
			k.file, k.line = filepath.Base(f.Location.File), f.Location.Line
		}
		m[k] = f
	}
	return m
}

func TestCheckRequirementsRules(t *testing.T) {
	inv := loadInventory(t, "testdata/app/inventory.json")
	fs := Check(inv, Config{})
	got := keys(fs)
	want := []struct {
		k   key
		sev finding.Severity
	}{
		{key{RuleUnpinned, "flask", "requirements.txt", 6}, finding.SeverityMedium},
		{key{RuleLoose, "requests", "requirements.txt", 7}, finding.SeverityLow},
		{key{RuleVCSRef, "black", "requirements.txt", 9}, finding.SeverityMedium},
		{key{RuleVCSRef, "click", "requirements.txt", 10}, finding.SeverityMedium},
		{key{RuleVCSRef, "itsdangerous", "requirements.txt", 12}, finding.SeverityMedium},
		{key{RuleURLNoHash, "attrs", "requirements.txt", 13}, finding.SeverityMedium},
		{key{RuleEditable, "shared", "requirements.txt", 15}, finding.SeverityMedium},
		{key{RuleExtraIndex, "", "requirements.txt", 3}, finding.SeverityHigh},
		{key{RuleHTTPIndex, "", "requirements.txt", 3}, finding.SeverityHigh},
		{key{RuleTrustedHost, "", "requirements.txt", 4}, finding.SeverityMedium},
		{key{RuleHTTPIndex, "", "requirements.txt", 5}, finding.SeverityHigh},
		{key{RuleHashMissing, "urllib3", "requirements-hashed.txt", 5}, finding.SeverityHigh},
		{key{RuleHashMode, "chardet", "requirements-hashed.txt", 6}, finding.SeverityHigh},
		{key{RuleHashMissing, "setuptools", "requirements-strict.txt", 2}, finding.SeverityHigh},
	}
	for _, w := range want {
		f, ok := got[w.k]
		if !ok {
			t.Errorf("missing finding %+v", w.k)
			continue
		}
		if f.Severity != w.sev {
			t.Errorf("%+v: severity %v, want %v", w.k, f.Severity, w.sev)
		}
		if f.Risk != finding.RiskUnpinned || f.Title == "" || f.Detail == "" || f.Action == "" {
			t.Errorf("%+v: incomplete finding %+v", w.k, f)
		}
		delete(got, w.k)
	}
	for k, f := range got {
		t.Errorf("unexpected finding %+v: %s", k, f.Title)
	}
	// Things that must not be reported: exact pins, full commits, hashed URLs,
	// editable installs in dev files.
	for _, f := range fs {
		switch f.Package {
		case "django", "jinja2", "six", "devkit", "pytest", "certifi", "idna":
			t.Errorf("%s should not be reported: %s", f.Package, f.Title)
		}
	}
}

func TestCheckLockfileIndexes(t *testing.T) {
	inv := loadInventory(t, "testdata/lock-index.json")
	fs := Check(inv, Config{})
	got := keys(fs)
	if _, ok := got[key{RuleHashMissing, "internal-lib", "uv.lock", 20}]; !ok {
		t.Errorf("missing hash for internal-lib not reported: %v", got)
	}
	if _, ok := got[key{RuleHTTPIndex, "internal-lib", "uv.lock", 20}]; !ok {
		t.Errorf("plain-http index of internal-lib not reported: %v", got)
	}
	if f, ok := got[key{RuleHTTPIndex, "sniffio", "uv.lock", 40}]; !ok || f.Direct || len(f.Path) != 2 || f.Path[0] != "anyio" {
		t.Errorf("plain-http file URL of transitive sniffio not reported with its path: %+v", f)
	}
	for _, f := range fs {
		if f.Package == "myproject" {
			t.Errorf("the project itself must not be reported: %s", f.Title)
		}
	}
	if _, ok := got[key{RuleIndexNotAllow, "internal-lib", "uv.lock", 20}]; ok {
		t.Error("index-not-allowed reported without an allow list")
	}

	// With an allow list that does not include the corporate index.
	p, err := policy.Parse([]byte("[indexes]\nallowed = [\"https://pypi.org/simple/\"]\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	got = keys(Check(inv, ConfigFrom(p)))
	if _, ok := got[key{RuleIndexNotAllow, "internal-lib", "uv.lock", 20}]; !ok {
		t.Errorf("index not in allow list not reported: %v", got)
	}
}

func TestConfigFromPolicy(t *testing.T) {
	inv := loadInventory(t, "testdata/app/inventory.json")
	p, err := policy.Parse([]byte(`
[checks.unapproved-change]
skip-loose = true
disable = ["pin-trusted-host"]
dev-files = ["requirements.txt"]

[checks.pin-vcs-ref]
enabled = false

[indexes]
allowed = ["http://pkgs.internal.example/simple"]
`), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Check(inv, ConfigFrom(p)) {
		switch f.Rule {
		case RuleLoose, RuleTrustedHost, RuleVCSRef, RuleEditable, RuleExtraIndex:
			t.Errorf("rule %s should be off or satisfied by the policy: %s", f.Rule, f.Title)
		}
	}
}

func TestLockStale(t *testing.T) {
	for _, tc := range []struct {
		lock  string
		stale bool
	}{
		{"testdata/poetry-fresh/poetry.lock", false},
		{"testdata/poetry-stale/poetry.lock", true},
		{"testdata/pipenv-fresh/Pipfile.lock", false},
		{"testdata/pdm-stale/pdm.lock", true},
	} {
		fresh, ok, err := LockFresh(tc.lock, os.ReadFile)
		if err != nil || !ok {
			t.Errorf("%s: ok=%v err=%v", tc.lock, ok, err)
			continue
		}
		if fresh == tc.stale {
			t.Errorf("%s: fresh = %v, want %v", tc.lock, fresh, !tc.stale)
		}
		inv := &inventory.Inventory{Sources: []inventory.SourceFile{{Path: tc.lock, Format: filepath.Base(tc.lock)}}}
		fs := Check(inv, Config{})
		var stale *finding.Finding
		for i := range fs {
			if fs[i].Rule == RuleLockStale {
				stale = &fs[i]
			}
		}
		if (stale != nil) != tc.stale {
			t.Errorf("%s: stale finding = %v, want %v", tc.lock, stale != nil, tc.stale)
		}
		if stale != nil && (stale.Location == nil || stale.Location.Line == 0) {
			t.Errorf("%s: stale finding has no line: %+v", tc.lock, stale.Location)
		}
	}
	// The hash computed for the pdm project (with a non-ASCII requirement) is the
	// one pdm's algorithm gives, computed independently with Python's json.dumps.
	want, err := os.ReadFile("testdata/pdm-stale/expected-hash.txt")
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sources: []inventory.SourceFile{{Path: "testdata/pdm-stale/pdm.lock", Format: "pdm.lock"}}}
	fs := Check(inv, Config{})
	if len(fs) != 1 || fs[0].Evidence["computed"] != strings.TrimSpace(string(want)) {
		t.Errorf("pdm content hash: got %+v, want computed %s", fs, want)
	}
}

func TestLockFreshNotALockfile(t *testing.T) {
	_, ok, err := LockFresh("testdata/app/requirements.txt", os.ReadFile)
	if ok || err != nil {
		t.Errorf("requirements file: ok=%v err=%v", ok, err)
	}
}

func TestRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Name == "" || r.Explanation == "" || r.Action == "" || r.Severity == finding.SeverityUnknown {
			t.Errorf("rule %+v incomplete", r)
		}
		if seen[r.ID] {
			t.Errorf("rule %s twice", r.ID)
		}
		seen[r.ID] = true
		if got, ok := LookupRule(r.ID); !ok || got.ID != r.ID {
			t.Errorf("LookupRule(%s) = %v, %v", r.ID, got, ok)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact("https://user:secret@pkgs.example/simple"); got != "https://***@pkgs.example/simple" {
		t.Errorf("redact = %s", got)
	}
	inv := &inventory.Inventory{Index: inventory.IndexOptions{ExtraIndexURLs: []string{"https://tok:XYZ@corp.example/simple"}}}
	for _, f := range Check(inv, Config{}) {
		if strings.Contains(f.Title, "XYZ") {
			t.Errorf("credential leaked: %s", f.Title)
		}
	}
}

func TestCheckNil(t *testing.T) {
	if fs := Check(nil, Config{}); fs != nil {
		t.Errorf("Check(nil) = %v", fs)
	}
	if fs := Check(&inventory.Inventory{Packages: []*inventory.Package{nil}}, Config{}); len(fs) != 0 {
		t.Errorf("Check(nil package) = %v", fs)
	}
}

func BenchmarkCheck(b *testing.B) {
	base := loadInventory(b, "testdata/app/inventory.json")
	inv := &inventory.Inventory{Sources: base.Sources, Index: base.Index}
	for i := 0; i < 100; i++ {
		for _, p := range base.Packages {
			cp := *p
			cp.Name = p.Name + "-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			inv.Packages = append(inv.Packages, &cp)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Check(inv, Config{})
	}
}

func TestProjectAndCondaPackages(t *testing.T) {
	inv := &inventory.Inventory{
		Sources: []inventory.SourceFile{{Path: "testdata/lock/uv.lock", Format: "uv.lock"}, {Path: "environment.yml", Format: "environment.yml"}},
		Packages: []*inventory.Package{
			{Name: "me", Project: true, Source: inventory.Source{Kind: inventory.SourcePath, Path: ".", Editable: true},
				Locations: []inventory.Location{{File: "requirements.txt", Line: 1}}},
			{Name: "numpy", Specifier: ">=1.21", Source: inventory.Source{Kind: inventory.SourceConda}, Direct: true,
				Locations: []inventory.Location{{File: "environment.yml", Line: 5}}},
		},
	}
	got := keys(Check(inv, Config{}))
	if len(got) != 1 {
		t.Errorf("findings %v", got)
	}
	if _, ok := got[key{RuleLoose, "numpy", "environment.yml", 5}]; !ok {
		t.Errorf("loose conda spec not reported: %v", got)
	}
}

// compareLock compares lock (a lockfile of kind "poetry.lock", "pdm.lock"
// or "Pipfile.lock" in the directory of path) with the project file proj,
// as its format does.
func compareLock(kind, path string, lock []byte, project string, proj []byte) (*inventory.LockState, error) {
	f := inventory.FormatOf(kind)
	read := func(p string) ([]byte, error) { return proj, nil }
	return f.Lock.Fresh(filepath.Join(filepath.Dir(path), kind), lock, read)
}

func FuzzCompareLock(f *testing.F) {
	for _, dir := range []string{"testdata/poetry-fresh", "testdata/pdm-stale"} {
		lockName := "poetry.lock"
		if strings.Contains(dir, "pdm") {
			lockName = "pdm.lock"
		}
		lock, err := os.ReadFile(filepath.Join(dir, lockName))
		if err != nil {
			f.Fatal(err)
		}
		proj, err := os.ReadFile(filepath.Join(dir, "pyproject.toml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(lockName, lock, proj)
	}
	lock, _ := os.ReadFile("testdata/pipenv-fresh/Pipfile.lock")
	proj, _ := os.ReadFile("testdata/pipenv-fresh/Pipfile")
	f.Add("Pipfile.lock", lock, proj)
	f.Fuzz(func(t *testing.T, kind string, lock, proj []byte) {
		switch kind {
		case "poetry.lock", "pdm.lock", "Pipfile.lock":
		default:
			kind = "poetry.lock"
		}
		st, err := compareLock(kind, "x/"+kind, lock, "x/project", proj)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "x/") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error does not name the file on one line: %q", err)
			}
			return
		}
		if st != nil && st.Fresh && !strings.EqualFold(st.Computed, st.Recorded) {
			t.Fatalf("fresh with different hashes: %+v", st)
		}
	})
}

func TestPathFromDirectDependency(t *testing.T) {
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "web", Version: "1.0", Direct: true},
		{Name: "mid", Parents: []string{"web"}}, // no declaration of its own: not reported
		{Name: "leaf", Parents: []string{"mid"}, Source: inventory.Source{Kind: inventory.SourceVCS, URL: "https://example.com/leaf", Ref: "main"},
			Locations: []inventory.Location{{File: "uv.lock", Line: 9}}},
	}}
	fs := Check(inv, Config{})
	if len(fs) != 1 || strings.Join(fs[0].Path, ">") != "web>mid>leaf" || fs[0].Direct {
		t.Errorf("findings %+v", fs)
	}
}

func TestProjectFileRangesAreLessSevere(t *testing.T) {
	inv := &inventory.Inventory{
		Sources: []inventory.SourceFile{{Path: "pyproject.toml", Format: "pyproject.toml"}, {Path: "requirements.txt", Format: "requirements"}},
		Packages: []*inventory.Package{
			{Name: "attrs", Specifier: ">=22", Direct: true, Locations: []inventory.Location{{File: "pyproject.toml", Line: 5}}},
			{Name: "rich", Direct: true, Locations: []inventory.Location{{File: "pyproject.toml", Line: 6}}},
			{Name: "click", Specifier: ">=8", Direct: true, Locations: []inventory.Location{{File: "pyproject.toml", Line: 7}, {File: "requirements.txt", Line: 1}}},
		},
	}
	got := keys(Check(inv, Config{}))
	for k, sev := range map[key]finding.Severity{
		{RuleLoose, "attrs", "pyproject.toml", 5}:   finding.SeverityInfo,
		{RuleUnpinned, "rich", "pyproject.toml", 6}: finding.SeverityLow,
		{RuleLoose, "click", "pyproject.toml", 7}:   finding.SeverityLow, // also in a requirements file
	} {
		f, ok := got[k]
		if !ok || f.Severity != sev {
			t.Errorf("%+v: %v %v, want severity %v", k, ok, f.Severity, sev)
		}
		if ok && k.pkg != "click" && !strings.Contains(f.Title, "no lockfile pins it") {
			t.Errorf("%+v: title %q", k, f.Title)
		}
	}
}
