package pep740

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

func corpus(t testing.TB) string {
	t.Helper()
	d := os.Getenv("PYVET_CORPUS")
	if d == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return d
}

func att(base string) string { return filepath.Join(base, "attestations", "pypi-attestations") }

func root(t *testing.T, base, which string) *sigstore.Root {
	t.Helper()
	r, err := sigstore.LoadRootFile(filepath.Join(base, "sigstore", "trust-roots", which, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func load(t *testing.T, path string) *Attestation {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAttestation(data, path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func dist(t *testing.T, path string) (string, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(path), Sha256(data)
}

func mustPolicy(t *testing.T, repo, kind, wf string) *Policy {
	t.Helper()
	p, err := ParseRepository(repo, kind, wf)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestCorpusAttestations(t *testing.T) {
	base := corpus(t)
	d := att(base)
	P, S := root(t, base, "production"), root(t, base, "staging")
	sdist := filepath.Join(d, "pypi_attestations-0.0.19.tar.gz")
	models := filepath.Join(d, "pypi_attestation_models-0.0.4a2.tar.gz")
	gitlab := filepath.Join(d, "gitlab_oidc_project-0.0.3.tar.gz")
	wheel := filepath.Join(d, "rfc8785-0.1.2-py3-none-any.whl")
	cases := []struct {
		name   string
		att    string
		dist   string
		root   *sigstore.Root
		policy *Policy
		ids    []sigstore.Identity
		ok     bool
		reason string
	}{
		{"publish sdist", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, P, mustPolicy(t, "trailofbits/pypi-attestations", "", "release.yml"), nil, true, ""},
		{"publish sdist no workflow", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, P, mustPolicy(t, "https://github.com/trailofbits/pypi-attestations", "", ""), nil, true, ""},
		{"slsa sdist", "pypi_attestations-0.0.19.tar.gz.slsa.attestation", sdist, P, mustPolicy(t, "trailofbits/pypi-attestations", "", "release.yml"), nil, true, ""},
		{"publish sdist staging", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, S, mustPolicy(t, "trailofbits/pypi-attestations", "", ""), nil, false, "untrusted root"},
		{"publish other repo", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, P, mustPolicy(t, "evil/pypi-attestations", "", ""), nil, false, "wrong identity"},
		{"publish other workflow", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, P, mustPolicy(t, "trailofbits/pypi-attestations", "", "wrong.yml"), nil, false, "wrong identity"},
		{"publish as gitlab", "pypi_attestations-0.0.19.tar.gz.publish.attestation", sdist, P, mustPolicy(t, "trailofbits/pypi-attestations", "gitlab", ""), nil, false, "wrong identity"},
		{"publish other dist", "pypi_attestations-0.0.19.tar.gz.publish.attestation", models, P, mustPolicy(t, "trailofbits/pypi-attestations", "", ""), nil, false, "distribution name"},
		{"models", "pypi_attestation_models-0.0.4a2.tar.gz.attestation", models, P, mustPolicy(t, "trailofbits/pypi-attestation-models", "", "release.yml"), nil, true, ""},
		{"models wrong workflow", "pypi_attestation_models-0.0.4a2.tar.gz.attestation", models, P, mustPolicy(t, "trailofbits/pypi-attestation-models", "", "wrong.yml"), nil, false, "wrong identity"},
		{"gitlab", "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation", gitlab, P, mustPolicy(t, "facutuesca/gitlab-oidc-project", "gitlab", ".gitlab-ci.yml"), nil, true, ""},
		{"gitlab any workflow", "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation", gitlab, P, mustPolicy(t, "https://gitlab.com/facutuesca/gitlab-oidc-project", "", ""), nil, true, ""},
		{"gitlab wrong workflow", "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation", gitlab, P, mustPolicy(t, "facutuesca/gitlab-oidc-project", "gitlab", "wrong.yml"), nil, false, "wrong identity"},
		{"gitlab as github", "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation", gitlab, P, mustPolicy(t, "facutuesca/gitlab-oidc-project", "github", ""), nil, false, "wrong identity"},
		{"rfc8785 email staging", "rfc8785-0.1.2-py3-none-any.whl.publish.attestation", wheel, S, nil, []sigstore.Identity{{SAN: "william@yossarian.net", Issuer: "https://github.com/login/oauth"}}, true, ""},
		{"rfc8785 attestation staging", "rfc8785-0.1.2-py3-none-any.whl.attestation", wheel, S, nil, []sigstore.Identity{{SAN: "william@yossarian.net", Issuer: "https://github.com/login/oauth"}}, true, ""},
		{"rfc8785 fake identity", "rfc8785-0.1.2-py3-none-any.whl.publish.attestation", wheel, S, nil, []sigstore.Identity{{SAN: "fake@example.com", Issuer: "https://github.com/login/oauth"}}, false, "wrong identity"},
		{"rfc8785 trusted publisher", "rfc8785-0.1.2-py3-none-any.whl.publish.attestation", wheel, S, mustPolicy(t, "trailofbits/rfc8785.py", "", ""), nil, false, "wrong identity"},
		{"rfc8785 production", "rfc8785-0.1.2-py3-none-any.whl.publish.attestation", wheel, P, nil, []sigstore.Identity{{SAN: "william@yossarian.net", Issuer: "https://github.com/login/oauth"}}, false, "untrusted root"},
	}
	accepted, rejected := 0, 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := load(t, filepath.Join(d, c.att))
			name, sum := dist(t, c.dist)
			res, err := Verify(a, name, sum, c.root, c.policy, c.ids)
			if c.ok {
				if err != nil {
					t.Fatalf("want OK: %v", err)
				}
				accepted++
				if res.Publisher == "" || res.SAN == "" {
					t.Errorf("no publisher: %+v", res)
				}
				// Flip a byte of the distribution: must fail.
				data, _ := os.ReadFile(c.dist)
				data[len(data)/2] ^= 1
				if _, err := Verify(a, name, Sha256(data), c.root, c.policy, c.ids); err == nil || !strings.Contains(err.Error(), "digest") {
					t.Errorf("FALSE ACCEPT or unclear reason with a changed file: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("FALSE ACCEPT: %+v", res)
			}
			rejected++
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("reason %q lacks %q", err, c.reason)
			}
		})
	}
	t.Logf("%d accepted, %d rejected", accepted, rejected)
}

func TestCorpusWheelTagOrder(t *testing.T) {
	base := corpus(t)
	a := load(t, filepath.Join(att(base), "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation"))
	sum, _ := hex.DecodeString("d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8")
	ids := []sigstore.Identity{{SAN: "william@yossarian.net", Issuer: "https://github.com/login/oauth"}}
	S := root(t, base, "staging")
	for _, name := range []string{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"} {
		if _, err := Verify(a, name, sum, S, nil, ids); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Verify(a, "spt3g-1.0-cp311-cp311-manylinux2014_x86_64.whl", sum, S, nil, ids); err == nil {
		t.Error("FALSE ACCEPT for other tags")
	}
}

func TestCorpusProvenance(t *testing.T) {
	base := corpus(t)
	d := att(base)
	data, err := os.ReadFile(filepath.Join(d, "pypi_attestations-0.0.19.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProvenance(data, "provenance")
	if err != nil {
		t.Fatal(err)
	}
	name, sum := dist(t, filepath.Join(d, "pypi_attestations-0.0.19.tar.gz"))
	P := root(t, base, "production")
	res, err := VerifyProvenance(p, name, sum, P, nil)
	if err != nil || len(res) != 1 || !strings.Contains(res[0].Publisher, "trailofbits/pypi-attestations") {
		t.Fatalf("own publisher: %v %+v", err, res)
	}
	if _, err := VerifyProvenance(p, name, sum, P, mustPolicy(t, "https://github.com/trailofbits/pypi-attestations", "", "")); err != nil {
		t.Fatalf("expected repository: %v", err)
	}
	if _, err := VerifyProvenance(p, name, sum, P, mustPolicy(t, "someone/else", "", "")); err == nil {
		t.Fatal("FALSE ACCEPT for another repository")
	}
	// A publisher claim that the certificate contradicts must fail.
	bad := *p
	bad.AttestationBundles = append([]AttestationBundle(nil), p.AttestationBundles...)
	bad.AttestationBundles[0].Publisher.Repository = "evil/pypi-attestations"
	if _, err := VerifyProvenance(&bad, name, sum, P, nil); err == nil {
		t.Fatal("FALSE ACCEPT with a forged publisher claim")
	}
}

func TestIntegrityClient(t *testing.T) {
	base := corpus(t)
	prov, err := os.ReadFile(filepath.Join(att(base), "pypi_attestations-0.0.19.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	var fails atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance":
			if fails.Add(1) == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write(prov)
		case "/integrity/bad/1.0/bad-1.0.tar.gz/provenance":
			w.Write([]byte("{not json"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/", Backoff: 1}
	p, err := c.Provenance(context.Background(), "pypi-attestations", "0.0.19", "pypi_attestations-0.0.19.tar.gz")
	if err != nil || len(p.AttestationBundles) != 1 {
		t.Fatalf("%v %+v", err, p)
	}
	if fails.Load() != 2 {
		t.Errorf("want one retry, got %d requests", fails.Load())
	}
	if _, err := c.Provenance(context.Background(), "x", "1", "x-1.tar.gz"); !errors.Is(err, ErrNoProvenance) {
		t.Errorf("404: %v", err)
	}
	if _, err := c.Provenance(context.Background(), "bad", "1.0", "bad-1.0.tar.gz"); err == nil || !sigstore.IsInputError(err) {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"version": 2}`, `{"version":1}`, `{"version":1,"verification_material":{"certificate":"x"}}`, `[]`, `{"version":1} {}`} {
		if _, err := ParseAttestation([]byte(in), "a.attestation"); err == nil || !strings.Contains(err.Error(), "a.attestation") {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range []string{"", `{"version":1,"attestation_bundles":[]}`, `{"version":3}`, `{"version":1,"attestation_bundles":[{"publisher":{}}]}`} {
		if _, err := ParseProvenance([]byte(in), "p.json"); err == nil || !strings.Contains(err.Error(), "p.json") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestSameDistribution(t *testing.T) {
	yes := [][2]string{
		{"a-1.0-py3-none-any.whl", "a-1.0-py3-none-any.whl"},
		{"Foo.Bar-1.0-py2.py3-none-any.whl", "foo_bar-1.0-py3.py2-none-any.whl"},
		{"x-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"},
		{"Foo-Bar-1.0.tar.gz", "foo_bar-1.0.tar.gz"},
	}
	no := [][2]string{
		{"a-1.0-py3-none-any.whl", "a-1.1-py3-none-any.whl"},
		{"a-1.0-py3-none-any.whl", "b-1.0-py3-none-any.whl"},
		{"a-1.0-py3-none-any.whl", "a-1.0.tar.gz"},
		{"a-1.0.tar.gz", "a-1.0.zip"},
		{"a-1.0-1-py3-none-any.whl", "a-1.0-py3-none-any.whl"},
		{"junk", "junk2"},
	}
	for _, p := range yes {
		if !SameDistribution(p[0], p[1]) {
			t.Errorf("%v should match", p)
		}
	}
	for _, p := range no {
		if SameDistribution(p[0], p[1]) {
			t.Errorf("%v should not match", p)
		}
	}
}

func TestCheckStatement(t *testing.T) {
	sum := Sha256([]byte("x"))
	hx := hex.EncodeToString(sum)
	good := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a-1.0.tar.gz","digest":{"sha256":"` + hx + `"}}],"predicateType":"` + PredicatePublishV1 + `"}`
	st, err := ParseStatement([]byte(good))
	if err != nil || CheckStatement(st, "a-1.0.tar.gz", sum) != nil {
		t.Fatalf("good statement: %v", err)
	}
	bads := map[string]string{
		"two subjects": strings.Replace(good, `}}]`, `}},{"name":"b","digest":{}}]`, 1),
		"predicate":    strings.Replace(good, PredicatePublishV1, "https://example.com/p", 1),
		"digest":       strings.Replace(good, hx, strings.Repeat("0", 64), 1),
		"name":         strings.Replace(good, "a-1.0.tar.gz", "a-1.1.tar.gz", 1),
	}
	for name, in := range bads {
		st, err := ParseStatement([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := CheckStatement(st, "a-1.0.tar.gz", sum); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseStatement([]byte(`{"_type":"other"}`)); err == nil {
		t.Error("non in-toto type accepted")
	}
}

func FuzzParseAttestation(f *testing.F) {
	f.Add([]byte(`{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{}]},"envelope":{"statement":"e30=","signature":"AAAA"}}`))
	f.Add([]byte(`{"version":1,"attestation_bundles":[{"publisher":{"kind":"GitHub","repository":"a/b"},"attestations":[]}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := ParseAttestation(data, "fuzz"); err == nil {
			_, _ = a.Statement()
			_, _ = a.ToBundle("fuzz")
		}
		if p, err := ParseProvenance(data, "fuzz"); err == nil {
			for _, ab := range p.AttestationBundles {
				_, _ = PolicyFromPublisher(ab.Publisher)
			}
		}
		if st, err := ParseStatement(data); err == nil {
			_ = CheckStatement(st, "a-1.0.tar.gz", make([]byte, 32))
		}
		_, _, _ = ProjectVersion(string(data))
		_ = SameDistribution(string(data), "a-1.0-py3-none-any.whl")
	})
}
