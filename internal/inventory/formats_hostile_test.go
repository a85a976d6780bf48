package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// loadWithin runs Load in the background and fails the test if it has not
// returned after a generous delay (it would block forever on a FIFO).
func loadWithin(t *testing.T, paths []string) (*Inventory, error) {
	t.Helper()
	type res struct {
		inv *Inventory
		err error
	}
	done := make(chan res, 1)
	go func() { inv, err := Load(paths, Options{}); done <- res{inv, err} }()
	select {
	case r := <-done:
		return r.inv, r.err
	case <-time.After(60 * time.Second):
		t.Fatal("Load blocked")
	}
	return nil, nil
}

func mkfifoAt(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func symlinkZero(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	if err := os.Symlink("/dev/zero", p); err != nil {
		t.Fatal(err)
	}
}

func warned(inv *Inventory, path, what string) bool {
	for _, w := range inv.Warnings {
		if strings.Contains(w, path) && strings.Contains(w, what) && strings.Contains(w, "skipped") {
			return true
		}
	}
	return false
}

// TestProjectScanSkipsFIFOsAndDevices: the dependency files of a project
// directory that are FIFOs or devices are skipped with a warning naming
// them; the regular files are read.
func TestProjectScanSkipsFIFOsAndDevices(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\nname = \"p\"\nversion = \"1\"\ndependencies = [\"requests==2.31.0\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mkfifoAt(t, filepath.Join(dir, "poetry.lock"))
	mkfifoAt(t, filepath.Join(dir, "requirements-dev.txt"))
	mkfifoAt(t, filepath.Join(dir, "environment.yml"))
	symlinkZero(t, filepath.Join(dir, "uv.lock"))
	symlinkZero(t, filepath.Join(dir, "Pipfile.lock"))
	symlinkZero(t, filepath.Join(dir, "setup.cfg"))

	inv, err := loadWithin(t, []string{dir})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "requests" {
		t.Errorf("packages = %v, want requests from pyproject.toml", inv.Packages)
	}
	for _, f := range []string{"poetry.lock", "requirements-dev.txt", "environment.yml"} {
		if !warned(inv, filepath.Join(dir, f), "FIFO") {
			t.Errorf("no warning for the FIFO %s in %q", f, inv.Warnings)
		}
	}
	for _, f := range []string{"uv.lock", "Pipfile.lock", "setup.cfg"} {
		if !warned(inv, filepath.Join(dir, f), "device") {
			t.Errorf("no warning for the device %s in %q", f, inv.Warnings)
		}
	}
}

// TestExplicitFIFOIsAnError: a FIFO or device named on the command line is
// an error naming it, never waited on.
func TestExplicitFIFOIsAnError(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml", "pyproject.toml", "environment.yml", "setup.cfg", "bom.cdx.json"} {
		fifo := filepath.Join(dir, "fifo", name)
		zero := filepath.Join(dir, "zero", name)
		os.MkdirAll(filepath.Dir(fifo), 0o755)
		os.MkdirAll(filepath.Dir(zero), 0o755)
		mkfifoAt(t, fifo)
		symlinkZero(t, zero)
		for _, p := range []string{fifo, zero} {
			_, err := loadWithin(t, []string{p})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != p || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: err = %v, want a ParseError naming it as not a regular file", p, err)
			}
		}
	}
}

// TestSitePackagesSkipsSpecialMetadata: a dist-info whose METADATA is a
// FIFO or device is skipped with a warning; the others are read; a FIFO
// RECORD or direct_url.json is never read.
func TestSitePackagesSkipsSpecialMetadata(t *testing.T) {
	sp := t.TempDir()
	dist := func(name string) string {
		d := filepath.Join(sp, name+"-1.0.dist-info")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	meta := "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n"
	good := dist("good")
	os.WriteFile(filepath.Join(good, "METADATA"), []byte(strings.Replace(meta, "%s", "good", 1)), 0o644)
	mkfifoAt(t, filepath.Join(good, "RECORD"))
	mkfifoAt(t, filepath.Join(good, "direct_url.json"))
	mkfifoAt(t, filepath.Join(dist("fifo"), "METADATA"))
	symlinkZero(t, filepath.Join(dist("zero"), "METADATA"))
	mkfifoAt(t, filepath.Join(sp, "pipe-1.0.dist-info"))

	inv, err := func() (*Inventory, error) {
		done := make(chan struct{})
		var inv *Inventory
		var err error
		go func() { inv, err = ParseSitePackages(sp, Options{}); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("ParseSitePackages blocked")
		}
		return inv, err
	}()
	if err != nil {
		t.Fatalf("ParseSitePackages: %v", err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "good" {
		t.Fatalf("packages = %v, want only good", inv.Packages)
	}
	for _, name := range []string{"fifo-1.0.dist-info", "zero-1.0.dist-info", "pipe-1.0.dist-info"} {
		if !warned(inv, filepath.Join(sp, name), "not a regular file") {
			t.Errorf("no warning for %s in %q", name, inv.Warnings)
		}
	}
}

// TestReadersRefuseOversizedInputs: every reader Load uses is capped at
// safeio.MaxTextFile (a sparse file past the cap is refused before it is
// read).
func TestReadersRefuseOversizedInputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"uv.lock", "poetry.lock", "Pipfile.lock", "pyproject.toml", "bom.cdx.json"} {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(safeio.MaxJSON + 1); err != nil {
			t.Skipf("truncate: %v", err)
		}
		f.Close()
		_, err = Load([]string{p}, Options{})
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("%s: err = %v, want a size error naming the file", name, err)
		}
	}
}

// TestSBOMInputUsesJSONCap: an SBOM is read up to safeio.MaxJSON, beyond the
// cap of text dependency files.
func TestSBOMInputUsesJSONCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bom.cdx.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(safeio.MaxTextFile + 1); err != nil {
		t.Skipf("truncate: %v", err)
	}
	f.Close()
	_, err = ParseFile(p, FormatSBOM, Options{})
	if err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v, want the content refused, not the size", err)
	}
}

// TestCondaMetaScanSkipsFIFOsAndDevices: a conda-meta record that is a FIFO
// or device is skipped with a warning; the others are read.
func TestCondaMetaScanSkipsFIFOsAndDevices(t *testing.T) {
	cm := filepath.Join(t.TempDir(), "conda-meta")
	if err := os.Mkdir(cm, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := `{"name": "numpy", "version": "1.26.4", "build": "py312h0", "channel": "https://conda.anaconda.org/conda-forge/linux-64"}`
	if err := os.WriteFile(filepath.Join(cm, "numpy-1.26.4-py312h0.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	mkfifoAt(t, filepath.Join(cm, "fifo-1-0.json"))
	symlinkZero(t, filepath.Join(cm, "zero-1-0.json"))
	inv, err := loadWithin(t, []string{cm})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "numpy" {
		t.Errorf("packages = %v, want numpy", inv.Packages)
	}
	if !warned(inv, filepath.Join(cm, "fifo-1-0.json"), "FIFO") || !warned(inv, filepath.Join(cm, "zero-1-0.json"), "device") {
		t.Errorf("warnings = %q, want one per special file", inv.Warnings)
	}
}
