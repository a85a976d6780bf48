package verify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

func recordHash(data []byte) string {
	s := sha256.Sum256(data)
	return "sha256=" + base64.RawURLEncoding.EncodeToString(s[:])
}

func write(t *testing.T, path, content string) { writeB(t, path, content) }

func writeB(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeVenv builds a virtual environment with one distribution whose RECORD
// is correct, then tampers with it as the test asks.
func makeVenv(t *testing.T) (venv, sp string) {
	venv = t.TempDir()
	sp = filepath.Join(venv, "lib", "python3.12", "site-packages")
	files := map[string]string{
		"demo/__init__.py": "print('hello')\n",
		"demo/core.py":     "X = 1\n",
		"demo.pth":         "import demo\n",
		"plain.pth":        "/some/path\n",
	}
	var rec strings.Builder
	for p, c := range files {
		write(t, filepath.Join(sp, p), c)
		fmt.Fprintf(&rec, "%s,%s,%d\n", p, recordHash([]byte(c)), len(c))
	}
	write(t, filepath.Join(sp, "demo-1.0.dist-info", "METADATA"), "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
	meta := "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
	fmt.Fprintf(&rec, "demo-1.0.dist-info/METADATA,%s,%d\n", recordHash([]byte(meta)), len(meta))
	rec.WriteString("demo-1.0.dist-info/RECORD,,\n")
	script := "#!/usr/bin/env python\n"
	write(t, filepath.Join(venv, "bin", "demo"), script)
	fmt.Fprintf(&rec, "../../../bin/demo,%s,%d\n", recordHash([]byte(script)), len(script))
	write(t, filepath.Join(sp, "demo-1.0.dist-info", "RECORD"), rec.String())
	return venv, sp
}

func kinds(rep *EnvReport) map[string][]string {
	m := map[string][]string{}
	for _, p := range rep.Problems {
		m[p.Kind] = append(m[p.Kind], p.Path)
	}
	return m
}

func TestCheckEnvClean(t *testing.T) {
	venv, _ := makeVenv(t)
	rep, err := CheckEnv(venv)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(rep)
	if len(k["modified"])+len(k["missing"])+len(k["unrecorded"]) != 0 {
		t.Fatalf("clean venv has problems: %+v", rep.Problems)
	}
	if len(k["pth-exec"]) != 1 || k["pth-exec"][0] != "demo.pth" {
		t.Fatalf("pth-exec: %v", k["pth-exec"])
	}
	if rep.Packages != 1 || rep.Files < 5 {
		t.Fatalf("counts: %+v", rep)
	}
}

func TestCheckEnvTampered(t *testing.T) {
	venv, sp := makeVenv(t)
	write(t, filepath.Join(sp, "demo", "core.py"), "X = 2  # changed\n")
	if err := os.Remove(filepath.Join(sp, "demo", "__init__.py")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(sp, "demo", "backdoor.py"), "import os\n")
	write(t, filepath.Join(sp, "demo", "__pycache__", "core.cpython-312.pyc"), "x")
	rep, err := CheckEnv(venv)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(rep)
	if strings.Join(k["modified"], ",") != "demo/core.py" || strings.Join(k["missing"], ",") != "demo/__init__.py" || strings.Join(k["unrecorded"], ",") != "demo/backdoor.py" {
		t.Fatalf("problems: %v", k)
	}
	fs := rep.Findings()
	sev := map[string]finding.Severity{}
	for _, f := range fs {
		if f.Risk != finding.RiskCompromise {
			t.Errorf("risk %s", f.Risk)
		}
		sev[f.Rule] = f.Severity
	}
	if sev["record-modified"] != finding.SeverityHigh {
		t.Errorf("modified severity %v", sev["record-modified"])
	}
}

func TestCheckEnvErrors(t *testing.T) {
	if _, err := CheckEnv(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing venv: %v", err)
	}
	if _, err := CheckEnv(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no site-packages") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestPthExecLines(t *testing.T) {
	got := PthExecLines([]byte("/a/path\n# comment\nimport sys; exec('x')\nimporter\nimport\tos\n"))
	if len(got) != 2 {
		t.Fatalf("%q", got)
	}
}

func TestCheckHashes(t *testing.T) {
	dir := t.TempDir()
	good := []byte("wheel bytes")
	write(t, filepath.Join(dir, "demo-1.0-py3-none-any.whl"), string(good))
	write(t, filepath.Join(dir, "other-2.0.tar.gz"), "sdist")
	write(t, filepath.Join(dir, "bad-1.0-py3-none-any.whl"), "tampered")
	write(t, filepath.Join(dir, "stray-0.1-py3-none-any.whl"), "x")
	write(t, filepath.Join(dir, "README.txt"), "ignored")
	sum := sha256.Sum256(good)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "demo", Version: "1.0.0", Hashes: []string{"sha256:" + strings.Repeat("0", 64), "sha256:" + hex.EncodeToString(sum[:])}},
		{Name: "other", Version: "2.0"},
		{Name: "bad", Version: "1.0", Files: []inventory.File{{Name: "bad-1.0-py3-none-any.whl", Hashes: []string{"sha256:" + hex.EncodeToString(sum[:])}}}},
	}}
	res, fs, err := CheckHashes(dir, inv)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res {
		got[r.File] = r.Status
	}
	want := map[string]string{"demo-1.0-py3-none-any.whl": "ok", "other-2.0.tar.gz": "unpinned", "bad-1.0-py3-none-any.whl": "mismatch", "stray-0.1-py3-none-any.whl": "unknown-package"}
	for f, s := range want {
		if got[f] != s {
			t.Errorf("%s: %s, want %s", f, got[f], s)
		}
	}
	if len(fs) != 3 {
		t.Errorf("findings: %+v", fs)
	}
	one, _, err := CheckHashes(filepath.Join(dir, "bad-1.0-py3-none-any.whl"), inv)
	if err != nil || len(one) != 1 || one[0].Status != "mismatch" {
		t.Errorf("single file: %v %+v", err, one)
	}
	if _, _, err := CheckHashes(filepath.Join(dir, "nope"), inv); err == nil {
		t.Error("missing wheelhouse accepted")
	}
}

