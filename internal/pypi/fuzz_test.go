package pypi

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseSimple(f *testing.F) {
	f.Add([]byte(`<a href="../x-1.0.tar.gz#sha256=ab" data-yanked="why" data-core-metadata="sha256=cd">x-1.0.tar.gz</a>`), false)
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"name":"x","files":[{"filename":"x.whl","url":"x.whl","hashes":{},"yanked":"r","core-metadata":{"sha256":"ab"}}]}`), true)
	f.Add([]byte(`<base href="http://h/a/"><a href="%zz">bad</a><!--SERIAL 12-->`), false)
	base, _ := url.Parse("https://example.org/simple/x/")
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		ct := "text/html"
		if isJSON {
			ct = mediaSimpleJSON
		}
		p, err := ParseSimple(ct, data, base, "fuzz")
		if err == nil && p == nil {
			t.Fatal("nil page without error")
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "METADATA")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Metadata-Version: 2.1\nName: x\nLicense: MIT\n  continued\n\nbody"))
	f.Add([]byte(" leading continuation"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data, "fuzz")
		if err == nil && len(m.Fields) == 0 {
			t.Fatal("no fields without error")
		}
	})
}

func FuzzParseProject(f *testing.F) {
	for _, n := range []string{"demo.json", "bare.json", "broken.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "pypi", n)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProject(data, "fuzz")
		if err == nil {
			_ = p.ReleaseList()
		}
	})
}
