package inventory_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/sbom"
)

func readSBOM(t *testing.T, name string) (*inventory.Inventory, error) {
	t.Helper()
	path := filepath.Join("testdata", "sbom", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !inventory.IsSBOM(data) {
		t.Fatalf("IsSBOM(%s) = false", name)
	}
	return inventory.ParseSBOM(path, data)
}

func pkgMap(inv *inventory.Inventory) map[string]*inventory.Package {
	m := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		m[p.Name] = p
	}
	return m
}

func TestParseCycloneDX(t *testing.T) {
	inv, err := readSBOM(t, "app.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	m := pkgMap(inv)
	if len(inv.Packages) != 4 {
		t.Fatalf("packages = %v", inv)
	}
	req := m["requests"]
	if req == nil || req.Version != "2.19.0" || !req.Direct || req.License != "Apache-2.0" ||
		len(req.Hashes) != 1 || req.Hashes[0] != "sha256:63b52e3c866428a224f97cab011de738c36aec0185aa91cfacd418b5d58911d1" {
		t.Errorf("requests = %+v", req)
	}
	if strings.Join(req.Requires, ",") != "urllib3" {
		t.Errorf("requests requires %v", req.Requires)
	}
	u := m["urllib3"]
	if u.Direct || strings.Join(u.Parents, ",") != "requests" || u.License != "MIT" {
		t.Errorf("urllib3 = %+v", u)
	}
	j := m["jinja2"]
	if j == nil || j.RawName != "Jinja2" || j.Version != "2.10" || !j.Direct || len(j.Groups) != 1 {
		t.Errorf("jinja2 = %+v", j)
	}
	if ms := m["markupsafe"]; ms == nil || ms.Version != "1.0" || ms.Direct || ms.Parents[0] != "jinja2" {
		t.Errorf("nested markupsafe = %+v", ms)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "1 non-PyPI") {
		t.Errorf("warnings = %v", inv.Warnings)
	}
	if inv.Sources[0].Format != string(inventory.FormatSBOM) || req.Locations[0].File != filepath.Join("testdata", "sbom", "app.cdx.json") {
		t.Errorf("source = %+v, location %+v", inv.Sources, req.Locations)
	}
}

func TestParseSPDX(t *testing.T) {
	inv, err := readSBOM(t, "app.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	m := pkgMap(inv)
	d := m["django"]
	if d == nil || d.Version != "3.2.0" || !d.Direct || d.License != "BSD-3-Clause" || len(d.Hashes) != 1 || strings.Join(d.Requires, ",") != "asgiref" {
		t.Errorf("django = %+v", d)
	}
	if a := m["asgiref"]; a == nil || a.Direct || strings.Join(a.Parents, ",") != "django" {
		t.Errorf("asgiref = %+v", a)
	}
	if w := m["webapp"]; w == nil || !w.Project {
		t.Errorf("described package should be the project: %+v", w)
	}
	if _, ok := m["bash"]; ok || len(inv.Warnings) != 1 {
		t.Errorf("deb package not skipped: %v", inv.Warnings)
	}
}

func TestParseSBOMErrors(t *testing.T) {
	_, err := readSBOM(t, "bad.cdx.json")
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join("testdata", "sbom", "bad.cdx.json")+": invalid CycloneDX JSON") {
		t.Errorf("bad document error = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	for _, s := range []string{`{"name": "x"}`, `[1]`, `requests==1.0`, `{"_meta": {}}`} {
		if inventory.IsSBOM([]byte(s)) {
			t.Errorf("IsSBOM(%q) = true", s)
		}
		if _, err := inventory.ParseSBOM("x.json", []byte(s)); err == nil {
			t.Errorf("ParseSBOM(%q) succeeded", s)
		}
	}
}

// An SBOM pyvet writes reads back to the same packages, versions, hashes and edges.
func TestSBOMRoundTrip(t *testing.T) {
	src, err := readSBOM(t, "app.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []sbom.Format{sbom.CycloneDXJSON, sbom.SPDXJSON} {
		var buf bytes.Buffer
		if err := sbom.Write(&buf, src, sbom.Options{Format: f, Reproducible: true, Findings: []finding.Finding{}}); err != nil {
			t.Fatal(err)
		}
		back, err := inventory.ParseSBOM("out.json", buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got, want := summary(back), summary(src); got != want {
			t.Errorf("%s round trip:\n got %s\nwant %s", f, got, want)
		}
	}
}

func summary(inv *inventory.Inventory) string {
	var b strings.Builder
	for _, p := range inv.Packages {
		if p.Project {
			continue
		}
		b.WriteString(p.Name + "@" + p.Version + " direct=" + map[bool]string{true: "y", false: "n"}[p.Direct] +
			" req=" + strings.Join(p.Requires, ",") + " hashes=" + strings.Join(p.Hashes, ",") + " lic=" + p.License + "; ")
	}
	return b.String()
}

func FuzzParseSBOM(f *testing.F) {
	for _, name := range []string{"app.cdx.json", "app.spdx.json", "bad.cdx.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sbom", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"spdxVersion":"SPDX-2.2","packages":[{"SPDXID":"SPDXRef-a","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:pypi/%zz"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := inventory.ParseSBOM("f.json", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "f.json") {
				t.Fatalf("bad error %q", err)
			}
			return
		}
		for _, p := range inv.Packages {
			if p.Name == "" {
				t.Fatalf("empty package name from %q", data)
			}
		}
	})
}
