package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	args := []string{"-q", "verify", "dist", "--trusted-root", root, "--index-url", srv.URL, filepath.Join(att, "pypi_attestations-0.0.19.tar.gz")}
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
