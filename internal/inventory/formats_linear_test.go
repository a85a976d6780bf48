package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocatedBytes is what one call of f allocates, in bytes.
func allocatedBytes(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestLinearFormats parses every linearCases input at n and 2n: twice the
// input allocates about twice as much (allocation counts and bytes), never
// four times, and the result holds every declaration on its own line.
func TestLinearFormats(t *testing.T) {
	const n = 4000
	for _, c := range linearCases {
		t.Run(c.name, func(t *testing.T) {
			run := func(data []byte) func() {
				return func() {
					inv, err := c.parse(c.file, data, Options{})
					if err != nil {
						t.Fatal(err)
					}
					Merge(inv)
				}
			}
			small, big := c.gen(n), c.gen(2*n)
			a1, a2 := testing.AllocsPerRun(1, run(small)), testing.AllocsPerRun(1, run(big))
			b1, b2 := allocatedBytes(run(small)), allocatedBytes(run(big))
			if a2/a1 > 2.5 || float64(b2)/float64(b1) > 2.5 {
				t.Errorf("n=%d: %.0f allocations, %d bytes; 2n: %.0f allocations, %d bytes", n, a1, b1, a2, b2)
			}
		})
	}
}

// TestLinearFormatsResults checks what the large inputs give: every package,
// at its own line, with every distinct hash once.
func TestLinearFormatsResults(t *testing.T) {
	const n = 3000
	inv, err := ParsePyproject("pyproject.toml", pyprojectDeps(n), Options{})
	if err != nil || len(inv.Packages) != n {
		t.Fatalf("pyproject: %v, %d packages", err, len(inv.Packages))
	}
	for _, p := range inv.Packages {
		var i int
		fmt.Sscanf(p.Name, "pkg%d", &i)
		if p.Locations[0].Line != i+5 {
			t.Fatalf("pyproject: %s at line %d, want %d", p.Name, p.Locations[0].Line, i+5)
		}
	}
	inv, err = ParsePyproject("pyproject.toml", poetryDeps(n), Options{})
	if err != nil || len(inv.Packages) != n {
		t.Fatalf("poetry: %v, %d packages", err, len(inv.Packages))
	}
	for _, p := range inv.Packages {
		var i int
		fmt.Sscanf(p.Name, "pkg%d", &i)
		if p.Locations[0].Line != i+7 {
			t.Fatalf("poetry: %s at line %d, want %d", p.Name, p.Locations[0].Line, i+7)
		}
	}
	inv, err = ParsePipfileLock("Pipfile.lock", pipfileLockPackages(n), Options{})
	if err != nil || len(inv.Packages) != n {
		t.Fatalf("Pipfile.lock: %v, %d packages", err, len(inv.Packages))
	}
	for _, p := range inv.Packages {
		var i int
		fmt.Sscanf(p.Name, "pkg%d", &i)
		if want := 4 + 5*i; p.Locations[0].Line != want || p.Version != fmt.Sprintf("1.%d", i) {
			t.Fatalf("Pipfile.lock: %s %s at line %d, want line %d", p.Name, p.Version, p.Locations[0].Line, want)
		}
	}
	// 10^5-element arrays: every hash once, every source recorded.
	data := pipfileLockArrays(100000)
	inv, err = ParsePipfileLock("Pipfile.lock", append(data[:0:0], data...), Options{})
	if err != nil || len(inv.Packages) != 1 || len(inv.Packages[0].Hashes) != 100000 || len(inv.Index.ExtraIndexURLs) != 99999 {
		t.Fatalf("Pipfile.lock arrays: %v", err)
	}
	// Repeated hashes and sources are kept once.
	dup := []byte(`{"_meta": {"sources": [{"name": "a", "url": "https://a/simple"}, {"name": "b", "url": "https://b/simple"}, {"name": "c", "url": "https://b/simple"}]},
"default": {"x": {"version": "==1", "hashes": ["sha256:00", "sha256:00", "SHA256:11"]}, "x": {"version": "==2"}}}`)
	inv, err = ParsePipfileLock("Pipfile.lock", dup, Options{})
	if err != nil || len(inv.Packages) != 1 || inv.Packages[0].Version != "2" || len(inv.Index.ExtraIndexURLs) != 1 {
		t.Fatalf("duplicates: %v %+v %v", err, inv.Packages, inv.Index)
	}
	inv, err = ParsePoetryLock("poetry.lock", poetryLockPackages(n), Options{})
	if err != nil || len(inv.Packages) != n {
		t.Fatalf("poetry.lock: %v", err)
	}
	for _, p := range inv.Packages {
		if p.Direct != (p.Name == "pkg0") || len(p.Hashes) != 1 {
			t.Fatalf("poetry.lock: %s direct=%v hashes=%v", p.Name, p.Direct, p.Hashes)
		}
	}
}

// groupChain is a pyproject.toml with n dependency groups g0..g(n-1), each
// including the next twice and declaring reqs requirements of its own.
func groupChain(n, reqs int) []byte {
	var b strings.Builder
	b.WriteString("[project]\nname = \"chain\"\nversion = \"1\"\n\n[dependency-groups]\n")
	for i := range n {
		fmt.Fprintf(&b, "g%d = [", i)
		for j := range reqs {
			fmt.Fprintf(&b, "\"r%d-%d\", ", i, j)
		}
		if i+1 < n {
			fmt.Fprintf(&b, "{include-group = \"g%d\"}, {include-group = \"G%d\"}", i+1, i+1)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

// TestDependencyGroupsExpandOnce: 25 groups each including the next twice
// (2^25 paths) expand once per group: the result is each group's own
// requirements, the allocations grow with the groups, not the paths.
func TestDependencyGroupsExpandOnce(t *testing.T) {
	data := groupChain(25, 1)
	var inv *Inventory
	allocs := testing.AllocsPerRun(1, func() {
		var err error
		if inv, err = ParsePyproject("pyproject.toml", data, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 100000 {
		t.Errorf("%.0f allocations for 25 groups", allocs)
	}
	// Group g_i holds r_i..r_24: 25 packages, r_j in groups g0..g_j.
	if len(inv.Packages) != 25*26/2 {
		t.Fatalf("%d declarations, want one per group and requirement", len(inv.Packages))
	}
	inv = Merge(inv)
	if len(inv.Packages) != 25 {
		t.Fatalf("%d packages, want 25", len(inv.Packages))
	}
	for _, p := range inv.Packages {
		var j int
		fmt.Sscanf(p.Name, "r%d-0", &j)
		if len(p.Groups) != j+1 {
			t.Errorf("%s in groups %v, want %d groups", p.Name, p.Groups, j+1)
		}
	}
}

func TestDependencyGroupErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"[dependency-groups]\na = ['x']\nb = [{include-group = 'c'}]\nc = [{include-group = 'a'}, {include-group = 'b'}]\n",
			`pyproject.toml:4: dependency group include cycle "b -> c -> b"`},
		{"[dependency-groups]\na = [{include-group = 'a'}]\n", `pyproject.toml:2: dependency group include cycle "a -> a"`},
		{"[dependency-groups]\na = ['x',\n  {include-group = 'nope'}]\n", `pyproject.toml:3: dependency group a: include-group "nope": no such dependency group`},
		{"[dependency-groups]\na = [{other = 1}]\n", "pyproject.toml:2: dependency group a: table without include-group"},
		{"[dependency-groups]\na = [1]\n", `pyproject.toml:2: dependency group a: unexpected entry "1"`},
	} {
		_, err := ParsePyproject("pyproject.toml", []byte(tc.doc), Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.doc, err, tc.want)
		}
	}
	// Group names compare normalized: "Dev_Tools" includes "dev-tools".
	inv, err := ParsePyproject("pyproject.toml", []byte("[dependency-groups]\nDev_Tools = [{include-group = 'base'}]\nBase = ['x']\n"), Options{})
	if err == nil {
		inv = Merge(inv)
	}
	if err != nil || len(inv.Packages) != 1 || len(inv.Packages[0].Groups) != 2 {
		t.Errorf("normalized names: %v %+v", err, inv)
	}
	// Groups that would expand past the cap are an error, not gigabytes.
	_, err = ParsePyproject("pyproject.toml", groupChain(1500, 1), Options{})
	if err == nil || !strings.Contains(err.Error(), "expand to more than") || !strings.HasPrefix(err.Error(), "pyproject.toml:") {
		t.Errorf("oversized expansion: %v", err)
	}
}

// hugeLine is a line of n bytes that is no requirement.
func hugeLine(n int) string { return "SECRET=" + strings.Repeat("x", n) }

// TestErrorsQuoteExcerpts: whatever the format, an error or warning about
// a 1 MB value quotes at most an excerpt of it and names the file (and the
// line where the format has lines).
func TestErrorsQuoteExcerpts(t *testing.T) {
	long := hugeLine(1 << 20)
	for _, tc := range []struct {
		name, file string
		parse      func(string, []byte, Options) (*Inventory, error)
		data       string
		prefix     string
	}{
		{"pyproject dependency", "pyproject.toml", ParsePyproject, "[project]\ndependencies = [\n'" + long + "']\n", "pyproject.toml:3: "},
		{"poetry value", "pyproject.toml", ParsePyproject, "[tool.poetry.dependencies]\npython = '^3.9'\ny = ['" + long + "']\n", "pyproject.toml:3: "},
		{"toml syntax", "pyproject.toml", ParsePyproject, "[project]\nname = " + long + "\n", "pyproject.toml:2: "},
		{"toml type", "uv.lock", ParseUVLock, "version = 1\n[[package]]\nname = ['" + long + "']\n", "uv.lock:3: "},
		{"Pipfile value", "Pipfile", ParsePipfile, "[packages]\nx = 1\n", "Pipfile:2: "},
		{"Pipfile.lock type", "Pipfile.lock", ParsePipfileLock, "{\"default\": {\n\"x\": {\"version\": [\"" + long + "\"]}}}", "Pipfile.lock:2: "},
		{"Pipfile.lock syntax", "Pipfile.lock", ParsePipfileLock, "{\"default\": {\n\"" + long + "\" 1}}", "Pipfile.lock:2: "},
		{"conda spec", "environment.yml", ParseCondaEnv, "dependencies:\n  - \"" + strings.Repeat("=", 1<<20) + "\"\n", "environment.yml:2: "},
		{"setup.cfg", "setup.cfg", ParseSetupCfg, "[options]\n" + strings.Repeat("x", 100000) + "\n", "setup.cfg:2: "},
		{"setup.cfg long line", "setup.cfg", ParseSetupCfg, "[options]\n" + long + "\n", "setup.cfg:2: "},
		{"lock version", "poetry.lock", ParsePoetryLock, "[metadata]\nlock-version = '" + long + "'\n", "poetry.lock: "},
		{"pylock version", "pylock.toml", ParsePylock, "lock-version = '" + long + "'\n", "pylock.toml: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.parse(tc.file, []byte(tc.data), Options{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ParseError", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.prefix) || len(msg) > 400 || strings.Contains(msg, strings.Repeat("x", 100)) || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error of %d bytes: %.300q", len(msg), msg)
			}
		})
	}
	// Warnings too: a Poetry constraint that is no version.
	inv, err := ParsePyproject("pyproject.toml", []byte("[tool.poetry.dependencies]\nx = '>"+long+"'\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		if len(w) > 400 || !strings.HasPrefix(w, "pyproject.toml:2: ") {
			t.Errorf("warning of %d bytes: %.200q", len(w), w)
		}
	}
	if len(inv.Warnings) != 1 {
		t.Errorf("warnings = %d, want 1", len(inv.Warnings))
	}
}

