package remedy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

func TestRequireHashes(t *testing.T) {
	h := " --hash=sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		name, body, want string // want "": no error
	}{
		{"all hashed", "flask==2.0.0" + h + "\nsix==1.16.0" + h + "\n", ""},
		{"constraint exempt", "flask==2.0.0" + h + "\n-c c.txt\n", ""},
		{"unhashed", "flask==2.0.0" + h + "\nsix==1.16.0\n", "requirements.txt:2: six has no --hash"},
		{"range", "flask>=2.0" + h + "\n", "flask is not pinned with == (>=2.0)"},
		{"no version", "flask\n", "flask is not pinned with == (no version)"},
		{"editable", "-e ./local\n", "is editable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join(dir, "requirements.txt")
			os.WriteFile(req, []byte(tc.body), 0o644)
			os.WriteFile(filepath.Join(dir, "c.txt"), []byte("urllib3<2\n"), 0o644)
			os.MkdirAll(filepath.Join(dir, "local"), 0o755)
			os.WriteFile(filepath.Join(dir, "local", "setup.py"), []byte("from setuptools import setup\nsetup(name='local')\n"), 0o644)
			inv, err := inventory.Load([]string{req}, inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = RequireHashes(inv)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
	// A lockfile is not a requirements file: the mode does not apply.
	dir := t.TempDir()
	lock := filepath.Join(dir, "poetry.lock")
	os.WriteFile(lock, []byte("[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n"), 0o644)
	inv, err := inventory.Load([]string{lock}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := RequireHashes(inv); err == nil || !strings.Contains(err.Error(), "-r FILE") {
		t.Errorf("lockfile: %v", err)
	}
}
