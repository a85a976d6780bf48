package advisory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func addFixtureSeeds(f *testing.F, ext string) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "vulns", "*", "*"+ext))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseJSON checks that no JSON input panics the reader, and that what it
// accepts can be indexed and matched.
func FuzzParseJSON(f *testing.F) {
	addFixtureSeeds(f, ".json")
	f.Add([]byte(`{"id":"X","affected":[{"package":{"name":"a","ecosystem":"PyPI"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"limit":"x"},{"fixed":"1!2.0rc1.post3.dev4+l.5"}]}],"versions":["", "1..0"]}]}`))
	f.Add([]byte(`{"id":"Y","affected":[{"package":{"name":"a","ecosystem":"PyPI"},"ranges":[{"type":"SEMVER"}]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseJSON("fuzz.json", data)
		if err != nil {
			return
		}
		checkEntry(t, e, data)
	})
}

// FuzzParseYAML does the same for YAML advisories.
func FuzzParseYAML(f *testing.F) {
	addFixtureSeeds(f, ".yaml")
	f.Add([]byte("id: A\nmodified: 2020-01-01T00:00:00Z\naffected:\n- package: {name: x, ecosystem: PyPI}\n  versions: [1.0, 2]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, raw, err := ParseYAML("fuzz.yaml", data)
		if err != nil {
			return
		}
		checkEntry(t, e, raw)
	})
}

func checkEntry(t *testing.T, e *Entry, raw []byte) {
	db, err := openIndexBytesFromDocs([]document{{entry: e, raw: raw, name: "fuzz"}})
	if err != nil {
		t.Fatalf("accepted advisory does not index: %v", err)
	}
	got, ok := db.Raw(e.ID)
	if !ok || !bytes.Equal(got, raw) {
		t.Fatalf("Raw does not round-trip")
	}
	for _, a := range e.Affected {
		for _, v := range append([]string{"0", "1.0", "1.0rc1"}, a.Versions...) {
			in := Affects(e, a.Package.Name, v)
			q := len(db.Query(a.Package.Name, v)) > 0
			if in != q && e.Withdrawn == "" {
				t.Fatalf("Affects(%q, %q) = %v but Query finds %v", a.Package.Name, v, in, q)
			}
		}
		FixVersions(e, a.Package.Name)
		Rate(e, a.Package.Name)
	}
}

// FuzzOpenIndex checks that damaged index files are rejected without a panic.
func FuzzOpenIndex(f *testing.F) {
	src, err := openDirSource(fixtureDir)
	if err != nil {
		f.Fatal(err)
	}
	good, err := build(src, Meta{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(indexMagic + "\x05\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := openIndexBytes("fuzz.idx", data)
		if err != nil {
			return
		}
		for _, id := range db.IDs() {
			db.Get(id)
		}
		for _, n := range db.Packages() {
			db.Query(n, "1.0")
		}
	})
}
