package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/internal/verify/sigstore/sigstoretest"
)

func verifyCorpus(t *testing.T) string {
	t.Helper()
	d := os.Getenv("PYVET_CORPUS")
	if d == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return d
}

func TestVerifyCommandsCorpus(t *testing.T) {
	c := verifyCorpus(t)
	sp := filepath.Join(c, "sigstore", "sigstore-python")
	att := filepath.Join(c, "attestations", "pypi-attestations")
	staging := filepath.Join(c, "sigstore", "trust-roots", "staging", "trusted_root.json")
	cache := t.TempDir()
	base := []string{"--cache-dir", cache, "--offline", "-q", "verify"}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"cpython 3.12.5 via SET", []string{"cpython", "--digest", "sha256:38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405", "--bundle", filepath.Join(sp, "integration", "Python-3.12.5.tgz.sigstore")}, 0, "signed entry timestamp"},
		{"cpython wrong series", []string{"cpython", "--digest", "sha256:38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405", "--version", "3.14.1", "--bundle", filepath.Join(sp, "integration", "Python-3.12.5.tgz.sigstore")}, 1, "wrong identity"},
		{"cpython wrong digest", []string{"cpython", "--digest", "sha256:" + strings.Repeat("00", 32), "--bundle", filepath.Join(sp, "integration", "Python-3.12.5.tgz.sigstore")}, 1, "digest mismatch"},
		{"cpython no version", []string{"cpython", "--digest", "sha256:" + strings.Repeat("00", 32), "--bundle", filepath.Join(sp, "bundle.txt.sigstore")}, 2, "--version"},
		{"artifact staging ok", []string{"artifact", filepath.Join(sp, "bundle_v3.txt"), "--trusted-root", staging, "--cert-identity", "william@yossarian.net", "--cert-oidc-issuer", "https://github.com/login/oauth"}, 0, "william@yossarian.net"},
		{"artifact wrong root", []string{"artifact", filepath.Join(sp, "bundle_v3.txt"), "--cert-identity", "william@yossarian.net", "--cert-oidc-issuer", "https://github.com/login/oauth"}, 1, "untrusted root"},
		{"artifact regexp identity", []string{"artifact", filepath.Join(sp, "bundle_v3_github.whl"), "--cert-identity-regexp", "^https://github.com/trailofbits/", "--cert-oidc-issuer", "https://token.actions.githubusercontent.com"}, 0, "rfc8785"},
		{"artifact no identity", []string{"artifact", filepath.Join(sp, "bundle_v3.txt")}, 2, "identity policy is required"},
		{"artifact invalid bundle", []string{"artifact", filepath.Join(sp, "bundle_invalid_version.txt"), "--cert-identity", "a", "--cert-oidc-issuer", "b"}, 2, "unsupported bundle version"},
		{"artifact missing file", []string{"artifact", filepath.Join(sp, "nope.txt"), "--bundle", "x", "--cert-identity", "a", "--cert-oidc-issuer", "b"}, 2, "nope.txt"},
		{"artifact bad digest flag", []string{"artifact", "--digest", "md5:00", "--bundle", "x", "--cert-identity", "a", "--cert-oidc-issuer", "b"}, 2, "--digest"},
		{"dist provenance", []string{"dist", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz"), "--provenance", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz.provenance"), "--repository", "https://github.com/trailofbits/pypi-attestations"}, 0, "published by: GitHub trailofbits/pypi-attestations"},
		{"dist provenance other repo", []string{"dist", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz"), "--provenance", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz.provenance"), "--repository", "evil/repo"}, 1, "wrong identity"},
		{"dist attestation other file", []string{"dist", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz"), "--attestation", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz.publish.attestation"), "--repository", "trailofbits/pypi-attestations"}, 1, "distribution name"},
		{"dist attestation needs publisher", []string{"dist", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz"), "--attestation", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation")}, 2, "--repository"},
		{"dist offline without files", []string{"dist", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz")}, 2, "--offline"},
		{"dist attestation is not json", []string{"dist", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz"), "--attestation", filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz"), "--repository", "a/b"}, 2, "not a PEP 740 attestation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runPyvet(t, append(append([]string{}, base...), tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
			if !strings.Contains(out+errs, tc.want) {
				t.Errorf("output lacks %q:\n%s\n%s", tc.want, out, errs)
			}
		})
	}
}

