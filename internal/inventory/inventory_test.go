package inventory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep508"
)

// find returns the packages named name.
func find(inv *Inventory, name string) []*Package {
	var out []*Package
	for _, p := range inv.Packages {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

func one(t *testing.T, inv *Inventory, name string) *Package {
	t.Helper()
	ps := find(inv, name)
	if len(ps) != 1 {
		t.Fatalf("want exactly one %s, got %d (inventory: %v)", name, len(ps), names(inv))
	}
	return ps[0]
}

func names(inv *Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		out = append(out, p.Name+"=="+p.Version+p.Specifier)
	}
	return out
}

func mustParseFile(t *testing.T, path string, opts Options) *Inventory {
	t.Helper()
	inv, err := ParseFile(path, FormatUnknown, opts)
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", path, err)
	}
	return inv
}

func envLookup(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestRequirementsFeatures(t *testing.T) {
	file := filepath.Join("testdata", "req", "requirements.txt")
	inv := mustParseFile(t, file, Options{LookupEnv: envLookup(map[string]string{"TOKEN_VERSION": "1.2.3"})})

	dj := one(t, inv, "django")
	if dj.Version != "3.2.0" || !dj.Direct || dj.Locations[0].Line != 8 {
		t.Errorf("django = %+v", dj)
	}
	if !reflect.DeepEqual(dj.Hashes, []string{"sha256:aaaa", "sha256:bbbb"}) {
		t.Errorf("django hashes = %v", dj.Hashes)
	}
	rq := one(t, inv, "requests")
	if rq.Version != "" || rq.Specifier == "" || !reflect.DeepEqual(rq.Extras, []string{"security", "socks"}) || !strings.Contains(rq.Marker, "python_version") {
		t.Errorf("requests = %+v", rq)
	}
	if tok := one(t, inv, "token"); tok.Version != "1.2.3" {
		t.Errorf("${TOKEN_VERSION} not expanded: %+v", tok)
	}
	vcs := one(t, inv, "vcsproj")
	if vcs.Source.Kind != SourceVCS || vcs.Source.VCS != "git" || vcs.Source.URL != "git+https://github.com/example/vcsproj.git" || vcs.Source.Ref != "main" || vcs.Source.Commit != "" {
		t.Errorf("vcsproj source = %+v", vcs.Source)
	}
	ed := one(t, inv, "editable-pkg")
	if !ed.Source.Editable || ed.Source.Kind != SourceVCS || ed.Source.Commit != "0123456789abcdef0123456789abcdef01234567" || ed.Source.URL != "git+ssh://git@github.com/example/editable.git" {
		t.Errorf("editable source = %+v", ed.Source)
	}
	fl := one(t, inv, "flask")
	if fl.Version != "3.0.0" || fl.Source.Kind != SourceURL {
		t.Errorf("flask = %+v", fl)
	}
	pk := one(t, inv, "pkg")
	if pk.Version != "1.0" || pk.Source.Kind != SourcePath || !strings.HasSuffix(pk.Source.Path, "req/local/pkg-1.0.tar.gz") {
		t.Errorf("local archive = %+v", pk)
	}
	// The include and the constraint file.
	six := one(t, inv, "six")
	if six.Version != "1.16.0" || !reflect.DeepEqual(six.Hashes, []string{"sha256:cccc"}) || six.Locations[0].File != filepath.Join("testdata", "req", "base.txt") {
		t.Errorf("six = %+v", six)
	}
	clicks := find(inv, "click")
	if len(clicks) != 2 {
		t.Fatalf("want the click requirement and its constraint, got %v", names(inv))
	}
	urllib := one(t, inv, "urllib3")
	if !urllib.Constraint || urllib.Direct {
		t.Errorf("constraint-only urllib3 = %+v", urllib)
	}
	ix := inv.Index
	if ix.IndexURL != "https://pypi.example.org/simple" || !reflect.DeepEqual(ix.ExtraIndexURLs, []string{"https://extra.example.org/simple"}) ||
		!reflect.DeepEqual(ix.TrustedHosts, []string{"extra.example.org"}) || len(ix.Locations) != 3 || ix.Locations[1].Line != 3 {
		t.Errorf("index options = %+v", ix)
	}
	if len(find(inv, "pywin32")) != 1 {
		t.Errorf("without a target environment every marker is kept")
	}
	linux := mustParseFile(t, file, Options{Env: pep508.DefaultEnv("3.12", "linux")})
	if len(find(linux, "pywin32")) != 0 || len(find(linux, "requests")) != 1 {
		t.Errorf("linux target: %v", names(linux))
	}
	if got := one(t, linux, "token"); got.Version != "" || got.Specifier != "" {
		t.Errorf("a requirement with an unset variable is unpinned, got %+v", got)
	}
	if !strings.Contains(strings.Join(linux.Warnings, "\n"), "requirements.txt:13: environment variable TOKEN_VERSION is not set") {
		t.Errorf("unset variable not reported: %v", linux.Warnings)
	}
	noInc := mustParseFile(t, file, Options{NoIncludes: true})
	if len(find(noInc, "six")) != 0 || len(find(noInc, "urllib3")) != 0 {
		t.Errorf("NoIncludes followed includes: %v", names(noInc))
	}
}

func TestRequirementsMergedByLoad(t *testing.T) {
	inv, err := Load([]string{filepath.Join("testdata", "req", "requirements.txt")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := one(t, inv, "click")
	if c.Version != "8.1.7" || !c.Direct || c.Constraint || len(c.Locations) != 2 {
		t.Errorf("click requirement + constraint = %+v", c)
	}
}

func TestRequirementsErrors(t *testing.T) {
	_, err := ParseFile(filepath.Join("testdata", "req", "bad.txt"), FormatUnknown, Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.HasPrefix(err.Error(), filepath.Join("testdata", "req", "bad.txt")+":3: ") {
		t.Fatalf("want a ParseError at line 3, got %v", err)
	}
	for _, src := range []string{"--hash\n", "requests==1 -r\n", "-e\n", "foo @\n", "-e ./\n"} {
		_, err := ParseRequirements("x.txt", []byte(src), Options{})
		if err == nil {
			continue
		}
		if !strings.HasPrefix(err.Error(), "x.txt:1: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q is not one line naming x.txt:1", src, err)
		}
	}
}

func TestRequirementsContinuationAndComments(t *testing.T) {
	src := "# comment \\\nalpha==1.0 \\\n  --hash=sha256:01 \\\n  --hash=sha256:02\n\nbeta==2.0 # note\ngamma==3.0;python_version<'3'\n"
	inv, err := ParseRequirements("r.txt", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := one(t, inv, "alpha")
	if a.Locations[0].Line != 2 || len(a.Hashes) != 2 {
		t.Errorf("alpha = %+v", a)
	}
	if b := one(t, inv, "beta"); b.Version != "2.0" || b.Locations[0].Line != 6 {
		t.Errorf("beta = %+v", b)
	}
	if g := one(t, inv, "gamma"); g.Marker == "" {
		t.Errorf("gamma marker lost: %+v", g)
	}
}

func TestEditableLines(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"editable", "other", "my pkg"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := "-e ./editable[d, dev] ; python_version >= \"3.9\"\n--editable ./other --config-settings=x\n-e ./my pkg\n"
	file := filepath.Join(dir, "r.txt")
	inv, err := ParseRequirements(file, []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := one(t, inv, "editable")
	if !e.Source.Editable || !reflect.DeepEqual(e.Extras, []string{"d", "dev"}) || !strings.Contains(e.Marker, "3.9") || e.Source.Path != filepath.ToSlash(filepath.Join(dir, "editable")) {
		t.Errorf("editable = %+v", e)
	}
	if o := one(t, inv, "other"); !o.Source.Editable || o.Locations[0].Line != 2 {
		t.Errorf("other = %+v", o)
	}
	if m := one(t, inv, "my-pkg"); m.Source.Path != filepath.ToSlash(filepath.Join(dir, "my pkg")) {
		t.Errorf("path with a space = %+v", m)
	}
	// A path that does not exist and names no project is an error, as for
	// pip; an archive's file name or #egg= names it without the file.
	_, err = ParseRequirements(file, []byte("six==1.16.0\n-e ./missing\n"), Options{})
	wantErr(t, err, file+":2: ", `"./missing"`, "not a requirement, a URL or an existing path")
	inv, err = ParseRequirements(file, []byte("./dist/demo-1.0.tar.gz\n./gone#egg=gone\n"), Options{})
	if err != nil || len(inv.Packages) != 2 {
		t.Errorf("named missing paths: %v %v", err, inv)
	}
}

func TestCompiledViaAnnotations(t *testing.T) {
	inv := mustParseFile(t, filepath.Join("testdata", "req", "compiled.txt"), Options{})
	if c := one(t, inv, "certifi"); c.Direct || !reflect.DeepEqual(c.Parents, []string{"requests"}) {
		t.Errorf("certifi = %+v", c)
	}
	if i := one(t, inv, "idna"); i.Direct || !reflect.DeepEqual(i.Parents, []string{"requests", "yarl"}) {
		t.Errorf("idna = %+v", i)
	}
	if r := one(t, inv, "requests"); !r.Direct || !reflect.DeepEqual(r.Requires, []string{"certifi", "idna"}) {
		t.Errorf("requests = %+v", r)
	}
}

func TestPyproject(t *testing.T) {
	file := filepath.Join("testdata", "project", "pyproject.toml")
	inv := mustParseFile(t, file, Options{})
	if r := one(t, inv, "requests"); r.Specifier != ">=2.31" || r.Locations[0].Line != 5 || !r.Direct {
		t.Errorf("requests = %+v", r)
	}
	if y := one(t, inv, "pyyaml"); y.Version != "6.0.1" {
		t.Errorf("pyyaml = %+v", y)
	}
	if c := one(t, inv, "click"); !reflect.DeepEqual(c.Groups, []string{"cli"}) || c.Locations[0].Line != 11 {
		t.Errorf("click = %+v", c)
	}
	if p := one(t, inv, "pytest"); !reflect.DeepEqual(p.Groups, []string{"test"}) {
		t.Errorf("pytest = %+v", p)
	}
	ruff := find(inv, "ruff")
	if len(ruff) != 2 { // in lint, and in test through include-group
		t.Errorf("ruff = %v", names(inv))
	}
	if a := one(t, inv, "attrs"); a.Specifier != ">=21.2.0,<22.0.0" || a.Locations[0].Line != 20 {
		t.Errorf("attrs = %+v", a)
	}
	if tz := one(t, inv, "toolz"); tz.Specifier != ">=0.12,<0.13" {
		t.Errorf("toolz = %+v", tz)
	}
	if m := one(t, inv, "mylib"); m.Source.Kind != SourceVCS || m.Source.Ref != "v1.0" {
		t.Errorf("mylib = %+v", m)
	}
	if l := one(t, inv, "local"); l.Source.Kind != SourcePath || !l.Source.Editable || l.Source.Path != filepath.Join("testdata", "local") {
		t.Errorf("local = %+v", l)
	}
	if s := one(t, inv, "sphinx"); s.Version != "7.2.6" || !reflect.DeepEqual(s.Groups, []string{"docs"}) {
		t.Errorf("sphinx = %+v", s)
	}
	if len(find(inv, "python")) != 0 {
		t.Errorf("python itself is not a dependency")
	}
	if l := one(t, inv, "internal-lib"); l.Index != "https://pypi.internal.example.org/simple" || l.Specifier != ">=1.0,<2.0" {
		t.Errorf("internal-lib = %+v", l)
	}
	if ix := inv.Index; ix.IndexURL != "https://mirror.example.org/simple" || len(ix.ExtraIndexURLs) != 1 || len(ix.Locations) != 2 || ix.Locations[1].Line != 31 {
		t.Errorf("index options = %+v", ix)
	}
	if len(find(inv, "demo")) != 0 {
		t.Errorf("the project's own extras (demo[cli]) are not a dependency")
	}
}

func TestPyprojectErrors(t *testing.T) {
	cases := map[string]string{
		"[project]\ndependencies = [\"ok\", \"==1\"]\n":                                       "pyproject.toml:2: ",
		"[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n": "include cycle",
		"[project\n": "pyproject.toml:1: invalid TOML",
	}
	for src, want := range cases {
		_, err := ParsePyproject("pyproject.toml", []byte(src), Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error containing %q, got %v", src, want, err)
		}
	}
}

func TestPoetryConstraint(t *testing.T) {
	cases := map[string]string{
		"^1.2.3":        ">=1.2.3,<2.0.0",
		"^0.2.3":        ">=0.2.3,<0.3.0",
		"^0.0.3":        ">=0.0.3,<0.0.4",
		"^0":            ">=0,<1",
		"^2":            ">=2,<3",
		"~1.2.3":        ">=1.2.3,<1.3.0",
		"~1.2":          ">=1.2,<1.3",
		"~1":            ">=1,<2",
		"~=1.4":         "~=1.4",
		"1.2.*":         "==1.2.*",
		"1.2.3":         "==1.2.3",
		"*":             "",
		">=1.0,<2.0":    ">=1.0,<2.0",
		">= 1.2, < 1.5": ">=1.2,<1.5",
		">=1.2 <1.5":    ">=1.2,<1.5",
		"!=1.3":         "!=1.3",
		// The epoch is kept in the upper bound.
		"^1!2.3":   ">=1!2.3,<1!3.0",
		"^1!0.2.3": ">=1!0.2.3,<1!0.3.0",
		"~2!1.2.3": ">=2!1.2.3,<2!1.3.0",
		"~1!1":     ">=1!1,<1!2",
		// Pre-releases bound at the next release; huge numbers stay exact.
		"^1.2.3a1":                ">=1.2.3a1,<2.0.0",
		"^99999999999999999999.1": ">=99999999999999999999.1,<100000000000000000000.0",
	}
	for in, want := range cases {
		got, err := PoetryConstraint(in)
		if err != nil || got != want {
			t.Errorf("PoetryConstraint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := PoetryConstraint("^1.0 || ^2.0"); err == nil || got != "" {
		t.Errorf("a union must be reported, got %q, %v", got, err)
	}
}

func TestUVLockProject(t *testing.T) {
	inv := mustParseFile(t, filepath.Join("testdata", "project", "uv.lock"), Options{})
	if len(inv.Packages) != 7 {
		t.Fatalf("packages = %v", names(inv))
	}
	demo := one(t, inv, "demo")
	if !demo.Project || demo.Direct || !demo.Source.Editable {
		t.Errorf("demo = %+v", demo)
	}
	for _, n := range []string{"requests", "pyyaml", "click", "pytest"} {
		if !one(t, inv, n).Direct {
			t.Errorf("%s should be direct", n)
		}
	}
	if g := one(t, inv, "click").Groups; !reflect.DeepEqual(g, []string{"cli"}) {
		t.Errorf("click groups = %v", g)
	}
	c := one(t, inv, "certifi")
	if c.Direct || !reflect.DeepEqual(c.Parents, []string{"requests"}) || c.Locations[0].Line != 6 || c.Index != "https://pypi.org/simple" {
		t.Errorf("certifi = %+v", c)
	}
	want := []File{
		{Name: "certifi-2024.2.2.tar.gz", URL: "https://files.example.org/certifi-2024.2.2.tar.gz", Hashes: []string{"sha256:1111"}, Size: 10},
		{Name: "certifi-2024.2.2-py3-none-any.whl", URL: "https://files.example.org/certifi-2024.2.2-py3-none-any.whl", Hashes: []string{"sha256:2222"}, Size: 20},
	}
	if !reflect.DeepEqual(c.Files, want) || len(c.Hashes) != 2 {
		t.Errorf("certifi files = %+v", c.Files)
	}
	pt := one(t, inv, "pytest")
	if pt.Source.Kind != SourceVCS || pt.Source.URL != "https://github.com/pytest-dev/pytest" || pt.Source.Ref != "8.0.0" || pt.Source.Commit != "abcdefabcdefabcdefabcdefabcdefabcdefabcd" {
		t.Errorf("pytest source = %+v", pt.Source)
	}
}

func TestUVLockEnvironment(t *testing.T) {
	file := filepath.Join("testdata", "project", "uv.lock")
	linux := mustParseFile(t, file, Options{Env: pep508.DefaultEnv("3.12", "linux")})
	if len(linux.Packages) != 6 || len(find(linux, "colorama")) != 0 {
		t.Errorf("linux: %v", names(linux))
	}
	if r := one(t, linux, "requests"); !reflect.DeepEqual(r.Requires, []string{"certifi"}) {
		t.Errorf("linux requests requires %v", r.Requires)
	}
	win := mustParseFile(t, file, Options{Env: pep508.DefaultEnv("3.12", "win32")})
	if c := one(t, win, "colorama"); c.Direct || !reflect.DeepEqual(c.Parents, []string{"requests"}) {
		t.Errorf("win32 colorama = %+v", c)
	}
}

func TestLoadProjectMergesLockAndManifest(t *testing.T) {
	inv, err := Load([]string{filepath.Join("testdata", "project")}, Options{Env: pep508.DefaultEnv("3.12", "linux")})
	if err != nil {
		t.Fatal(err)
	}
	r := one(t, inv, "requests")
	if r.Version != "2.31.0" || !r.Direct || len(r.Locations) != 2 || r.Specifier != ">=2.31" {
		t.Errorf("requests = %+v", r)
	}
	if len(find(inv, "colorama")) != 0 {
		t.Errorf("win32-only colorama kept for linux")
	}
	if len(inv.Sources) != 2 {
		t.Errorf("sources = %+v", inv.Sources)
	}
}

func TestSitePackages(t *testing.T) {
	dir := filepath.Join("testdata", "installed", "site-packages")
	if f := Detect(dir); f != FormatSitePackages {
		t.Fatalf("Detect = %q", f)
	}
	inv, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := one(t, inv, "alpha")
	if !a.Direct || a.RawName != "Alpha" || a.License != "MIT" || !reflect.DeepEqual(a.Requires, []string{"beta"}) || len(a.Record) != 2 {
		t.Errorf("alpha = %+v", a)
	}
	if a.Record[0] != (RecordEntry{Path: "alpha/__init__.py", Hash: "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", Size: 0}) {
		t.Errorf("record = %+v", a.Record[0])
	}
	b := one(t, inv, "beta")
	if b.Direct || !reflect.DeepEqual(b.Parents, []string{"alpha"}) || b.Source.Kind != SourceVCS || b.Source.Ref != "v2.0" {
		t.Errorf("beta = %+v", b)
	}
	g := one(t, inv, "gamma")
	if !reflect.DeepEqual(g.Parents, []string{"beta"}) || g.License != "BSD" || !strings.HasSuffix(g.MetadataDir, "gamma-0.1.egg-info") {
		t.Errorf("gamma = %+v", g)
	}
}

func TestVirtualenv(t *testing.T) {
	dir := filepath.Join("testdata", "venv")
	if f := Detect(dir); f != FormatVirtualenv {
		t.Fatalf("Detect = %q", f)
	}
	inv, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := one(t, inv, "delta"); d.Version != "3.0" {
		t.Errorf("delta = %+v", d)
	}
}

// buildWheel returns a wheel with METADATA and RECORD.
func buildWheel(t testing.TB, meta string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"demo/__init__.py":              "",
		"demo-1.0.dist-info/METADATA":   meta,
		"demo-1.0.dist-info/RECORD":     "demo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\ndemo-1.0.dist-info/RECORD,,\n",
		"demo/sub/x.dist-info/METADATA": "Name: nested\nVersion: 9\n",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func buildSdist(t testing.TB, pkgInfo string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"demo-1.0/PKG-INFO": pkgInfo, "demo-1.0/src/demo.egg-info/PKG-INFO": "Name: other\nVersion: 0\n"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestArchives(t *testing.T) {
	whl := buildWheel(t, "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six\n")
	inv, err := ParseArchive("demo-1.0-py3-none-any.whl", whl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := one(t, inv, "demo")
	if p.Version != "1.0" || len(p.Record) != 2 || !reflect.DeepEqual(p.Requires, []string{"six"}) || p.MetadataDir != "demo-1.0.dist-info" {
		t.Errorf("wheel = %+v", p)
	}
	inv, err = ParseArchive("demo-1.0.tar.gz", buildSdist(t, "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := one(t, inv, "demo"); p.Version != "1.0" {
		t.Errorf("sdist = %+v", p)
	}
	for name, data := range map[string][]byte{
		"x-1.0-py3-none-any.whl": []byte("not a zip"),
		"x-1.0.tar.gz":           []byte("not gzip"),
		"y-1.0-py3-none-any.whl": buildWheel(t, "Metadata-Version: 2.1\nVersion: 1.0\n"),
	} {
		if _, err := ParseArchive(name, data, Options{}); err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: want an error naming the file, got %v", name, err)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := map[string]Format{
		"requirements.txt": FormatRequirements, "requirements-dev.in": FormatRequirements, "pyproject.toml": FormatPyproject,
		"poetry.lock": FormatPoetryLock, "Pipfile": FormatPipfile, "Pipfile.lock": FormatPipfileLock, "pdm.lock": FormatPDMLock,
		"uv.lock": FormatUVLock, "pylock.toml": FormatPylock, "pylock.dev.toml": FormatPylock, "environment.yml": FormatCondaEnv,
		"setup.cfg": FormatSetupCfg, "x-1.0-py3-none-any.whl": FormatArchive, "x-1.0.tar.gz": FormatArchive,
		"METADATA": FormatMetadata, "script.py.lock": FormatUVLock,
	}
	for name, want := range cases {
		if got := Detect(filepath.Join(t.TempDir(), name)); got != want {
			t.Errorf("Detect(%s) = %q, want %q", name, got, want)
		}
	}
	if got := Detect(filepath.Join("testdata", "project")); got != FormatProject {
		t.Errorf("project dir detected as %q", got)
	}
}

func TestSmallLockfiles(t *testing.T) {
	poetry := `[[package]]
name = "Requests"
version = "2.31.0"
groups = ["main"]
files = [{file = "requests-2.31.0.tar.gz", hash = "sha256:aa"}]

[package.dependencies]
certifi = ">=2017"

[[package]]
name = "certifi"
version = "2024.2.2"

[package.source]
type = "legacy"
url = "https://mirror.example.org/simple"
reference = "mirror"

[metadata]
lock-version = "2.1"
`
	inv, err := ParsePoetryLock("poetry.lock", []byte(poetry), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := one(t, inv, "requests"); !r.Direct || r.Locations[0].Line != 2 || !reflect.DeepEqual(r.Hashes, []string{"sha256:aa"}) {
		t.Errorf("requests = %+v", r)
	}
	if c := one(t, inv, "certifi"); c.Direct || c.Index != "https://mirror.example.org/simple" || c.Locations[0].Line != 11 {
		t.Errorf("certifi = %+v", c)
	}

	pipfile := `{"_meta": {"sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},
"default": {"django": {"version": "==3.2.0", "hashes": ["sha256:11", "sha256:22"], "index": "pypi"}},
"develop": {"pytest": {"version": "==8.0.0", "markers": "python_version >= '3.8'"},
            "ike": {"git": "https://github.com/dzshn/ike", "ref": "cd66602cd29f61a2d2e7fb995fef1e61708c034d"}}}`
	inv, err = ParsePipfileLock("Pipfile.lock", []byte(pipfile), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := one(t, inv, "django"); d.Version != "3.2.0" || len(d.Hashes) != 2 || d.Index != "https://pypi.org/simple" || d.Locations[0].Line != 2 {
		t.Errorf("django = %+v", d)
	}
	if p := one(t, inv, "pytest"); !reflect.DeepEqual(p.Groups, []string{"dev"}) || p.Locations[0].Line != 3 {
		t.Errorf("pytest = %+v", p)
	}
	if i := one(t, inv, "ike"); i.Source.Kind != SourceVCS || i.Source.Commit == "" {
		t.Errorf("ike = %+v", i)
	}
	if _, err := ParsePipfileLock("Pipfile.lock", []byte("{\n\"default\": {,}\n}"), Options{}); err == nil || !strings.HasPrefix(err.Error(), "Pipfile.lock:2: ") {
		t.Errorf("want a JSON error at line 2, got %v", err)
	}

	pylockSrc := `lock-version = "1.0"
created-by = "test"

[[packages]]
name = "attrs"
version = "25.1.0"
index = "https://pypi.org/simple"
wheels = [{name = "attrs-25.1.0-py3-none-any.whl", hashes = {sha256 = "ab"}}]

[[packages]]
name = "app"
directory = { path = ".", editable = true }
`
	inv, err = ParsePylock("pylock.toml", []byte(pylockSrc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := one(t, inv, "attrs"); a.Version != "25.1.0" || !reflect.DeepEqual(a.Hashes, []string{"sha256:ab"}) || a.Locations[0].Line != 5 {
		t.Errorf("attrs = %+v", a)
	}
	if a := one(t, inv, "app"); !a.Project || a.Direct {
		t.Errorf("app = %+v", a)
	}

	pdm := `[metadata]
lock_version = "4.5.0"

[[package]]
name = "flask"
version = "3.0.0"
groups = ["default"]
dependencies = ["werkzeug>=3.0.0", "click[extra]>=8"]

[[package]]
name = "werkzeug"
version = "3.0.1"
groups = ["default"]
`
	inv, err = ParsePDMLock("pdm.lock", []byte(pdm), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := one(t, inv, "flask"); !f.Direct || !reflect.DeepEqual(f.Requires, []string{"click", "werkzeug"}) {
		t.Errorf("flask = %+v", f)
	}
	if w := one(t, inv, "werkzeug"); w.Direct || w.Locations[0].Line != 11 {
		t.Errorf("werkzeug = %+v", w)
	}
}

func TestCondaEnv(t *testing.T) {
	src := `name: demo
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy>=1.22,<2
  - conda-forge::pandas 2.1.*
  - pip
  - pip:
    - requests==2.31.0
    - --extra-index-url https://extra.example.org/simple
`
	inv, err := ParseCondaEnv("environment.yml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := one(t, inv, "python"); p.Source.Kind != SourceConda || p.Specifier != "==3.11.*" || p.Locations[0].Line != 4 {
		t.Errorf("python = %+v", p)
	}
	if n := one(t, inv, "numpy"); n.Specifier != ">=1.22,<2" {
		t.Errorf("numpy = %+v", n)
	}
	if p := one(t, inv, "pandas"); p.Specifier != "==2.1.*" {
		t.Errorf("pandas = %+v", p)
	}
	if r := one(t, inv, "requests"); r.Source.Kind != SourceIndex || r.Version != "2.31.0" || r.Locations[0].Line != 9 {
		t.Errorf("requests = %+v", r)
	}
	if len(inv.Index.ExtraIndexURLs) != 1 {
		t.Errorf("index options = %+v", inv.Index)
	}
	if _, err := ParseCondaEnv("environment.yml", []byte("dependencies:\n  - [\n"), Options{}); err == nil || !strings.HasPrefix(err.Error(), "environment.yml:") {
		t.Errorf("want a YAML error naming the file, got %v", err)
	}
}

func TestSetupCfg(t *testing.T) {
	src := "[metadata]\nname = x\n\n[options]\ninstall_requires =\n    requests>=2\n    importlib-metadata; python_version<\"3.10\"\n\n[options.extras_require]\ntest =\n    pytest\n"
	inv, err := ParseSetupCfg("setup.cfg", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := one(t, inv, "requests"); r.Locations[0].Line != 6 {
		t.Errorf("requests = %+v", r)
	}
	if p := one(t, inv, "pytest"); !reflect.DeepEqual(p.Groups, []string{"test"}) {
		t.Errorf("pytest = %+v", p)
	}
	if len(inv.Packages) != 3 {
		t.Errorf("packages = %v", names(inv))
	}
}

func TestSourceFromURL(t *testing.T) {
	cases := map[string]Source{
		"git+https://github.com/a/b.git@v1.2#egg=b": {Kind: SourceVCS, VCS: "git", URL: "git+https://github.com/a/b.git", Ref: "v1.2"},
		"git+ssh://git@github.com/a/b.git":          {Kind: SourceVCS, VCS: "git", URL: "git+ssh://git@github.com/a/b.git"},
		"hg+https://hg.example.org/repo@tip":        {Kind: SourceVCS, VCS: "hg", URL: "hg+https://hg.example.org/repo", Ref: "tip"},
		"https://example.org/x-1.0.tar.gz":          {Kind: SourceURL, URL: "https://example.org/x-1.0.tar.gz"},
		"file:///tmp/x-1.0.tar.gz":                  {Kind: SourcePath, Path: "/tmp/x-1.0.tar.gz", URL: "file:///tmp/x-1.0.tar.gz"},
		"../sibling":                                {Kind: SourcePath, Path: "../sibling"},
	}
	for in, want := range cases {
		if got := SourceFromURL(in); got != want {
			t.Errorf("SourceFromURL(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"https://user:s3cret@pypi.example.org/simple":    "https://user:****@pypi.example.org/simple",
		"https://ghp_token@github.com/a/b.git":           "https://****@github.com/a/b.git",
		"git+ssh://git@github.com/a/b.git":               "git+ssh://git@github.com/a/b.git",
		"https://pypi.org/simple":                        "https://pypi.org/simple",
		"https://${USER}:${PASSWORD}@pypi.example.org/x": "https://${USER}:${PASSWORD}@pypi.example.org/x",
		"https://host/path@v1":                           "https://host/path@v1",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	inv, err := ParseRequirements("r.txt", []byte("--extra-index-url https://u:pw@idx.example.org/simple\ngit+https://tok@github.com/a/b.git@v1#egg=b\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Index.ExtraIndexURLs[0]; got != "https://u:****@idx.example.org/simple" {
		t.Errorf("extra index = %q", got)
	}
	if b := one(t, inv, "b"); b.Source.URL != "git+https://****@github.com/a/b.git" || b.Source.Ref != "v1" {
		t.Errorf("b source = %+v", b.Source)
	}
}

func TestMergeKeepsInputsIntact(t *testing.T) {
	a := &Inventory{Packages: []*Package{{Name: "x", Version: "1", Groups: []string{"a"}, Locations: []Location{{File: "a"}}}}}
	b := &Inventory{Packages: []*Package{{Name: "x", Version: "1", Groups: []string{"b"}, Locations: []Location{{File: "b"}}, Direct: true}, {Name: "x", Specifier: ">=1", Locations: []Location{{File: "c", Line: 3}}}}}
	m := Merge(a, b)
	if len(m.Packages) != 1 {
		t.Fatalf("merged = %v", names(m))
	}
	p := m.Packages[0]
	if !p.Direct || !reflect.DeepEqual(p.Groups, []string{"a", "b"}) || len(p.Locations) != 3 || p.Specifier != ">=1" {
		t.Errorf("merged = %+v", p)
	}
	if len(a.Packages[0].Groups) != 1 || len(a.Packages[0].Locations) != 1 {
		t.Errorf("Merge modified its input: %+v", a.Packages[0])
	}
}

func TestCondaEnvironmentPrefix(t *testing.T) {
	dir := filepath.Join("testdata", "condaenv")
	if f := Detect(dir); f != FormatVirtualenv {
		t.Fatalf("Detect = %q", f)
	}
	inv, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := one(t, inv, "numpy")
	if n.Source.Kind != SourceConda || !n.Direct || len(n.Hashes) != 1 || len(n.Record) != 1 || n.License != "BSD-3-Clause" {
		t.Errorf("numpy = %+v", n)
	}
	if p := one(t, inv, "python"); p.Direct || !reflect.DeepEqual(p.Parents, []string{"numpy"}) {
		t.Errorf("python = %+v", p)
	}
}

func TestLoadSBOMInput(t *testing.T) {
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
 "components": [{"type": "library", "name": "requests", "version": "2.31.0", "purl": "pkg:pypi/requests@2.31.0", "bom-ref": "r"}]}`
	dir := t.TempDir()
	for _, name := range []string{"app.cdx.json", "inventory.json"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if f := Detect(path); f != FormatSBOM {
			t.Errorf("Detect(%s) = %q", name, f)
		}
		inv, err := Load([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r := one(t, inv, "requests"); r.Version != "2.31.0" {
			t.Errorf("requests = %+v", r)
		}
	}
}

func TestPipfile(t *testing.T) {
	src := `[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[[source]]
url = "https://${USER}:${PASS}@private.example.org/simple"
name = "private"

[packages]
requests = "*"
django = "==3.2.0"
pywin32 = {version = "*", sys_platform = "== 'win32'"}
mylib = {git = "https://github.com/example/mylib.git", ref = "main", editable = true}

[dev-packages]
pytest = {version = ">=8", markers = "python_version >= '3.8'"}
`
	inv, err := ParsePipfile("Pipfile", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := one(t, inv, "django"); d.Version != "3.2.0" || d.Locations[0].Line != 11 || !d.Direct {
		t.Errorf("django = %+v", d)
	}
	if w := one(t, inv, "pywin32"); w.Marker != "sys_platform == 'win32'" {
		t.Errorf("pywin32 = %+v", w)
	}
	if m := one(t, inv, "mylib"); m.Source.Kind != SourceVCS || m.Source.Ref != "main" || !m.Source.Editable {
		t.Errorf("mylib = %+v", m)
	}
	if p := one(t, inv, "pytest"); p.Specifier != ">=8" || !reflect.DeepEqual(p.Groups, []string{"dev"}) {
		t.Errorf("pytest = %+v", p)
	}
	if ix := inv.Index; ix.IndexURL != "https://pypi.org/simple" || len(ix.ExtraIndexURLs) != 1 || ix.Locations[1].Line != 6 {
		t.Errorf("index options = %+v", ix)
	}
	linux, err := ParsePipfile("Pipfile", []byte(src), Options{Env: pep508.DefaultEnv("3.12", "linux")})
	if err != nil {
		t.Fatal(err)
	}
	if len(find(linux, "pywin32")) != 0 {
		t.Errorf("pywin32 kept on linux")
	}
}
