package remedy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

func testDB(t testing.TB) *advisory.DB {
	t.Helper()
	db, err := advisory.Open(filepath.Join("testdata", "osv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pkg(name, version, spec, file string, line int) *inventory.Package {
	return &inventory.Package{Name: name, Version: version, Specifier: spec, Direct: true,
		Source: inventory.Source{Kind: inventory.SourceIndex}, Locations: []inventory.Location{{File: file, Line: line}}}
}

func fixesByName(p *Plan) map[string]Fix {
	m := map[string]Fix{}
	for _, f := range p.Fixes {
		m[f.Name] = f
	}
	return m
}

func TestComputeOffline(t *testing.T) {
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		pkg("requests", "2.19.0", "", "r.txt", 1),
		pkg("urllib3", "1.23", "", "r.txt", 2),
		pkg("django", "", ">=2.0,<4.0", "r.txt", 3),
		pkg("jinja2", "", ">=2.8", "r.txt", 4),
		pkg("six", "1.10.0", "", "r.txt", 5),
	}}
	fixes := fixesByName(Compute(context.Background(), inv, testDB(t), Options{}))
	// 2.20.0 clears PYSEC-T-1 but is itself affected by PYSEC-T-2.
	if f := fixes["requests"]; f.To != "2.20.1" || strings.Join(f.Advisories, ",") != "PYSEC-T-1" || f.FromIndex {
		t.Errorf("requests fix = %+v", f)
	}
	if f := fixes["urllib3"]; f.To != "1.24.2" {
		t.Errorf("urllib3 fix = %+v", f)
	}
	// The only fix is outside the declared upper bound.
	if f := fixes["django"]; f.To != "" || !strings.Contains(f.Reason, "constraints") {
		t.Errorf("django fix = %+v", f)
	}
	// A range: the new lower bound must leave no affected version allowed.
	if f := fixes["jinja2"]; f.To != "2.10.1" || strings.Join(f.From, ",") != ">=2.8" {
		t.Errorf("jinja2 fix = %+v", f)
	}
	if _, ok := fixes["six"]; ok {
		t.Error("six is not vulnerable")
	}
}

func TestComputeWithIndex(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("testdata", "index")})
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 5 * time.Second, Retries: -1})
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		pkg("urllib3", "1.23", "", "r.txt", 1),
		pkg("requests", "2.19.0", "", "r.txt", 2), // not on the index: falls back to the advisories
	}}
	fixes := fixesByName(Compute(context.Background(), inv, testDB(t), Options{Index: client}))
	f := fixes["urllib3"]
	// 1.24.1 is affected, 1.24.2 is yanked, 2.0.0a1 is a pre-release.
	if f.To != "1.24.3" || !f.FromIndex {
		t.Fatalf("urllib3 fix = %+v", f)
	}
	want := []string{hashOf("urllib3-1.24.3-py2.py3-none-any.whl"), hashOf("urllib3-1.24.3.tar.gz")}
	if strings.Join(f.Hashes, " ") != strings.Join(uniq(want), " ") {
		t.Errorf("hashes = %v, want %v", f.Hashes, want)
	}
	if r := fixes["requests"]; r.To != "2.20.1" || r.FromIndex {
		t.Errorf("requests fix = %+v", r)
	}
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// End to end on files: plan, rewrite, write, and a second pass changes nothing.
func TestRewriteAndWrite(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	pyp := filepath.Join(dir, "pyproject.toml")
	lock := filepath.Join(dir, "uv.lock")
	os.WriteFile(req, []byte("# top\nrequests==2.19.0  # client\nurllib3==1.23 \\\n    --hash=sha256:"+strings.Repeat("0", 64)+"\n"), 0o600)
	os.WriteFile(pyp, []byte("[project]\nname = \"x\"\ndependencies = [\"jinja2>=2.8\"]\n"), 0o644)
	inv := &inventory.Inventory{
		Sources: []inventory.SourceFile{{Path: req, Format: "requirements"}, {Path: pyp, Format: "pyproject.toml"}, {Path: lock, Format: "uv.lock"}},
		Packages: []*inventory.Package{
			pkg("requests", "2.19.0", "", req, 2),
			pkg("urllib3", "1.23", "", req, 3),
			pkg("jinja2", "", ">=2.8", pyp, 3),
			pkg("jinja2", "2.9", "", lock, 10),
		},
	}
	db := testDB(t)
	plan := Compute(context.Background(), inv, db, Options{})
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 {
		t.Fatalf("files = %d", len(res.Files))
	}
	if strings.Join(res.Commands, "\n") != "uv lock --upgrade-package jinja2==2.10.1" {
		t.Errorf("commands = %q", res.Commands)
	}
	sum := res.Summary()
	for _, s := range []string{"requests 2.19.0 -> 2.20.1", "requirements.txt:3: urllib3: its --hash options name the files of 1.23 and the hashes of 1.24.2 could not be fetched", "uv lock --upgrade-package"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
	if err := Write(res.Files); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(req)
	// Offline, the hashed urllib3 pin stays as it is: its hashes are 1.23's.
	if string(got) != "# top\nrequests==2.20.1  # client\nurllib3==1.23 \\\n    --hash=sha256:"+strings.Repeat("0", 64)+"\n" {
		t.Errorf("requirements.txt:\n%s", got)
	}
	if st, _ := os.Stat(req); st.Mode().Perm() != 0o600 {
		t.Errorf("mode changed to %v", st.Mode())
	}
	// Second pass: the written versions, re-planned, need nothing but the
	// hashed pin that could not be moved.
	inv.Sources = inv.Sources[:2]
	inv.Packages = []*inventory.Package{
		pkg("requests", "2.20.1", "", req, 2),
		pkg("urllib3", "1.23", "", req, 3),
		pkg("jinja2", "", ">=2.10.1", pyp, 3),
	}
	plan2 := Compute(context.Background(), inv, db, Options{})
	if len(plan2.Fixes) != 1 || plan2.Fixes[0].Name != "urllib3" {
		t.Errorf("second plan = %+v", plan2.Fixes)
	}
	// And rewriting with the first plan again changes no byte.
	res2, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Files) != 0 {
		t.Errorf("second rewrite changed %d files", len(res2.Files))
	}
}

