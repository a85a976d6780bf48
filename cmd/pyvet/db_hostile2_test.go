package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
)

// A damaged or foreign cached index, as each command meets it: an index of
// format 5, one cut after its header, one whose size field lies, a FIFO and
// a directory in its place. audit, db status and serve each say one line
// naming the file, with `pyvet db update` as the remedy where a rebuild
// helps, and exit 2; none hangs or panics.
func TestHostile2DamagedCachedIndex(t *testing.T) {
	good := t.TempDir()
	if _, err := advisory.Import(good, fixtureDB); err != nil {
		t.Fatal(err)
	}
	idx, err := os.ReadFile(advisory.CachedPath(good))
	if err != nil {
		t.Fatal(err)
	}
	lying := append([]byte(nil), idx...)
	binary.LittleEndian.PutUint64(lying[16:], uint64(len(lying)+4096))
	req := writeReqs(t, "Foo_Bar==1.0.0\n")
	for _, tc := range []struct {
		name   string
		make   func(p string) error
		remedy bool
	}{
		{"format 5", func(p string) error { return os.WriteFile(p, []byte("PYVETIDX5\n\x10\x00\x00\x00{}"), 0o644) }, true},
		{"cut after the header", func(p string) error { return os.WriteFile(p, idx[:100], 0o644) }, true},
		{"size field lies", func(p string) error { return os.WriteFile(p, lying, 0o644) }, true},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, true},
		{"a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o644) }, false},
		{"a directory", func(p string) error { return os.Mkdir(p, 0o755) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			p := advisory.CachedPath(cache)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := tc.make(p); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"--offline", "--cache-dir", cache, "-q", "audit", "--no-deps", "-r", req},
				{"--cache-dir", cache, "db", "status"},
				{"--offline", "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", p, "-r", req},
			} {
				out, errs, code := runExit(t, args...)
				if code != exitUsage || !oneLine(errs) || !strings.Contains(errs, p) || strings.Contains(errs, "panic") {
					t.Errorf("%v: exit %d, want 2 and one line naming %s:\n%s%s", args[3:], code, p, out, errs)
					continue
				}
				// An empty file given as --db may be meant as any kind of
				// database: "not a zip archive" is right there.
				if tc.remedy && !(tc.name == "empty" && strings.Contains(strings.Join(args, " "), "--db")) && !strings.Contains(errs, "pyvet db update") {
					t.Errorf("%v: no remedy: %s", args[3:], errs)
				}
			}
		})
	}
}

// db update --from something that is not an export: /dev/zero, a FIFO, a
// symlink loop, an empty file, the index itself. One line, exit 2, no
// hang, and the installed database stays as it was.
func TestHostile2DBUpdateFromHostile(t *testing.T) {
	cache := t.TempDir()
	if _, err := advisory.Import(cache, fixtureDB); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(advisory.CachedPath(cache))
	dir := t.TempDir()
	fifo := filepath.Join(dir, "all.zip")
	syscall.Mkfifo(fifo, 0o644)
	loop := filepath.Join(dir, "loop.zip")
	os.Symlink(loop, loop)
	empty := filepath.Join(dir, "empty.zip")
	os.WriteFile(empty, nil, 0o644)
	junk := filepath.Join(dir, "junk.zip")
	os.WriteFile(junk, []byte("PK\x03\x04not really a zip"), 0o644)
	for _, from := range []string{"/dev/zero", fifo, loop, empty, junk} {
		out, errs, code := runExit(t, "--cache-dir", cache, "-q", "db", "update", "--from", from)
		if code != exitUsage || !oneLine(errs) || !strings.Contains(errs, from) {
			t.Errorf("--from %s: exit %d, want 2 and one line naming it:\n%s%s", from, code, out, errs)
		}
	}
	if after, _ := os.ReadFile(advisory.CachedPath(cache)); string(after) != string(before) {
		t.Error("the installed database changed")
	}
	// The installed index as its own source: whatever it says, the index
	// stays readable.
	runExit(t, "--cache-dir", cache, "-q", "db", "update", "--from", advisory.CachedPath(cache))
	if db, err := advisory.OpenCached(cache); err != nil {
		t.Errorf("db update --from the index itself broke it: %v", err)
	} else {
		db.Close()
	}
}

