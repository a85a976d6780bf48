package resolve

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep440"
)

const (
	hashA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hashB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

// lockGraph is a small resolved graph with the files an index serves.
func lockGraph() *Graph {
	up := time.Date(2024, 3, 4, 5, 6, 7, 890000000, time.FixedZone("CET", 3600))
	file := func(name string, hash string) File {
		return File{Filename: name, URL: "https://files.example/packages/" + name, Hashes: map[string]string{"sha256": hash}, Uploaded: up, RequiresPython: ">=3.8", Size: 1234}
	}
	return &Graph{
		Root: []Edge{{To: "django"}, {To: "requests"}},
		Packages: []*Node{
			{Name: "asgiref", Version: pep440.MustParse("3.8.1"), Files: []File{file("asgiref-3.8.1.tar.gz", hashA), file("asgiref-3.8.1-py3-none-any.whl", hashB)}},
			{Name: "django", Version: pep440.MustParse("3.2.0"),
				Dependencies: []Edge{{From: "django", To: "sqlparse"}, {From: "django", To: "asgiref"}, {From: "django", To: "asgiref"}},
				Files:        []File{file("Django-3.2.0-py3-none-any.whl", hashA), file("Django-3.2.0.zip", hashB), file("Django-3.2.0.tar.gz", hashA)}},
			{Name: "requests", Version: pep440.MustParse("2.31.0"), Extras: []string{"socks"},
				Dependencies: []Edge{{From: "requests", To: "pysocks"}},
				Files:        []File{{Filename: "requests-2.31.0-py3-none-any.whl", URL: "https://files.example/r.whl", Hashes: map[string]string{"sha256": hashA, "MD5": "0123456789ABCDEF0123456789abcdef", "blake2b_256": hashB}}}},
			{Name: "pysocks", Version: pep440.MustParse("1.7.1"), Files: []File{file("PySocks-1.7.1-py3-none-any.whl", hashB)}},
			{Name: "sqlparse", Version: pep440.MustParse("0.4.1"), Files: []File{file("sqlparse-0.4.1-py3-none-any.whl", hashA)}},
		},
	}
}

func TestPylockRoundTrip(t *testing.T) {
	g := lockGraph()
	data, err := MarshalPylock(g, PylockOptions{IndexURL: "https://pypi.org/simple", Requirements: reqs(t, "django==3.2.0", "requests[socks]>=2"), Constraints: reqs(t, "urllib3<2")})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.ParsePylock("pylock.toml", data, inventory.Options{})
	if err != nil {
		t.Fatalf("pyvet cannot read the lock it wrote: %v\n%s", err, data)
	}
	if len(inv.Packages) != len(g.Packages) {
		t.Fatalf("%d packages read back, want %d", len(inv.Packages), len(g.Packages))
	}
	slices.SortFunc(g.Packages, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	for i, n := range g.Packages {
		p := inv.Packages[i]
		if p.Name != n.Name || p.Version != n.Version.String() || p.Index != "https://pypi.org/simple" || p.Source.Kind != inventory.SourceIndex {
			t.Errorf("package %d read back as %s %s index %q source %s", i, p.Name, p.Version, p.Index, p.Source.Kind)
		}
		var deps []string
		for _, e := range n.Dependencies {
			deps = append(deps, e.To)
		}
		slices.Sort(deps)
		if want := slices.Compact(deps); !slices.Equal(p.Requires, want) {
			t.Errorf("%s requires %v, want %v", n.Name, p.Requires, want)
		}
	}
	// The roots are the packages nothing requires.
	for _, p := range inv.Packages {
		if p.Direct != (p.Name == "django" || p.Name == "requests") {
			t.Errorf("%s direct = %v", p.Name, p.Direct)
		}
	}
	django := inv.Packages[1]
	var names []string
	for _, f := range django.Files {
		names = append(names, f.Name)
	}
	// One sdist (the .tar.gz of two), then the wheels.
	if want := []string{"Django-3.2.0.tar.gz", "Django-3.2.0-py3-none-any.whl"}; !slices.Equal(names, want) {
		t.Errorf("django files %v, want %v", names, want)
	}
	if h := inv.Packages[3].Files[0].Hashes; !slices.Equal(h, []string{"blake2b_256:" + hashB, "md5:0123456789abcdef0123456789abcdef", "sha256:" + hashA}) {
		t.Errorf("requests hashes %v", h)
	}

	// The document itself: PEP 751 keys and types.
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"lock-version": "1.0", "created-by": "pyvet", "requires-python": "==3.12.*"} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	if env := fmt.Sprint(doc["environments"]); env != "[sys_platform == 'linux' and platform_machine == 'x86_64' and implementation_name == 'cpython' and python_version == '3.12']" {
		t.Errorf("environments = %s", env)
	}
	pkg := doc["packages"].([]any)[0].(map[string]any)
	if pkg["requires-python"] != ">=3.8" {
		t.Errorf("asgiref requires-python = %v", pkg["requires-python"])
	}
	wheel := pkg["wheels"].([]any)[0].(map[string]any)
	if ut, ok := wheel["upload-time"].(time.Time); !ok || !ut.Equal(time.Date(2024, 3, 4, 4, 6, 7, 890000000, time.UTC)) || ut.Location() != time.UTC {
		t.Errorf("upload-time = %#v, want a UTC datetime literal", wheel["upload-time"])
	}
	if wheel["size"] != int64(1234) {
		t.Errorf("size = %#v, want 1234", wheel["size"])
	}
	if !bytes.Contains(data, []byte("upload-time = 2024-03-04T04:06:07.89Z")) {
		t.Errorf("upload-time is not written as a TOML datetime:\n%s", data)
	}
	tool := doc["tool"].(map[string]any)["pyvet"].(map[string]any)
	if got := fmt.Sprint(tool["requirements"]); got != "[django==3.2.0 requests[socks]>=2]" {
		t.Errorf("tool.pyvet.requirements = %s", got)
	}
	if got := fmt.Sprint(tool["constraints"]); got != "[urllib3<2]" {
		t.Errorf("tool.pyvet.constraints = %s", got)
	}
}

func TestPylockDeterministic(t *testing.T) {
	var outs [][]byte
	for i := range 20 {
		g := lockGraph()
		if i%2 == 1 {
			for _, n := range g.Packages {
				slices.Reverse(n.Files)
				slices.Reverse(n.Dependencies)
			}
		}
		data, err := MarshalPylock(g, PylockOptions{IndexURL: "https://pypi.org/simple"})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, data)
	}
	for i, o := range outs {
		if !bytes.Equal(o, outs[0]) {
			t.Fatalf("run %d differs:\n%s\nfrom:\n%s", i, o, outs[0])
		}
	}
}

