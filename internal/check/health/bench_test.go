package health

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// writeProjects writes n synthetic JSON API responses of 40 releases each.
func writeProjects(b *testing.B, dir string, n int) *inventory.Inventory {
	inv := &inventory.Inventory{}
	base := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := fmt.Sprintf("pkg-%03d", i)
		rel := map[string][]map[string]any{}
		for r := range 40 {
			v := fmt.Sprintf("%d.%d.%d", r/10, r%10, i%3)
			rel[v] = []map[string]any{{
				"filename": name + "-" + v + ".tar.gz", "url": "https://files.pythonhosted.org/packages/x/" + name + "-" + v + ".tar.gz",
				"size": 10000 + r, "upload_time_iso_8601": base.Add(time.Duration(r*30*24) * time.Hour).Format(time.RFC3339), "yanked": r == 7,
			}}
		}
		doc := map[string]any{"info": map[string]any{"name": name, "version": "3.9.0", "summary": "x", "license": "MIT", "classifiers": []string{"License :: OSI Approved :: MIT License"}}, "releases": rel}
		data, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644); err != nil {
			b.Fatal(err)
		}
		inv.Packages = append(inv.Packages, &inventory.Package{Name: name, Version: fmt.Sprintf("1.%d.%d", i%10, i%3), Direct: i%5 == 0})
	}
	return inv
}

// BenchmarkCheck500WarmDisk checks a 500-package inventory with every response
// fresh in the on-disk cache, with a new client each time (as one pyvet run):
// no network requests.
func BenchmarkCheck500WarmDisk(b *testing.B) { bench500(b, true) }

// BenchmarkCheck500WarmMemory is the same with one client, whose in-memory
// copy of the cache serves the responses (as a second check in the same run).
func BenchmarkCheck500WarmMemory(b *testing.B) { bench500(b, false) }

func bench500(b *testing.B, newClient bool) {
	dir := b.TempDir()
	inv := writeProjects(b, dir, 500)
	srv := pypitest.New(b, pypitest.Layout{ProjectJSON: dir})
	cache := b.TempDir()
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: cache})
	ctx := context.Background()
	if _, err := Check(ctx, inv, idx, DefaultConfig()); err != nil {
		b.Fatal(err)
	}
	warm := srv.Requests.Load()
	b.ResetTimer()
	for range b.N {
		if newClient {
			idx = pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: cache})
		}
		fs, err := Check(ctx, inv, idx, DefaultConfig())
		if err != nil || len(fs) == 0 {
			b.Fatal(err, len(fs))
		}
	}
	b.StopTimer()
	if srv.Requests.Load() != warm {
		b.Fatalf("warm cache made %d requests", srv.Requests.Load()-warm)
	}
}