func TestCPythonIdentities(t *testing.T) {
	for v, want := range map[string]string{"3.12.5": "thomas@python.org", "3.13.0": "thomas@python.org", "3.14.0rc1": "hugo@python.org", "3.10.7": "pablogsal@python.org", "3.8.14": "lukasz@langa.pl"} {
		ids, why, err := CPythonIdentities(v, nil)
		if err != nil || ids[0].SAN != want || !strings.Contains(why, want) {
			t.Errorf("%s: %v %v %q", v, ids, err, why)
		}
	}
	if _, _, err := CPythonIdentities("2.7.18", nil); err == nil {
		t.Error("2.7 has no Sigstore signer")
	}
	extra := []ReleaseManager{{Series: []string{"3.12"}, Identity: "other@python.org", Issuer: "https://x"}}
	ids, _, _ := CPythonIdentities("3.12.1", extra)
	if len(ids) != 1 || ids[0].SAN != "other@python.org" {
		t.Errorf("override: %v", ids)
	}
	for f, want := range map[string]string{"Python-3.12.5.tgz": "3.12.5", "python-3.13.0-amd64.exe": "3.13.0", "python-3.14.0rc1-macos11.pkg": "3.14.0rc1", "Python-3.12.5.tar.xz.sigstore": "3.12.5"} {
		if v, ok := CPythonVersion(f); !ok || v != want {
			t.Errorf("%s: %q", f, v)
		}
	}
	p := filepath.Join(t.TempDir(), "ids.yaml")
	write(t, p, "- series: ['3.12']\n  identity: a@b\n  issuer: https://i\n")
	if rms, err := LoadSigners(p); err != nil || len(rms) != 1 {
		t.Errorf("LoadSigners: %v %v", rms, err)
	}
	write(t, p, "- series: ['3.12']\n")
	if _, err := LoadSigners(p); !sigstore.IsInputError(err) {
		t.Errorf("incomplete entry: %v", err)
	}
}

func TestCheckProvenance(t *testing.T) {
	art := []byte("artifact")
	sum := sha256.Sum256(art)
	hx := hex.EncodeToString(sum[:])
	stmt := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"demo-1.0.tar.gz","digest":{"sha256":"` + hx + `"}}],