func TestPylockIndexes(t *testing.T) {
	g := lockGraph()
	for _, c := range []struct {
		o    PylockOptions
		want bool
	}{
		{PylockOptions{IndexURL: "https://mirror.example/simple/"}, true},
		{PylockOptions{IndexURL: "https://mirror.example/simple/", ExtraIndexURLs: []string{"https://other.example/simple"}}, false},
		{PylockOptions{IndexURL: "not a url"}, false},
	} {
		data, err := MarshalPylock(g, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(data, []byte("\nindex = ")); got != c.want {
			t.Errorf("%+v: index written = %v, want %v", c.o, got, c.want)
		}
	}
}

// TestPylockHostile: names, versions, file names, URLs and hashes from a
// hostile index stay values; they never add keys, tables or packages.
func TestPylockHostile(t *testing.T) {
	evil := "x\"\n[[packages]]\nname = 'pwned'\n'''\"\"\"\\u0000"
	g := &Graph{Packages: []*Node{
		{Name: evil, Version: pep440.MustParse("1.0"), Dependencies: []Edge{{To: "ok"}}, Files: []File{
			{Filename: evil + ".whl", URL: "https://h.example/a'b\"c]d=e#sha256=" + hashA, Hashes: map[string]string{"sha256": hashA, evil: hashA, "md5": evil}, RequiresPython: evil},
		}},
		{Name: "ok", Version: pep440.MustParse("2.0"), Files: []File{
			{Filename: "ok-2.0.tar.gz", URL: "https://h.example/ok-2.0.tar.gz", Hashes: map[string]string{"sha256": hashB}},
			{Filename: "bad-url.whl", URL: "javascript:alert(1)", Hashes: map[string]string{"sha256": hashB}},
			{Filename: "relative.whl", URL: "/packages/relative.whl", Hashes: map[string]string{"sha256": hashB}},
			{Filename: "nohash.whl", URL: "https://h.example/nohash.whl"},
			{Filename: "ok-2.0-py2.7.egg", URL: "https://h.example/ok-2.0-py2.7.egg", Hashes: map[string]string{"sha256": hashB}},
		}},
	}}
	data, err := MarshalPylock(g, PylockOptions{Env: map[string]string{"sys_platform": "linux' or '1", "python_version": "3.12\n[x]"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not TOML: %v\n%s", err, data)
	}
	if len(doc) != 3 || doc["lock-version"] != "1.0" || doc["created-by"] != "pyvet" {
		t.Errorf("top-level keys %v", doc)
	}
	pkgs := doc["packages"].([]any)
	if len(pkgs) != 2 {
		t.Fatalf("%d packages, want 2:\n%s", len(pkgs), data)
	}
	allowed := map[string]bool{"name": true, "version": true, "requires-python": true, "dependencies": true, "index": true, "sdist": true, "wheels": true}
	for _, p := range pkgs {
		for k := range p.(map[string]any) {
			if !allowed[k] {
				t.Errorf("unexpected package key %q", k)
			}
		}
	}
	first := pkgs[1].(map[string]any) // sorted: "ok" < "x..."
	if first["name"] != evil {
		t.Errorf("name read back as %q", first["name"])
	}
	if _, ok := first["requires-python"]; ok {
		t.Errorf("an invalid requires-python was written")
	}
	w := first["wheels"].([]any)[0].(map[string]any)
	if w["name"] != evil+".whl" || w["url"] != "https://h.example/a'b\"c]d=e#sha256="+hashA {
		t.Errorf("wheel read back as %v", w)
	}
	if h := w["hashes"].(map[string]any); len(h) != 1 || h["sha256"] != hashA {
		t.Errorf("hashes %v, want only the valid sha256", h)
	}
	ok := pkgs[0].(map[string]any)
	if sd := ok["sdist"].(map[string]any); sd["name"] != "ok-2.0.tar.gz" {
		t.Errorf("sdist %v, want the .tar.gz (an egg is no sdist)", sd)
	}
	if _, has := ok["wheels"]; has {
		t.Errorf("wheels without an absolute URL or a hash were written: %v", ok["wheels"])
	}
	inv, err := inventory.ParsePylock("pylock.toml", data, inventory.Options{})
	if err != nil || len(inv.Packages) != 2 {
		t.Fatalf("read back: %v", err)
	}
}

func TestPylockRequiresPython(t *testing.T) {
	g := lockGraph()
	// An unlockable first file does not hide the others' requires-python.
	g.Packages[0].Files = append([]File{{Filename: "asgiref-3.8.1-py2-none-any.whl", RequiresPython: ">=2.7"}}, g.Packages[0].Files...)
	// Files that disagree give no package requires-python.
	g.Packages[1].Files[1].RequiresPython = ">=3.6"
	data, err := MarshalPylock(g, PylockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Packages []struct {
			Name           string `toml:"name"`
			RequiresPython string `toml:"requires-python"`
		} `toml:"packages"`
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Packages[0].RequiresPython != ">=3.8" || doc.Packages[1].RequiresPython != "" {
		t.Errorf("requires-python %+v", doc.Packages)
	}
}

func TestPylockUnlockable(t *testing.T) {
	g := lockGraph()
	g.Packages[3].Files = []File{{Filename: "PySocks-1.7.1.tar.gz", URL: "https://files.example/p.tar.gz"}}
	_, err := MarshalPylock(g, PylockOptions{})
	if err == nil || !strings.Contains(err.Error(), "pysocks 1.7.1") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line naming pysocks 1.7.1", err)
	}
	path := filepath.Join(t.TempDir(), "pylock.toml")
	if err := WritePylock(path, g, PylockOptions{}); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a lock that cannot be complete was written (%v)", err)
	}
}

func TestWritePylockThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.toml")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "pylock.toml")
	if err := os.Symlink("real.toml", link); err != nil {
		t.Fatal(err)
	}
	if err := WritePylock(link, lockGraph(), PylockOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced (%v)", err)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's 0600 kept (%v)", fi.Mode(), err)
	}
	data, _ := os.ReadFile(target)
	if inv, err := inventory.ParsePylock(target, data, inventory.Options{}); err != nil || len(inv.Packages) != 5 {
		t.Errorf("written lock read back: %v", err)
	}
}

