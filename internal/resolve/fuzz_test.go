package resolve

import (
	"errors"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi"
)

// FuzzDistFromMetadata feeds core-metadata files through the one metadata
// parser and the resolver's conversion: no panic, an error is one short
// line naming the file and wraps ErrInvalidMetadata, and every requirement kept
// comes from a Requires-Dist field.
func FuzzDistFromMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b>=1; extra == 'x'\nProvides-Extra: x\nRequires-Python: >=3.8\n"))
	f.Add([]byte("Name: a\nRequires-Dist: b @ https://example.com/b.whl\nRequires-Dist: c[d,e]<2,>1 ; python_version<'3.9' or sys_platform=='win32'\n"))
	f.Add([]byte("Name: a\nRequires-Dist: b>=\n"))
	f.Add([]byte("Name: a\nRequires-Dist: \n  continued\n\nbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := pypi.ParseMetadata(data, "x.whl.metadata")
		if err != nil {
			return
		}
		d, err := distFromMetadata(md, "x.whl.metadata")
		if err != nil {
			if !errors.Is(err, ErrInvalidMetadata) || !strings.HasPrefix(err.Error(), "x.whl.metadata: ") ||
				strings.ContainsAny(err.Error(), "\r\n") || len(err.Error()) > 300 {
				t.Fatalf("error %q: want x.whl.metadata: ... wrapping ErrInvalidMetadata", err)
			}
			return
		}
		if len(d.Requires) != len(md.All("Requires-Dist")) {
			t.Fatalf("%d requirements from %d Requires-Dist fields", len(d.Requires), len(md.All("Requires-Dist")))
		}
		for _, r := range d.Requires {
			if r.Name == "" {
				t.Fatalf("requirement without a name: %v", r)
			}
		}
	})
}

// FuzzWheelTags: expanding a file name's tags never panics and every tag
// has three parts.
func FuzzWheelTags(f *testing.F) {
	f.Add("numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	f.Add("six-1.17.0-py2.py3-none-any.whl")
	f.Add("a-1-1-py3-none-any.WHL")
	f.Add("a-1.tar.gz")
	f.Fuzz(func(t *testing.T, name string) {
		for _, tag := range WheelTags(name) {
			if strings.Count(tag, "-") < 2 {
				t.Fatalf("%q: tag %q", name, tag)
			}
		}
	})
}