func TestVerifyDistOnline(t *testing.T) {
	c := verifyCorpus(t)
	att := filepath.Join(c, "attestations", "pypi-attestations")
	prov, err := os.ReadFile(filepath.Join(att, "pypi_attestations-0.0.19.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance" {
			w.Write(prov)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	root := filepath.Join(c, "sigstore", "trust-roots", "production", "trusted_root.json")
	args := []string{"-q", "verify", "dist", "--trusted-root", root, "--index-url", srv.URL + "/simple", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz")}
	out, errs, code := runPyvet(t, args...)
	if code != 0 || !strings.Contains(out, "trailofbits/pypi-attestations") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	args[len(args)-1] = filepath.Join(att, "gitlab_oidc_project-0.0.3.tar.gz")
	if _, errs, code := runPyvet(t, args...); code != 1 || !strings.Contains(errs, "not attested") {
		t.Fatalf("unattested: exit %d %s", code, errs)
	}
}

func TestVerifyEnvAndHashes(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "venv", "lib", "python3.12", "site-packages")
	if err := os.MkdirAll(filepath.Join(sp, "x-1.0.dist-info"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(sp, "x-1.0.dist-info", "METADATA"), []byte("Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"), 0o644)
	os.WriteFile(filepath.Join(sp, "x.py"), []byte("changed\n"), 0o644)
	os.WriteFile(filepath.Join(sp, "x-1.0.dist-info", "RECORD"), []byte("x.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx-1.0.dist-info/RECORD,,\n"), 0o644)
	out, _, code := runPyvet(t, "-q", "verify", "env", filepath.Join(dir, "venv"))
	if code != 1 || !strings.Contains(out, "modified") || !strings.Contains(out, "x.py") {
		t.Fatalf("env: exit %d\n%s", code, out)
	}
	if _, errs, code := runPyvet(t, "-q", "verify", "env", filepath.Join(dir, "none")); code != 2 || !strings.Contains(errs, "none") {
		t.Fatalf("missing env: exit %d %s", code, errs)
	}
	wh := filepath.Join(dir, "wh")
	os.MkdirAll(wh, 0o755)
	os.WriteFile(filepath.Join(wh, "x-1.0-py3-none-any.whl"), []byte(""), 0o644)
	req := filepath.Join(dir, "requirements.txt")
	os.WriteFile(req, []byte("x==1.0 --hash=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"), 0o644)
	if out, errs, code := runPyvet(t, "-q", "verify", "hashes", wh, req); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("hashes ok: exit %d\n%s\n%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(wh, "x-1.0-py3-none-any.whl"), []byte("tampered"), 0o644)
	if out, _, code := runPyvet(t, "-q", "verify", "hashes", wh, req); code != 1 || !strings.Contains(out, "mismatch") {
		t.Fatalf("hashes mismatch: exit %d\n%s", code, out)
	}
}

func TestVerifyJSON(t *testing.T) {
	c := verifyCorpus(t)
	att := filepath.Join(c, "attestations", "pypi-attestations")
	out, errs, code := runPyvet(t, "--offline", "-q", "verify", "--json", "dist", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz"),
		"--provenance", filepath.Join(att, "pypi_attestations-0.0.19.tar.gz.provenance"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Verified     bool `json:"verified"`
		Attestations []struct {
			Publisher string `json:"publisher"`
			Sigstore  struct {
				Evidence []string `json:"evidence"`
			} `json:"sigstore"`
		} `json:"attestations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !doc.Verified || len(doc.Attestations) != 1 || !strings.Contains(doc.Attestations[0].Publisher, "trailofbits/pypi-attestations") || len(doc.Attestations[0].Sigstore.Evidence) == 0 {
		t.Fatalf("%+v", doc)
	}
}

const (
	vSelfID     = "builder@example.com"
	vSelfIssuer = "https://issuer.self-made.example"
)

func vWrite(t *testing.T, p string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func vFIFO(t *testing.T, p string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	return p
}

func vStatement(name string, data []byte) []byte {
	s := sha256.Sum256(data)
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + name + `","digest":{"sha256":"` + hex.EncodeToString(s[:]) + `"}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"runDetails":{"builder":{"id":"https://github.com/actions/runner/github-hosted"}}}}`)
}

// provFixture is a tampered artifact with the forged provenance an attacker
// can write for it, and a private Sigstore instance that signed a bundle
// for it.
type provFixture struct {
	dir, artifact, statement, dsse, bundle, msgBundle, selfRoot string
	inst                                                        *sigstoretest.Instance
}

func newProvFixture(t *testing.T) provFixture {
	dir := t.TempDir()
	f := provFixture{dir: dir, inst: sigstoretest.New(t)}
	art := []byte("tampered artifact\n")
	f.artifact = vWrite(t, filepath.Join(dir, "demo-1.0.tar.gz"), art)
	stmt := vStatement("demo-1.0.tar.gz", art)
	f.statement = vWrite(t, filepath.Join(dir, "stmt.json"), stmt)
	f.dsse = vWrite(t, filepath.Join(dir, "dsse.json"), []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"`+base64.StdEncoding.EncodeToString(stmt)+`","signatures":[{"sig":"Z2FyYmFnZQ=="}]}`))
	f.bundle = vWrite(t, filepath.Join(dir, "prov.sigstore.json"), f.inst.SignStatement(t, vSelfID, vSelfIssuer, stmt))
	f.msgBundle = vWrite(t, filepath.Join(dir, "demo-1.0.tar.gz.sigstore.json"), f.inst.SignArtifact(t, vSelfID, vSelfIssuer, art))
	f.selfRoot = vWrite(t, filepath.Join(dir, "self_root.json"), f.inst.TrustedRoot)
	return f
}

// TestVerifyProvenanceRefusesUnverified: forged provenance for a tampered
// artifact (a bare statement, a DSSE envelope with a garbage signature) is
// refused with exit 1 and no "OK", with or without an identity policy;
// --subjects-only reports NOT VERIFIED in text and JSON.
func TestVerifyProvenanceRefusesUnverified(t *testing.T) {
	f := newProvFixture(t)
	base := []string{"--cache-dir", t.TempDir(), "--offline", "-q", "verify"}
	id := []string{"--cert-identity", vSelfID, "--cert-oidc-issuer", vSelfIssuer}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bare statement", []string{"provenance", f.artifact, "--provenance", f.statement}, 1, "not verified"},
		{"bare statement with identity", append([]string{"provenance", f.artifact, "--provenance", f.statement}, id...), 1, "not verified"},
		{"garbage DSSE signature", []string{"provenance", f.artifact, "--provenance", f.dsse}, 1, "DSSE envelope without Sigstore verification material"},
		{"garbage DSSE signature with identity", append([]string{"provenance", f.artifact, "--provenance", f.dsse}, id...), 1, "not verified"},
		{"subjects only", []string{"provenance", f.artifact, "--provenance", f.dsse, "--subjects-only"}, 0, "NOT VERIFIED: "},
		{"subjects only, other artifact", []string{"provenance", f.selfRoot, "--provenance", f.statement, "--subjects-only"}, 1, "digest mismatch"},
		{"bundle from a self-made CA, embedded root", append([]string{"provenance", f.artifact, "--provenance", f.bundle}, id...), 1, "untrusted root"},
		{"bundle with its own root", append([]string{"provenance", f.artifact, "--provenance", f.bundle, "--trusted-root", f.selfRoot}, id...), 0, "OK: "},
		{"bundle with its own root, other signer", []string{"provenance", f.artifact, "--provenance", f.bundle, "--trusted-root", f.selfRoot, "--cert-identity", "release@example.com", "--cert-oidc-issuer", vSelfIssuer}, 1, "wrong identity"},
		{"bundle with its own root, other artifact", append([]string{"provenance", f.selfRoot, "--provenance", f.bundle, "--trusted-root", f.selfRoot}, id...), 1, "digest mismatch"},
		{"bundle without identity", []string{"provenance", f.artifact, "--provenance", f.bundle}, 2, "--cert-identity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runPyvet(t, append(append([]string{}, base...), tc.args...)...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d (want %d), want %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, out, errs)
			}
			if tc.code != 0 && strings.Contains(out, "OK") {
				t.Errorf("a refused provenance printed OK:\n%s", out)
			}
			if strings.HasPrefix(tc.want, "NOT VERIFIED") && strings.Contains(out, "OK") {
				t.Errorf("an unverified result printed OK:\n%s", out)
			}
		})
	}
	// JSON says the same.
	for _, tc := range []struct {
		args     []string
		code     int
		status   string
		verified bool
	}{
		{[]string{"provenance", f.artifact, "--provenance", f.statement, "--subjects-only"}, 0, "not-verified", false},
		{append([]string{"provenance", f.artifact, "--provenance", f.bundle, "--trusted-root", f.selfRoot}, id...), 0, "verified", true},
	} {
		out, errs, code := runPyvet(t, append(append(append([]string{}, base...), "--json"), tc.args...)...)
		var doc struct {
			Status   string `json:"status"`
			Verified bool   `json:"verified"`
		}
		if code != tc.code || json.Unmarshal([]byte(out), &doc) != nil || doc.Status != tc.status || doc.Verified != tc.verified {
			t.Errorf("%v: exit %d, %+v\n%s\n%s", tc.args, code, doc, out, errs)
		}
	}
}

// TestVerifyPlantedCacheRoot: a self-made CA's trusted_root.json planted in
// the cache does not make its bundles verify, offline or after a failed TUF
// refresh; with --trusted-root the same bundles verify, so only the trust
// decision differs.
func TestVerifyPlantedCacheRoot(t *testing.T) {
	f := newProvFixture(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	cache := t.TempDir()
	vWrite(t, filepath.Join(cache, "sigstore", "trusted_root.json"), f.inst.TrustedRoot)
	host := strings.NewReplacer("http://", "", ":", "-", "/", "-").Replace(down.URL)
	vWrite(t, filepath.Join(cache, "sigstore", "trusted-root", host, "trusted_root.json"), f.inst.TrustedRoot)
	id := []string{"--cert-identity", vSelfID, "--cert-oidc-issuer", vSelfIssuer}
	w := &waitRecorder{}
	a := func() *app { return &app{httpSleep: w.sleep} }
	for _, mode := range [][]string{{"--offline"}, {}} {
		pre := append([]string{"--cache-dir", cache}, mode...)
		pre = append(pre, "verify")
		root := []string{"--tuf-mirror", down.URL}
		for _, args := range [][]string{
			append(append([]string{"artifact", f.artifact}, id...), root...),
			append(append([]string{"provenance", f.artifact, "--provenance", f.bundle}, id...), root...),
		} {
			out, errs, code := runPyvetApp(t, a(), append(append([]string{}, pre...), args...)...)
			if code != 1 || !strings.Contains(errs, "untrusted root") || strings.Contains(out, "OK") {
				t.Errorf("%v %v: exit %d\n%s\n%s", mode, args[0], code, out, errs)
			}
			if len(mode) == 0 && !strings.Contains(errs, "TUF refresh failed") {
				t.Errorf("%v: no warning about the failed refresh: %s", args[0], errs)
			}
			if !strings.Contains(errs, "ignored") && !strings.Contains(errs, "not used") {
				t.Errorf("%v %v: no warning that the planted root was refused: %s", mode, args[0], errs)
			}
			out, errs, code = runPyvetApp(t, a(), append(append(append([]string{}, pre...), args...), "--trusted-root", f.selfRoot)...)
			if code != 0 || !strings.Contains(out, "OK: ") {
				t.Errorf("%v %v with --trusted-root: exit %d\n%s\n%s", mode, args[0], code, out, errs)
			}
		}
	}
	if w.count() == 0 {
		t.Error("the failed TUF refresh was not retried")
	}
}

// TestVerifyFileFlagsBounded: every file a verify subcommand reads refuses
// a FIFO at once (exit 2, the message names the file) instead of waiting.
func TestVerifyFileFlagsBounded(t *testing.T) {
	f := newProvFixture(t)
	fifo := vFIFO(t, filepath.Join(t.TempDir(), "input.json"))
	fifoWhl := vFIFO(t, filepath.Join(t.TempDir(), "demo-1.0-py3-none-any.whl"))
	id := []string{"--cert-identity", vSelfID, "--cert-oidc-issuer", vSelfIssuer}
	base := []string{"--cache-dir", t.TempDir(), "--offline", "-q", "verify"}
	cases := map[string][]string{
		"artifact FILE":               append([]string{"artifact", fifo, "--bundle", f.msgBundle}, id...),
		"artifact --bundle":           append([]string{"artifact", f.artifact, "--bundle", fifo}, id...),
		"artifact --trusted-root":     append([]string{"artifact", f.artifact, "--trusted-root", fifo}, id...),
		"cpython --identities":        {"cpython", "--digest", "sha256:" + strings.Repeat("00", 32), "--version", "3.12.1", "--bundle", f.msgBundle, "--identities", fifo},
		"cpython FILE":                {"cpython", fifo, "--version", "3.12.1", "--bundle", f.msgBundle},
		"dist FILE":                   {"dist", fifoWhl, "--attestation", f.statement, "--repository", "o/r"},
		"dist --attestation":          {"dist", f.artifact, "--attestation", fifo, "--repository", "o/r"},
		"dist --provenance":           {"dist", f.artifact, "--provenance", fifo},
		"dist --trusted-root":         {"dist", f.artifact, "--provenance", f.statement, "--trusted-root", fifo},
		"provenance FILE":             {"provenance", fifo, "--provenance", f.statement},
		"provenance --provenance":     {"provenance", f.artifact, "--provenance", fifo},
		"provenance --trusted-root":   append([]string{"provenance", f.artifact, "--provenance", f.bundle, "--trusted-root", fifo}, id...),
		"artifact /dev/zero":          append([]string{"artifact", "/dev/zero", "--bundle", f.msgBundle}, id...),
		"artifact --bundle /dev/zero": append([]string{"artifact", f.artifact, "--bundle", "/dev/zero"}, id...),
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out, errs, code := runPyvet(t, append(append([]string{}, base...), args...)...)
			if code != 2 || !strings.Contains(errs, "not a regular file") || strings.Contains(out, "OK") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if !strings.Contains(errs, fifo) && !strings.Contains(errs, fifoWhl) && !strings.Contains(errs, "/dev/zero") {
				t.Errorf("error does not name the file: %s", errs)
			}
		})
	}
}

// TestVerifyEnvAndHashesFIFO: a RECORD entry that is a FIFO and a FIFO in
// a wheelhouse are reported (exit 1) without hanging.
func TestVerifyEnvAndHashesFIFO(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "venv", "lib", "python3.12", "site-packages")
	vWrite(t, filepath.Join(sp, "x-1.0.dist-info", "METADATA"), []byte("Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"))
	vWrite(t, filepath.Join(sp, "x-1.0.dist-info", "RECORD"), []byte("x.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx-1.0.dist-info/RECORD,,\n"))
	vFIFO(t, filepath.Join(sp, "x.py"))
	out, errs, code := runPyvet(t, "-q", "verify", "env", filepath.Join(dir, "venv"))
	if code != 1 || !strings.Contains(out, "not-regular") || !strings.Contains(out, "x.py") || !strings.Contains(out, "FIFO") {
		t.Fatalf("env: exit %d\n%s\n%s", code, out, errs)
	}
	wh := filepath.Join(dir, "wh")
	vFIFO(t, filepath.Join(wh, "x-1.0-py3-none-any.whl"))
	req := vWrite(t, filepath.Join(dir, "requirements.txt"), []byte("x==1.0 --hash=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"))
	out, errs, code = runPyvet(t, "-q", "verify", "hashes", wh, req)
	if code != 1 || !strings.Contains(out, "unreadable") || !strings.Contains(out, "FIFO") {
		t.Fatalf("hashes: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestVerifyDistHostileTags: an attestation whose subject names a wheel
// with 100 x 100 x 100 compressed tags is compared without expanding them
// (the command returns, exit 1) and the error quotes only an excerpt.
func TestVerifyDistHostileTags(t *testing.T) {
	dir := t.TempDir()
	whl := vWrite(t, filepath.Join(dir, "name-1.0-py0-abi0-plat0.whl"), []byte("wheel"))
	comp := func(p string) string {
		var a []string
		for i := 0; i < 100; i++ {
			a = append(a, fmt.Sprintf("%s%d", p, i))
		}
		return strings.Join(a, ".")
	}
	subject := "name-1.0-" + comp("py") + "-" + comp("abi") + "-" + comp("plat") + ".whl"
	sum := sha256.Sum256([]byte("wheel"))
	stmt := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + subject + `","digest":{"sha256":"` + hex.EncodeToString(sum[:]) + `"}}],"predicateType":"https://docs.pypi.org/attestations/publish/v1"}`
	att := vWrite(t, filepath.Join(dir, "a.attestation"), []byte(`{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[]},"envelope":{"statement":"`+
		base64.StdEncoding.EncodeToString([]byte(stmt))+`","signature":"AAAA"}}`))
	out, errs, code := runPyvet(t, "--offline", "-q", "verify", "dist", whl, "--attestation", att, "--repository", "o/r")
	if code != 1 || !strings.Contains(errs, "subject does not match distribution name") || len(errs) > 1000 {
		t.Fatalf("exit %d, %d-byte error\n%s\n%.300s", code, len(errs), out, errs)
	}
}

// A verification the network prevented is not a failed one: exit 3 with
// "verification not done", never exit 1's "verification FAILED".
func TestVerifyDistNetworkDown(t *testing.T) {
	dir := t.TempDir()
	whl := filepath.Join(dir, "wheel-0.40.0-py3-none-any.whl")
	if err := os.WriteFile(whl, []byte("not a wheel"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &waitRecorder{}
	_, errs, code := runPyvetApp(t, &app{httpSleep: w.sleep}, "--cache-dir", t.TempDir(), "-q", "verify", "dist",
		"--index-url", "http://127.0.0.1:1/simple", "--tuf-mirror", "http://127.0.0.1:1/tuf", whl)
	if code != exitNetwork || !strings.Contains(errs, "verification not done: ") || strings.Contains(errs, "FAILED") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