// graph300 is a resolved graph of 300 packages, each with a wheel, an sdist
// and up to three dependencies.
func graph300() *Graph {
	g := &Graph{}
	up := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 300 {
		name := fmt.Sprintf("pkg%03d", i)
		n := &Node{Name: name, Version: pep440.MustParse(fmt.Sprintf("1.%d.0", i))}
		for d := 1; d <= 3 && i+d*7 < 300; d++ {
			n.Dependencies = append(n.Dependencies, Edge{From: name, To: fmt.Sprintf("pkg%03d", i+d*7)})
		}
		for _, f := range []string{name + "-1.0-py3-none-any.whl", name + "-1.0.tar.gz"} {
			n.Files = append(n.Files, File{Filename: f, URL: "https://files.example/packages/ab/cd/" + f, Hashes: map[string]string{"sha256": hashA}, Uploaded: up, RequiresPython: ">=3.9"})
		}
		g.Packages = append(g.Packages, n)
	}
	return g
}

func BenchmarkMarshalPylock300(b *testing.B) {
	g := graph300()
	o := PylockOptions{IndexURL: "https://pypi.org/simple"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalPylock(g, o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPylockCorpus locks the packages of every real pylock.toml of the
// corpus (pip, pdm, pipenv, uv and others' files) again: pyvet's lock of
// the same packages and files reads back with the same names, versions,
// file names, URLs, hashes, sizes and upload times.
func TestPylockCorpus(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping the corpus pylock files")
	}
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "lockfiles"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "pylock") && strings.HasSuffix(d.Name(), ".toml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no pylock files under %s (%v)", root, err)
	}
	locked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.ParsePylock(file, data, inventory.Options{})
		if err != nil {
			continue // the corpus's invalid examples
		}
		g, want := graphOf(inv)
		if len(g.Packages) == 0 {
			continue
		}
		out, err := MarshalPylock(g, PylockOptions{})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		back, err := inventory.ParsePylock(file, out, inventory.Options{})
		if err != nil {
			t.Errorf("%s: lock not read back: %v\n%s", file, err, out)
			continue
		}
		if len(back.Packages) != len(want) {
			t.Errorf("%s: %d packages read back, want %d", file, len(back.Packages), len(want))
			continue
		}
		for i, p := range back.Packages {
			w := want[i]
			if p.Name != w.Name || p.Version != w.Version || !slices.Equal(fileKeys(p.Files), fileKeys(w.Files)) {
				t.Errorf("%s: %s %s %v read back as %s %s %v", file, w.Name, w.Version, fileKeys(w.Files), p.Name, p.Version, fileKeys(p.Files))
			}
		}
		locked++
	}
	t.Logf("%d of %d corpus lock files locked again", locked, len(files))
	if locked < 5 {
		t.Errorf("only %d corpus lock files could be locked again", locked)
	}
}

