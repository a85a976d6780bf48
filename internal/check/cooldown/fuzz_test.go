package cooldown

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
)

// FuzzUploadTime puts arbitrary upload-time values into a uv.lock and a
// pylock.toml: parsing either fails with a one-line error or gives times
// that are empty or RFC 3339, and the check never panics.
func FuzzUploadTime(f *testing.F) {
	for _, s := range []string{`"2024-10-28T19:06:27.857Z"`, `2025-01-25T11:30:10.164985+00:00`, `2026-11-30T20:00:00`, `2026-11-30`, `'2026-11-30 18:00:00Z'`, `"yesterday"`, `12`, `[1, 2]`, `{ a = 1 }`, `"9999-12-31T23:59:59Z"`, `"0000-01-01T00:00:00Z"`, `1979-05-27T07:32:00-08:00`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		parsers := map[string]func(string, []byte, inventory.Options) (*inventory.Inventory, error){
			"uv.lock": inventory.ParseUVLock, "pylock.toml": inventory.ParsePylock,
		}
		docs := map[string]string{
			"uv.lock": "version = 1\n\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n" +
				"wheels = [{ url = \"https://files.pythonhosted.org/a-1.0-py3-none-any.whl\", hash = \"sha256:00\", size = 1, upload-time = " + v + " }]\n",
			"pylock.toml": "lock-version = \"1.0\"\n\n[[packages]]\nname = \"a\"\nversion = \"1.0\"\n" +
				"wheels = [{ name = \"a-1.0-py3-none-any.whl\", url = \"https://files.pythonhosted.org/a-1.0-py3-none-any.whl\", upload-time = " + v + ", size = 1, hashes = { sha256 = \"00\" } }]\n",
		}
		for name, doc := range docs {
			inv, err := parsers[name](name, []byte(doc), inventory.Options{})
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("%s: multi-line error %q", name, err)
				}
				continue
			}
			for _, p := range inv.Packages {
				for _, file := range p.Files {
					if file.Uploaded == "" {
						continue
					}
					if _, err := time.Parse(time.RFC3339Nano, file.Uploaded); err != nil {
						t.Fatalf("%s: upload time %q: %v", name, file.Uploaded, err)
					}
				}
			}
			for _, w := range inv.Warnings {
				if strings.Contains(w, "\n") || len(w) > 400 {
					t.Fatalf("%s: warning %q", name, w)
				}
			}
			_, _ = Check(context.Background(), inv, nil, DefaultConfig(), now)
		}
	})
}
