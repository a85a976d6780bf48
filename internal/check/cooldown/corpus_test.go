package cooldown

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
)

func corpus(t *testing.T) string {
	t.Helper()
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return root
}

// TestCorpusUVLockUploadTimes reads the upload times of the real projects'
// uv.lock files (uv records one on every registry file) and checks them
// against a clock just after the newest one and a week later.
func TestCorpusUVLockUploadTimes(t *testing.T) {
	root := corpus(t)
	locks, err := filepath.Glob(filepath.Join(root, "lockfiles", "uv", "test", "ecosystem", "*", "uv.lock"))
	if err != nil || len(locks) < 20 {
		t.Fatalf("corpus uv.lock files: %d, %v", len(locks), err)
	}
	var files, dated, reported int
	for _, path := range locks {
		inv, err := inventory.ParseFile(path, inventory.FormatUVLock, inventory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Warnings) > 0 {
			t.Errorf("%s: %q", path, inv.Warnings)
		}
		var newest time.Time
		for _, p := range inv.Packages {
			if p.Source.Kind != inventory.SourceIndex {
				continue
			}
			for _, f := range p.Files {
				files++
				if f.Uploaded == "" {
					t.Errorf("%s: %s %s: %s has no upload time", path, p.Name, p.Version, f.Name)
					continue
				}
				u, err := time.Parse(time.RFC3339Nano, f.Uploaded)
				if err != nil || u.Year() < 2005 {
					t.Errorf("%s: %s: upload time %q", path, f.Name, f.Uploaded)
					continue
				}
				dated++
				if u.After(newest) {
					newest = u
				}
			}
		}
		if newest.IsZero() {
			t.Errorf("%s: no upload times", path)
			continue
		}
		fs, err := Check(context.Background(), inv, nil, DefaultConfig(), newest.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		reported += len(fs)
		// The newest file may belong to an older release (a wheel added
		// later), so the newest release is not necessarily inside the window;
		// whatever is reported is.
		for _, f := range fs {
			u, err := time.Parse(time.RFC3339, f.Evidence["uploaded"])
			if err != nil || newest.Add(time.Hour).Sub(u) >= 7*24*time.Hour {
				t.Errorf("%s: %s %s reported, uploaded %s", path, f.Package, f.Version, f.Evidence["uploaded"])
			}
		}
		if fs, _ := Check(context.Background(), inv, nil, DefaultConfig(), newest.Add(8*24*time.Hour)); len(fs) != 0 {
			t.Errorf("%s: %d findings a week after the newest upload", path, len(fs))
		}
	}
	t.Logf("%d uv.lock files: %d of %d registry files dated; %d versions inside the cooldown an hour after each lock's newest upload", len(locks), dated, files, reported)
	if dated < 30000 || reported == 0 {
		t.Errorf("%d upload times read, %d versions reported", dated, reported)
	}
}

// TestCorpusPylockUploadTimes reads pip's pair of pylock.toml files with
// and without upload-time (a TOML date-time).
func TestCorpusPylockUploadTimes(t *testing.T) {
	root := corpus(t)
	dir := filepath.Join(root, "lockfiles", "pip", "lockfiles")
	clock := time.Date(2026, 6, 18, 12, 0, 0, 0, time.UTC)
	with, err := inventory.ParseFile(filepath.Join(dir, "pylock.certifi-with-upload_time.toml"), inventory.FormatPylock, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Check(context.Background(), with, nil, DefaultConfig(), clock)
	if err != nil || len(fs) != 1 {
		t.Fatalf("with upload times: %d findings, %v", len(fs), err)
	}
	// The wheel went up a second before the sdist.
	if f := fs[0]; f.Package != "certifi" || f.Version != "2026.6.17" || f.Evidence["uploaded"] != "2026-06-17T10:31:06Z" || f.Evidence["file"] != "certifi-2026.6.17-py3-none-any.whl" {
		t.Errorf("finding = %+v", f)
	}
	without, err := inventory.ParseFile(filepath.Join(dir, "pylock.certifi-without-upload_time.toml"), inventory.FormatPylock, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fs := mustCheck(t, without, DefaultConfig()); len(fs) != 0 {
		t.Errorf("without upload times: %d findings", len(fs))
	}
}

// BenchmarkCorpusUVLock checks the largest corpus uv.lock (transformers:
// about 5,300 dated files) from its parsed inventory.
func BenchmarkCorpusUVLock(b *testing.B) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		b.Skip("PYVET_CORPUS not set")
	}
	inv, err := inventory.ParseFile(filepath.Join(root, "lockfiles", "uv", "test", "ecosystem", "transformers", "uv.lock"), inventory.FormatUVLock, inventory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	clock := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for range b.N {
		if _, err := Check(context.Background(), inv, nil, Config{Days: 30}, clock); err != nil {
			b.Fatal(err)
		}
	}
}