// graphOf turns a lock's index packages (those with a version and a file
// with a URL and a hash) into a resolved graph, and returns those packages
// sorted by name with only those files, as the lock of the graph holds them.
func graphOf(inv *inventory.Inventory) (*Graph, []*inventory.Package) {
	g := &Graph{}
	var kept []*inventory.Package
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		v, err := pep440.Parse(p.Version)
		if err != nil || seen[p.Name] {
			continue
		}
		n := &Node{Name: p.Name, Version: v}
		k := &inventory.Package{Name: p.Name, Version: v.String()}
		sdist := false
		for _, f := range p.Files {
			hashes := hashMap(f.Hashes)
			wheel := strings.HasSuffix(f.Name, ".whl")
			if len(hashes) == 0 || !absoluteURL(f.URL) || !wheel && sdist {
				continue
			}
			sdist = sdist || !wheel
			up, _ := time.Parse(time.RFC3339Nano, f.Uploaded)
			n.Files = append(n.Files, File{Filename: f.Name, URL: f.URL, Hashes: hashes, Size: f.Size, Uploaded: up})
			k.Files = append(k.Files, f)
		}
		if len(n.Files) == 0 {
			continue
		}
		seen[p.Name] = true
		g.Packages = append(g.Packages, n)
		kept = append(kept, k)
	}
	slices.SortFunc(kept, func(a, b *inventory.Package) int { return strings.Compare(a.Name, b.Name) })
	for _, k := range kept {
		// The lock writes the sdist first, then the wheels by name.
		slices.SortStableFunc(k.Files, func(a, b inventory.File) int {
			aw, bw := strings.HasSuffix(a.Name, ".whl"), strings.HasSuffix(b.Name, ".whl")
			if aw != bw {
				if aw {
					return 1
				}
				return -1
			}
			return comparePylockFiles(pylockFile{Name: a.Name, URL: a.URL, Hashes: hashMap(a.Hashes)}, pylockFile{Name: b.Name, URL: b.URL, Hashes: hashMap(b.Hashes)})
		})
	}
	return g, kept
}

// fileKeys describes files by what a lock records of them.
func fileKeys(fs []inventory.File) []string {
	var out []string
	for _, f := range fs {
		up := ""
		if t, err := time.Parse(time.RFC3339Nano, f.Uploaded); err == nil {
			up = t.UTC().Format(time.RFC3339Nano)
		}
		var hs []string
		for _, h := range f.Hashes {
			algo, val, _ := strings.Cut(h, ":")
			if lockHash(algo, val) {
				hs = append(hs, h)
			}
		}
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%v", f.Name, f.URL, f.Size, up, hs))
	}
	return out
}

// hashMap is the lockable hashes of "algo:hex" strings.
func hashMap(hs []string) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		algo, val, _ := strings.Cut(h, ":")
		if lockHash(algo, val) {
			m[algo] = val
		}
	}
	return m
}
