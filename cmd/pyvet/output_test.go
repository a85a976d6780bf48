package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func auditRequirements(t *testing.T) string {
	t.Helper()
	req := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(req, []byte("requests==2.19.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return req
}

func assertReport(t *testing.T, data []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil || !strings.Contains(string(data), "PYSEC-T-1") {
		t.Fatalf("not the JSON report (%v): %.200q", err, data)
	}
}

// -o through a symlink writes the link's target and keeps the link.
func TestOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "reports", "audit.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o600)
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink(filepath.Join("reports", "audit.json"), link); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", link, auditRequirements(t))
	if exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v", err)
	}
	b, _ := os.ReadFile(target)
	assertReport(t, b)
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// -o to a FIFO writes into it: the reader gets the report and the FIFO
// stays a FIFO.
func TestOutputFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
		got <- b
	}()
	if _, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", fifo, auditRequirements(t)); exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	assertReport(t, <-got)
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("FIFO replaced: %v %v", st.Mode(), err)
	}
}

// -o /dev/null discards the report and /dev/null stays the character
// device it was (a rename over it would replace it with a regular file).
func TestOutputDevNull(t *testing.T) {
	before, err := os.Lstat(os.DevNull)
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no /dev/null character device")
	}
	var b, a syscall.Stat_t
	syscall.Stat(os.DevNull, &b)
	if _, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", os.DevNull, auditRequirements(t)); exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	after, err := os.Lstat(os.DevNull)
	if err != nil || after.Mode() != before.Mode() || after.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null changed: %v -> %v (%v)", before.Mode(), after.Mode(), err)
	}
	syscall.Stat(os.DevNull, &a)
	if a.Rdev != b.Rdev || a.Ino != b.Ino {
		t.Fatal("device number changed")
	}
}

// A read-only report file is refused (exit 2) and left as it was.
func TestOutputReadOnlyKeepsFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(out, []byte("previous"), 0o444)
	_, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", out, auditRequirements(t))
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("exit = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous" {
		t.Errorf("report file = %q", b)
	}
}

// sbom -o writes through a symlink too, and --with-vulns reads audit's
// policy: an ignored advisory is left out of the document.
func TestOutputSBOMSymlinkAndPolicy(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	os.WriteFile(req, []byte("requests==2.19.0\n"), 0o644)
	target := filepath.Join(dir, "out", "bom.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	link := filepath.Join(dir, "bom.json")
	os.Symlink(filepath.Join("out", "bom.json"), link)
	if _, err := runCmd(t, "sbom", "--with-vulns", "--db", testOSV, "-o", link, req); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("symlink replaced")
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "PYSEC-T-1") {
		t.Fatalf("advisory missing:\n%.300s", b)
	}
	os.WriteFile(filepath.Join(dir, "pyvet.toml"), []byte("[[ignore]]\nid = \"PYSEC-T-1\"\nreason = \"accepted\"\n"), 0o644)
	if _, err := runCmd(t, "sbom", "--with-vulns", "--db", testOSV, "-o", link, req); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); strings.Contains(string(b), "PYSEC-T-1") {
		t.Error("ignored advisory in the SBOM")
	}
}