// A damaged record of the audited package in the cached index (one byte
// of its matching data changed, its own checksum now wrong): the audit
// cannot tell whether foo-bar 1.0.0 is affected, so it must not pass (it
// used to warn, then say "the run passes" and exit 0): exit 2 with one
// line naming the index and `pyvet db update --force`, no verdict of a
// clean run. An audit of a package whose record is intact still passes.
func TestHostile2DamagedRecordNeverPasses(t *testing.T) {
	cache := t.TempDir()
	if _, err := advisory.Import(cache, fixtureDB); err != nil {
		t.Fatal(err)
	}
	p := advisory.CachedPath(cache)
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	req := writeReqs(t, "foo-bar==1.0.0\n")
	other := writeReqs(t, "safe==1.0\nevil-pkg==9.9\n")
	tried := 0
	for off := 0; ; {
		k := bytes.Index(orig[off:], []byte("1.5.0"))
		if k < 0 {
			break
		}
		at := off + k + 2
		off = at
		bad := bytes.Clone(orig)
		bad[at] = '9' // 1.5.0 -> 1.9.0 in the record
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		tried++
		for _, format := range []string{"table", "json"} {
			out, errs, code := runExit(t, "--offline", "--cache-dir", cache, "audit", "--no-deps", "-f", format, "-r", req)
			if code != exitUsage || !oneLine(errs) || !strings.Contains(errs, p) || !strings.Contains(errs, "pyvet db update --force") ||
				strings.Contains(errs, "the run passes") || strings.Contains(out, "the run passes") {
				t.Errorf("byte %d changed, -f %s: exit %d, want 2 and one line naming the index:\n%s%s", at, format, code, out, errs)
			}
		}
		if _, errs, code := runExit(t, "--offline", "--cache-dir", cache, "-q", "audit", "--no-deps", "-r", other); code != exitOK {
			t.Errorf("byte %d changed: an audit of another package: exit %d: %s", at, code, errs)
		}
	}
	if tried == 0 {
		t.Fatal("the fixture's fix version is not in the index")
	}
}

// fix and sbom --with-vulns read the same matching data as audit: with the
// audited package's record damaged, fix said "No known vulnerabilities to
// fix." (exit 0; fixed since) and sbom --with-vulns writes a document
// without the package's advisories (exit 0). Expected: the audit's error,
// exit 2, nothing written.
func TestHostile2DamagedRecordFix(t *testing.T) {
	damagedRecordRuns(t, [][]string{{"fix", "--dry-run"}, {"fix"}})
}

// TestHostile2DamagedRecordSBOM is sbom --with-vulns's part of
// TestHostile2DamagedRecordFix.
func TestHostile2DamagedRecordSBOM(t *testing.T) {
	damagedRecordRuns(t, [][]string{{"sbom", "--with-vulns"}})
}

func damagedRecordRuns(t *testing.T, runs [][]string) {
	cache := t.TempDir()
	if _, err := advisory.Import(cache, fixtureDB); err != nil {
		t.Fatal(err)
	}
	p := advisory.CachedPath(cache)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	k := bytes.Index(b, []byte("1.5.0"))
	if k < 0 {
		t.Fatal("the fixture's fix version is not in the index")
	}
	b[k+2] = '9'
	os.WriteFile(p, b, 0o644)
	req := writeReqs(t, "foo-bar==1.0.0\n")
	for _, args := range runs {
		args = append(append([]string{}, args...), req)
		out, errs, code := runExit(t, append([]string{"--offline", "--cache-dir", cache, "-q"}, args...)...)
		if code != exitUsage || !strings.Contains(errs, "pyvet db update --force") {
			t.Errorf("%v: exit %d, want 2 naming the damaged index:\n%.300s%s", args, code, out, errs)
		}
	}
	if got, _ := os.ReadFile(req); string(got) != "foo-bar==1.0.0\n" {
		t.Errorf("fix wrote %q", got)
	}
}