func TestWriteErrors(t *testing.T) {
	err := Write([]FileChange{{Path: filepath.Join(t.TempDir(), "missing.txt"), New: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("error = %v", err)
	}
	inv := &inventory.Inventory{Packages: []*inventory.Package{pkg("requests", "2.19.0", "", filepath.Join(t.TempDir(), "gone.txt"), 1)}}
	inv.Sources = []inventory.SourceFile{{Path: inv.Packages[0].Locations[0].File, Format: "requirements"}}
	if _, err := Rewrite(inv, Compute(context.Background(), inv, testDB(t), Options{})); err == nil || !strings.Contains(err.Error(), "gone.txt") {
		t.Errorf("rewrite error = %v", err)
	}
}

func TestLockCommands(t *testing.T) {
	for _, c := range []struct {
		format string
		direct bool
		want   string
	}{
		{"uv.lock", false, "uv lock --upgrade-package pkg==1.2"},
		{"poetry.lock", false, "poetry update pkg"},
		{"poetry.lock", true, "poetry add pkg@^1.2"},
		{"pdm.lock", false, "pdm update pkg"},
		{"Pipfile.lock", false, "pipenv upgrade pkg==1.2"},
		{"requirements", false, ""},
	} {
		if got := lockCommand(c.format, "pkg", "1.2", c.direct); got != c.want {
			t.Errorf("lockCommand(%s) = %q, want %q", c.format, got, c.want)
		}
	}
}

func BenchmarkRewriteRequirements(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		sb.WriteString("package" + strings.Repeat("x", i%5) + "==1.0 \\\n    --hash=sha256:" + strings.Repeat("a", 64) + "  # via something\n")
	}
	sb.WriteString("requests==2.19.0\n")
	data := []byte(sb.String())
	ch := testChanges()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		RewriteRequirements("r.txt", data, ch)
	}
}

func BenchmarkCompute(b *testing.B) {
	db := testDB(b)
	inv := &inventory.Inventory{}
	for i := 0; i < 500; i++ {
		inv.Packages = append(inv.Packages, pkg("pkg"+strings.Repeat("y", i%9)+string(rune('a'+i%26)), "1.0", "", "r.txt", i))
	}
	inv.Packages = append(inv.Packages, pkg("requests", "2.19.0", "", "r.txt", 1))
	for i := 0; i < b.N; i++ {
		Compute(context.Background(), inv, db, Options{})
	}
}

// A locked version merged with its declared range: the range's upper bound
// is a constraint the upgrade must respect.
func TestComputeLockedWithRange(t *testing.T) {
	p := pkg("requests", "2.19.0", ">=2.0,<2.20.1", "poetry.lock", 1)
	fixes := fixesByName(Compute(context.Background(), &inventory.Inventory{Packages: []*inventory.Package{p}}, testDB(t), Options{}))
	if f := fixes["requests"]; f.To != "" || !strings.Contains(f.Reason, "constraints") {
		t.Errorf("fix = %+v", f)
	}
	p.Specifier = ">=2.0,<3"
	fixes = fixesByName(Compute(context.Background(), &inventory.Inventory{Packages: []*inventory.Package{p}}, testDB(t), Options{}))
	if f := fixes["requests"]; f.To != "2.20.1" {
		t.Errorf("fix = %+v", f)
	}
}

