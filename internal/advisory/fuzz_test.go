package advisory

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep440"
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
	f.Add(billionLaughs())
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

// FuzzOpenZip feeds arbitrary bytes to the zip reader with its caps: no
// panic, errors that name the archive on one bounded line, and what opens
// matches consistently.
func FuzzOpenZip(f *testing.F) {
	good, err := os.ReadFile(zipDir(f, fixtureDir))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte("PK\x01\x02PK\x01\x02PK\x03\x04"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.zip")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := Open(p)
		if err != nil {
			checkError(t, err, p)
			return
		}
		for _, id := range db.IDs() {
			if e, ok := db.Get(id); ok {
				for _, a := range e.Affected {
					db.Query(a.Package.Name, "1.0")
					db.UnreadRanges(a.Package.Name)
				}
			}
		}
	})
}

// FuzzOpenDir reads one fuzzed advisory file from a directory, as JSON and
// as YAML, through the directory reader and its caps.
func FuzzOpenDir(f *testing.F) {
	addFixtureSeeds(f, ".json")
	addFixtureSeeds(f, ".yaml")
	f.Add(billionLaughs())
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"a.json", "a.yaml"} {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir)
			if err != nil {
				checkError(t, err, dir)
				continue
			}
			for _, id := range db.IDs() {
				if _, ok := db.Raw(id); !ok {
					t.Fatalf("Raw(%s) failed", id)
				}
			}
		}
	})
}

// checkError checks an error message: it names the input and stays short,
// whatever the input held.
func checkError(t *testing.T, err error, path string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, path) {
		t.Fatalf("error does not name %s: %v", path, err)
	}
	if len(msg) > 2*len(path)+400 {
		t.Fatalf("error of %d bytes: %.200s", len(msg), msg)
	}
}

// FuzzReadBound checks that no bound widens a range: an advisory
// [introduced 0, last_affected B] affects no version above B's reading, and
// none at all when B is not read.
func FuzzReadBound(f *testing.F) {
	for _, s := range []string{"2.6.0-cu124", "8.3.0-11.1", "2024-09-25", "4.6.0.stable11", "1.0", "1.0-rc.x", `0.2.0-alpha\.33`} {
		f.Add(s, "99999")
	}
	f.Fuzz(func(t *testing.T, bound, version string) {
		v, how := readBound(bound)
		pv, err := pep440.Parse(version)
		if err != nil {
			return
		}
		for _, kind := range []string{"last_affected", "fixed"} {
			ev := Event{LastAffected: bound}
			if kind == "fixed" {
				ev = Event{Fixed: bound}
			}
			e := boundAdvisory("F-1", []Event{{Introduced: "0"}, ev})
			got := Affects(e, "p", version)
			switch how {
			case boundUnusable:
				if got && strings.TrimSpace(bound) != "" {
					t.Fatalf("%s %q unread, but %s is affected", kind, bound, version)
				}
			case boundBuild:
				if want := pv.Compare(v) <= 0 || pv.Public().Compare(v) == 0; got != want {
					t.Fatalf("%s %q read as %s: Affects(%s) = %v", kind, bound, v, version, got)
				}
			}
		}
	})
}
