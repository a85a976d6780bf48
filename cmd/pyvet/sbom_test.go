package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

func TestSBOMCommand(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte("requests==2.19.0\nsix==1.10.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"cyclonedx-json", "spdx-json", "cyclonedx-xml"} {
		out, err := runCmd(t, "sbom", "--format", format, "--with-vulns", "--db", testOSV, req)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.Contains(out, "pkg:pypi/requests@2.19.0") || !strings.Contains(out, "pkg:pypi/six@1.10.0") {
			t.Errorf("%s output lacks purls:\n%s", format, out)
		}
		if format == "cyclonedx-json" {
			if !strings.Contains(out, `"id": "PYSEC-T-1"`) {
				t.Errorf("no VEX entry:\n%s", out)
			}
			inv, err := inventory.ParseSBOM("out.json", []byte(out))
			if err != nil || len(inv.Packages) != 2 {
				t.Errorf("read back: %v %v", inv, err)
			}
		}
	}
	file := filepath.Join(dir, "bom.json")
	if _, err := runCmd(t, "sbom", "-o", file, req); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(file)
	if _, err := runCmd(t, "sbom", "-o", file, req); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	if len(a) == 0 || string(a) != string(b) {
		t.Error("reproducible output differs between runs")
	}
	if _, err := runCmd(t, "sbom", "--format", "yaml", req); exitCode(err) != exitUsage {
		t.Errorf("bad format exit = %v", err)
	}
}