// TestTOMLBigTables: tables of many keys (the shape toml.Unmarshal handles
// in quadratic time) decode with allocations linear in their size.
func TestTOMLBigTables(t *testing.T) {
	doc := func(n int) []byte {
		var b strings.Builder
		b.WriteString("[t]\n")
		for i := range n {
			fmt.Fprintf(&b, "k%d = {a = %d, b = 'x'}\n", i, i)
		}
		return []byte(b.String())
	}
	var m map[string]any
	a1 := testing.AllocsPerRun(1, func() { m = nil; _ = decodeTOML("f", doc(5000), &m) })
	a2 := testing.AllocsPerRun(1, func() { m = nil; _ = decodeTOML("f", doc(10000), &m) })
	if a2/a1 > 2.5 {
		t.Errorf("%.0f allocations for 5,000 keys, %.0f for 10,000", a1, a2)
	}
	if len(m["t"].(map[string]any)) != 10000 {
		t.Errorf("%d keys", len(m["t"].(map[string]any)))
	}
	if err := decodeTOML("f.toml", append(doc(100), "k7 = 1\n"...), &m); err == nil || !strings.HasPrefix(err.Error(), "f.toml:102: ") {
		t.Errorf("duplicate key: %v", err)
	}
}

// TestTOMLReadersUseDecodeTOML: no reader of this package decodes TOML with
// toml.Unmarshal or toml.NewDecoder, whose duplicate-key tracking is
// quadratic in the keys of a table (a CPU cost no allocation count shows).
func TestTOMLReadersUseDecodeTOML(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, call := range []string{"toml.Unmarshal(", "toml.NewDecoder("} {
			if bytes.Contains(data, []byte(call)) {
				t.Errorf("%s calls %s; use decodeTOML", f, call)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d source files found", n)
	}
}
