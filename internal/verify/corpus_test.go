package verify

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func corpusRoot(t *testing.T) string {
	t.Helper()
	d := os.Getenv("PYVET_CORPUS")
	if d == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return d
}

// installWheel unpacks a wheel into site-packages as an installer would
// (without rewriting RECORD).
func installWheel(t *testing.T, whl, sp string) {
	t.Helper()
	zr, err := zip.OpenReader(whl)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		dst := filepath.Join(sp, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		out.Close()
	}
}

// TestCorpusInstalledWheels installs the corpus's real wheels and checks that
// every file matches its RECORD, then that a changed byte is caught.
func TestCorpusInstalledWheels(t *testing.T) {
	base := corpusRoot(t)
	wheels, _ := filepath.Glob(filepath.Join(base, "wheels", "*.whl"))
	more, _ := filepath.Glob(filepath.Join(base, "wheels", "*", "*.whl"))
	wheels = append(wheels, more...)
	if len(wheels) < 10 {
		t.Fatalf("only %d wheels in the corpus", len(wheels))
	}
	installed := 0
	for _, whl := range wheels {
		venv := t.TempDir()
		sp := filepath.Join(venv, "lib", "python3.12", "site-packages")
		installWheel(t, whl, sp)
		rep, err := CheckEnv(venv)
		if err != nil {
			t.Fatalf("%s: %v", whl, err)
		}
		for _, p := range rep.Problems {
			if p.Kind == "modified" || p.Kind == "missing" || p.Kind == "unrecorded" {
				t.Errorf("%s: %+v", filepath.Base(whl), p)
			}
		}
		if rep.Packages != 1 || rep.Files == 0 {
			t.Errorf("%s: %d packages, %d files", filepath.Base(whl), rep.Packages, rep.Files)
			continue
		}
		installed++
		// Change one byte of the first .py file.
		var target string
		filepath.WalkDir(sp, func(p string, d os.DirEntry, err error) error {
			if target == "" && err == nil && strings.HasSuffix(p, ".py") {
				target = p
			}
			return nil
		})
		if target == "" {
			continue
		}
		data, _ := os.ReadFile(target)
		if len(data) == 0 {
			continue
		}
		data[0] ^= 0x20
		os.WriteFile(target, data, 0o644)
		rep, _ = CheckEnv(venv)
		found := false
		for _, p := range rep.Problems {
			if p.Kind == "modified" && strings.HasSuffix(target, filepath.FromSlash(p.Path)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: change to %s not detected: %+v", filepath.Base(whl), target, rep.Problems)
		}
	}
	t.Logf("%d real wheels installed and verified against RECORD", installed)
}

func TestCorpusPoetryInstalledPth(t *testing.T) {
	base := corpusRoot(t)
	rep, err := CheckEnv(filepath.Join(base, "installed", "poetry"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range rep.Problems {
		if p.Kind == "pth-exec" {
			n++
			t.Logf("%s: %s", p.Path, p.Detail)
		}
	}
	if n == 0 {
		t.Errorf("the .pth file with an import line was not called out: %+v", rep.Problems)
	}
}