"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"externalParameters":{"workflow":{"repository":"https://github.com/o/r"}},
"resolvedDependencies":[{"uri":"git+https://github.com/o/r@refs/tags/v1"}]},"runDetails":{"builder":{"id":"https://github.com/actions/runner/github-hosted"}}}}`
	for _, data := range []string{stmt, `{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.StdEncoding.EncodeToString([]byte(stmt)) + `","signatures":[]}`} {
		in, err := ParseProvenanceFile([]byte(data), "p.json")
		if err != nil {
			t.Fatal(err)
		}
		d := map[string]string{"sha256": hx}
		f, err := CheckProvenance(in.Statement, "demo-1.0.tar.gz", d, ProvenancePolicy{BuilderID: "https://github.com/actions/runner/", SourceRepository: "o/r"})
		if err != nil || f.BuilderID == "" {
			t.Fatalf("%s: %v %+v", in.Kind, err, f)
		}
		bad := []ProvenancePolicy{{BuilderID: "https://other/"}, {SourceRepository: "o/other"}, {PredicateTypes: []string{"x"}}}
		for _, p := range bad {
			if _, err := CheckProvenance(in.Statement, "demo-1.0.tar.gz", d, p); err == nil {
				t.Errorf("policy %+v accepted", p)
			}
		}
		if _, err := CheckProvenance(in.Statement, "demo-1.0.tar.gz", map[string]string{"sha256": strings.Repeat("1", 64)}, ProvenancePolicy{}); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("digest: %v", err)
		}
	}
	for _, bad := range []string{"", "{", `{"x":1}`, `{"_type":"nope"}`, `{"payloadType":"x","payload":"!!"}`, `{"mediaType":"bad"}`} {
		if _, err := ParseProvenanceFile([]byte(bad), "p.json"); !sigstore.IsInputError(err) || !strings.Contains(err.Error(), "p.json") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCorpusProvenanceBundle(t *testing.T) {
	base := os.Getenv("PYVET_CORPUS")
	if base == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	data, err := os.ReadFile(filepath.Join(base, "sigstore/sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseProvenanceFile(data, "sigstore.js")
	if err != nil || in.Kind != "sigstore-bundle" {
		t.Fatal(in, err)
	}
	d := map[string]string{"sha512": "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"}
	f, err := CheckProvenance(in.Statement, "", d, ProvenancePolicy{SourceRepository: "https://github.com/sigstore/sigstore-js"})
	if err != nil {
		t.Fatalf("%v %+v", err, f)
	}
	if _, err := CheckProvenance(in.Statement, "", d, ProvenancePolicy{SourceRepository: "sigstore/other"}); err == nil {
		t.Error("other source repository accepted")
	}
}

func TestCorpusAttestInventory(t *testing.T) {
	base := os.Getenv("PYVET_CORPUS")
	if base == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	dir := filepath.Join(base, "attestations", "pypi-attestations")
	prov, err := os.ReadFile(filepath.Join(dir, "pypi_attestations-0.0.19.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	sdist, err := os.ReadFile(filepath.Join(dir, "pypi_attestations-0.0.19.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(sdist)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/integrity/pypi-attestations/0.0.19/") {
			w.Write(prov)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	root, err := sigstore.LoadRootFile(filepath.Join(base, "sigstore/trust-roots/production/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "pypi-attestations", Version: "0.0.19", Files: []inventory.File{
			{Name: "pypi_attestations-0.0.19.tar.gz", Hashes: []string{"sha256:" + hex.EncodeToString(sum[:])}},
			// The same provenance served for a file with other bytes must not verify.
			{URL: "https://files.example/pypi_attestations-0.0.19-py3-none-any.whl", Hashes: []string{"sha256:" + strings.Repeat("ab", 32)}},
		}},
		{Name: "requests", Version: "2.32.3", Files: []inventory.File{{Name: "requests-2.32.3.tar.gz", Hashes: []string{"sha256:" + strings.Repeat("cd", 32)}}}},
		{Name: "nofiles", Version: "1.0"},
	}}
	fs, rs, err := AttestInventory(context.Background(), inv, AttestOptions{Client: &pep740.Client{BaseURL: srv.URL}, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]AttestationResult{}
	for _, r := range rs {
		st[r.File] = r
	}
	if r := st["pypi_attestations-0.0.19.tar.gz"]; r.Status != "attested" || !strings.Contains(r.Publisher, "trailofbits/pypi-attestations") {
		t.Errorf("sdist: %+v", r)
	}
	if r := st["pypi_attestations-0.0.19-py3-none-any.whl"]; r.Status != "invalid" {
		t.Errorf("wheel: %+v", r)
	}
	if r := st["requests-2.32.3.tar.gz"]; r.Status != "not-attested" {
		t.Errorf("requests: %+v", r)
	}
	if len(rs) != 3 || len(fs) != 2 {
		t.Errorf("results %d findings %d", len(rs), len(fs))
	}
	t.Log(AttestSummary(rs))
}

func FuzzParseProvenanceFile(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"runDetails":{"builder":{"id":"b"}}}}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseProvenanceFile(data, "fuzz")
		if err != nil {
			if !sigstore.IsInputError(err) && !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_, _ = CheckProvenance(in.Statement, "a", map[string]string{"sha256": "00"}, ProvenancePolicy{BuilderID: "b/", SourceRepository: "o/r"})
		// Without a trusted root nothing is ever verified.
		res, err := VerifyProvenance(in, "a", map[string]string{"sha256": "00"}, ProvenanceOptions{SubjectsOnly: true})
		if err == nil && res.Status.Verified() {
			t.Fatalf("verified without a trusted root: %+v", res)
		}
		if err == nil && in.Kind == "sigstore-bundle" {
			t.Fatal("a bundle passed without a trusted root")
		}
	})
}

func FuzzPthExecLines(f *testing.F) {
	f.Add([]byte("import os\n/path\n"))
	f.Add([]byte("importx\n\timport y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range PthExecLines(data) {
			if !strings.HasPrefix(l, "import") || strings.Contains(l, "\n") {
				t.Fatalf("bad exec line %q", l)
			}
		}
	})
}
