package inventory

import (
	"slices"
	"strings"
	"testing"
)

// TestUVLockUploadTimes reads upload-time in each form a uv.lock may hold
// it: uv's string, TOML offset and local date-times, and values that are
// not date-times (left out, with one warning naming the first).
func TestUVLockUploadTimes(t *testing.T) {
	const lock = `version = 1
requires-python = ">=3.9"

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://h/a-1.0.tar.gz", hash = "sha256:00", size = 1, upload-time = "2024-10-28T19:06:27.857Z" }
wheels = [
    { url = "https://h/a-1.0-py3-none-any.whl", hash = "SHA256:01", size = 2, upload-time = 2024-10-28T21:06:27.5+02:00 },
    { url = "https://h/a-1.0-cp39-none-any.whl", hash = "sha256=02", size = 3, upload-time = 2024-10-28T19:06:27 },
    { url = "https://h/a-1.0-cp310-none-any.whl?x#y", hash = "sha256:03", size = 4, upload-time = "2024-10-28 19:06:27.100Z" },
    { url = "https://h/a-1.0-cp311-none-any.whl", hash = "sha256:04", size = 5, upload-time = 17 },
    { url = "https://h/a-1.0-cp312-none-any.whl", hash = "sha256:05", size = 6, upload-time = "soon" },
    { url = "https://h/a-1.0-cp313-none-any.whl", hash = "sha256:06", size = 7 },
]
`
	inv, err := ParseUVLock("uv.lock", []byte(lock), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 {
		t.Fatalf("%d packages", len(inv.Packages))
	}
	p := inv.Packages[0]
	var names, times, hashes []string
	for _, f := range p.Files {
		names = append(names, f.Name)
		times = append(times, f.Uploaded)
		hashes = append(hashes, f.Hashes...)
	}
	wantNames := []string{"a-1.0.tar.gz", "a-1.0-py3-none-any.whl", "a-1.0-cp39-none-any.whl", "a-1.0-cp310-none-any.whl", "a-1.0-cp311-none-any.whl", "a-1.0-cp312-none-any.whl", "a-1.0-cp313-none-any.whl"}
	wantTimes := []string{"2024-10-28T19:06:27.857Z", "2024-10-28T19:06:27.5Z", "2024-10-28T19:06:27Z", "2024-10-28T19:06:27.1Z", "", "", ""}
	wantHashes := []string{"sha256:00", "sha256:01", "sha256:02", "sha256:03", "sha256:04", "sha256:05", "sha256:06"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("names %q, want %q", names, wantNames)
	}
	if !slices.Equal(times, wantTimes) {
		t.Errorf("upload times %q, want %q", times, wantTimes)
	}
	if !slices.Equal(hashes, wantHashes) {
		t.Errorf("file hashes %q, want %q", hashes, wantHashes)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "uv.lock:5: 2 upload-time value(s) are not date-times") || !strings.Contains(inv.Warnings[0], "(the first: int64)") {
		t.Errorf("warnings %q", inv.Warnings)
	}
}
