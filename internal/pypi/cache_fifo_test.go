package pypi

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A FIFO planted where a cache entry belongs is a miss, not a hang.
func TestCacheEntryFIFOIsAMiss(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	p := c.path("https://pypi.org/pypi/requests/json", "application/json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if e := c.read("https://pypi.org/pypi/requests/json", "application/json"); e != nil {
		t.Fatalf("read a FIFO as a cache entry: %+v", e)
	}
}