// Online, a hashed pin gets the new version's file hashes from the index.
func TestHashRefreshFromIndex(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("testdata", "index")})
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 5 * time.Second, Retries: -1})
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	old := "urllib3==1.23 \\\r\n    --hash=sha256:" + strings.Repeat("1", 64) + " \\\r\n    --hash=sha256:" + strings.Repeat("2", 64) + "\r\n    # via requests\r\n"
	if err := os.WriteFile(req, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{
		Sources:  []inventory.SourceFile{{Path: req, Format: "requirements"}},
		Packages: []*inventory.Package{pkg("urllib3", "1.23", "", req, 1)},
	}
	res, err := Rewrite(inv, Compute(context.Background(), inv, testDB(t), Options{Index: client}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || len(res.Edits) != 1 || !res.Edits[0].HashesRefreshed {
		t.Fatalf("result = %+v", res)
	}
	h := uniq([]string{hashOf("urllib3-1.24.3-py2.py3-none-any.whl"), hashOf("urllib3-1.24.3.tar.gz")})
	want := "urllib3==1.24.3 \\\r\n    --hash=" + h[0] + " \\\r\n    --hash=" + h[1] + "\r\n    # via requests\r\n"
	if got := string(res.Files[0].New); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

// A vulnerable package known only from an installed environment has nothing
// to edit: the result says so instead of claiming success.
func TestRewriteNothingToEdit(t *testing.T) {
	p := pkg("requests", "2.19.0", "", "venv/lib/site-packages/requests-2.19.0.dist-info", 0)
	inv := &inventory.Inventory{
		Sources:  []inventory.SourceFile{{Path: "venv", Format: "virtualenv"}},
		Packages: []*inventory.Package{p},
	}
	res, err := Rewrite(inv, Compute(context.Background(), inv, testDB(t), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 0 || len(res.Manual) != 1 || !strings.Contains(res.Manual[0], "requests: no requirements file") {
		t.Errorf("result = %+v", res)
	}
}

func BenchmarkRewritePyproject(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[project]\nname = \"x\"\ndependencies = [\n")
	for i := 0; i < 1000; i++ {
		sb.WriteString("    \"package" + strings.Repeat("z", i%7) + string(rune('a'+i%26)) + ">=1.0,<2; python_version >= '3.8'\",  # note\n")
	}
	sb.WriteString("    \"requests>=2.0\",\n]\n[tool.poetry.dependencies]\nurllib3 = { version = \"1.23\", extras = [\"socks\"] }\n")
	data := []byte(sb.String())
	ch := testChanges()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, _, err := RewritePyproject("pyproject.toml", data, ch); err != nil {
			b.Fatal(err)
		}
	}
}

// An index that only has the Simple API still gives releases, yanked status
// and hashes.
func TestComputeSimpleOnlyIndex(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{SimpleJSON: filepath.Join("testdata", "simple")})
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 5 * time.Second, Retries: -1})
	inv := &inventory.Inventory{Packages: []*inventory.Package{pkg("jinja2", "2.10", "", "r.txt", 1)}}
	f := fixesByName(Compute(context.Background(), inv, testDB(t), Options{Index: client}))["jinja2"]
	// 2.10.1 fixes the advisory but is yanked.
	if f.To != "2.10.3" || !f.FromIndex {
		t.Fatalf("fix = %+v", f)
	}
	want := uniq([]string{hashOf("Jinja2-2.10.3-py2.py3-none-any.whl"), hashOf("Jinja2-2.10.3.tar.gz")})
	if strings.Join(f.Hashes, " ") != strings.Join(want, " ") {
		t.Errorf("hashes = %v", f.Hashes)
	}
}

// Two pins of one package for different environments: only the vulnerable
// one moves, and the clean newer pin neither raises the target nor changes.
func TestPinsPerEnvironment(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	text := "requests==2.19.0; python_version < \"3.8\"\nrequests==2.25.0; python_version >= \"3.8\"\n"
	os.WriteFile(req, []byte(text), 0o644)
	a, b := pkg("requests", "2.19.0", "==2.19.0", req, 1), pkg("requests", "2.25.0", "==2.25.0", req, 2)
	inv := &inventory.Inventory{Sources: []inventory.SourceFile{{Path: req, Format: "requirements"}}, Packages: []*inventory.Package{a, b}}
	plan := Compute(context.Background(), inv, testDB(t), Options{})
	if len(plan.Fixes) != 1 || plan.Fixes[0].To != "2.20.1" || strings.Join(plan.Fixes[0].From, ",") != "2.19.0" {
		t.Fatalf("plan = %+v", plan.Fixes)
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || string(res.Files[0].New) != strings.Replace(text, "2.19.0", "2.20.1", 1) {
		t.Errorf("result:\n%s", res.Files[0].Diff())
	}
}
