package sigstore

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func corpusDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("PYVET_CORPUS")
	if d == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return d
}

const (
	ghOAuth   = "https://github.com/login/oauth"
	ghActions = "https://token.actions.githubusercontent.com"
	google    = "https://accounts.google.com"
)

type corpusCase struct {
	name     string
	bundle   string // under sigstore/
	root     string // under sigstore/
	artifact string // under sigstore/, or ""
	digest   string // "alg:hex", or ""
	envelope bool
	id       Identity
	ok       bool
	input    bool   // expect an InputError
	reason   string // substring of the failure reason
}

const (
	rootP  = "trust-roots/production/trusted_root.json"
	rootS  = "trust-roots/staging/trusted_root.json"
	sp     = "sigstore-python/"
	sgData = "sigstore-go/pkg/testing/data/"
)

var (
	idYossarian = Identity{SAN: "william@yossarian.net", Issuer: ghOAuth}
	idRFC8785   = Identity{SAN: "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2", Issuer: ghActions}
	idThomas    = Identity{SAN: "thomas@python.org", Issuer: google}
	idSigJS     = Identity{SAN: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", Issuer: ghActions}
	cpy3125     = "sha256:38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"
	sigjs200    = "sha512:46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"
	sigjs130    = "sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751"
)

var corpusCases = []corpusCase{
	{name: "v0.1 hashedrekord staging", bundle: sp + "bundle.txt.sigstore", root: rootS, artifact: sp + "bundle.txt", id: Identity{SAN: "a@tny.town", Issuer: ghOAuth}, ok: true},
	{name: "v0.1 under production root", bundle: sp + "bundle.txt.sigstore", root: rootP, artifact: sp + "bundle.txt", id: Identity{SAN: "a@tny.town", Issuer: ghOAuth}, reason: "untrusted root"},
	{name: "v0.1 wrong identity", bundle: sp + "bundle.txt.sigstore", root: rootS, artifact: sp + "bundle.txt", id: Identity{SAN: "bad@ident.example.com", Issuer: ghOAuth}, reason: "wrong identity"},
	{name: "v0.1 wrong issuer", bundle: sp + "bundle.txt.sigstore", root: rootS, artifact: sp + "bundle.txt", id: Identity{SAN: "a@tny.town", Issuer: google}, reason: "wrong identity"},
	{name: "v0.1 other artifact", bundle: sp + "bundle.txt.sigstore", root: rootS, artifact: sp + "bundle_v3.txt", id: Identity{SAN: "a@tny.town", Issuer: ghOAuth}, reason: "signature"},
	{name: "v0.3", bundle: sp + "bundle_v3.txt.sigstore", root: rootS, artifact: sp + "bundle_v3.txt", id: idYossarian, ok: true},
	{name: "v0.3 integration copy", bundle: sp + "integration/bundle_v3.txt.sigstore", root: rootS, artifact: sp + "integration/bundle_v3.txt", id: idYossarian, ok: true},
	{name: "v0.3 alt media type", bundle: sp + "bundle_v3_alt.txt.sigstore", root: rootS, artifact: sp + "bundle_v3_alt.txt", id: idYossarian, ok: true},
	{name: "rekor v2 + TSA", bundle: sp + "staging-rekor-v2.txt.sigstore.json", root: rootS, artifact: sp + "staging-rekor-v2.txt", id: Identity{SAN: "jku@goto.fi", Issuer: ghOAuth}, ok: true},
	{name: "DSSE rekor v2 envelope", bundle: sp + "a.dsse.staging-rekor-v2.txt.sigstore.json", root: rootS, envelope: true, id: Identity{SANRegexp: `^https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/`, Issuer: ghActions}, ok: true},
	{name: "DSSE rekor v2 with a.txt", bundle: sp + "a.dsse.staging-rekor-v2.txt.sigstore.json", root: rootS, artifact: sp + "a.txt", id: Identity{SANRegexp: `^https://github\.com/sigstore-conformance/`, Issuer: ghActions}, reason: "digest mismatch"},
	{name: "v0.2 GitHub workflow production", bundle: sp + "bundle_v3_github.whl.sigstore", root: rootP, artifact: sp + "bundle_v3_github.whl", id: idRFC8785, ok: true},
	{name: "v0.2 GitHub workflow staging root", bundle: sp + "bundle_v3_github.whl.sigstore", root: rootS, artifact: sp + "bundle_v3_github.whl", id: idRFC8785, reason: "untrusted root"},
	{name: "v0.2 GitHub other identity", bundle: sp + "bundle_v3_github.whl.sigstore", root: rootP, artifact: sp + "bundle_v3_github.whl", id: Identity{SAN: "https://github.com/trailofbits/rfc8785.py/.github/workflows/other.yml@refs/tags/v0.1.2", Issuer: ghActions}, reason: "wrong identity"},
	{name: "CPython 3.12.5 SET fallback", bundle: sp + "integration/Python-3.12.5.tgz.sigstore", root: rootP, digest: cpy3125, id: idThomas, ok: true},
	{name: "CPython 3.12.5 other digest", bundle: sp + "integration/Python-3.12.5.tgz.sigstore", root: rootP, digest: "sha256:" + strings.Repeat("ab", 32), id: idThomas, reason: "signature"},
	{name: "CPython 3.12.5 other identity", bundle: sp + "integration/Python-3.12.5.tgz.sigstore", root: rootP, digest: cpy3125, id: Identity{SAN: "hugo@python.org", Issuer: ghOAuth}, reason: "wrong identity"},
	{name: "CPython 3.12.5 staging root", bundle: sp + "integration/Python-3.12.5.tgz.sigstore", root: rootS, digest: cpy3125, id: idThomas, reason: ""},
	{name: "TSA bundle", bundle: sp + "tsa/bundle.txt.sigstore", root: rootS, artifact: sp + "tsa/bundle.txt", id: Identity{SAN: "alexis.challande@trailofbits.com", Issuer: google}, ok: true},
	{name: "TSA duplicate", bundle: sp + "tsa/bundle.duplicate.sigstore", root: rootS, artifact: sp + "tsa/bundle.txt", id: Identity{SAN: "alexis.challande@trailofbits.com", Issuer: google}, reason: "duplicate"},
	{name: "TSA many timestamps", bundle: sp + "tsa/bundle.many_timestamp.sigstore", root: rootS, artifact: sp + "tsa/bundle.txt", id: Identity{SAN: "alexis.challande@trailofbits.com", Issuer: google}, reason: ""},
	{name: "TSA late timestamp", bundle: sp + "tsa/bundle.txt.late_timestamp.sigstore", root: rootS, artifact: sp + "tsa/bundle.txt", id: Identity{SANRegexp: ".*", IssuerRegexp: ".*"}, reason: ""},
	{name: "TSA late timestamp production", bundle: sp + "tsa/bundle.txt.late_timestamp.sigstore", root: rootP, artifact: sp + "tsa/bundle.txt", id: Identity{SANRegexp: ".*", IssuerRegexp: ".*"}, reason: ""},
	{name: "CVE-2022-36056", bundle: sp + "bundle_cve_2022_36056.txt.sigstore", root: rootS, artifact: sp + "bundle_cve_2022_36056.txt", id: idYossarian, reason: "log"},
	{name: "invalid media type", bundle: sp + "bundle_invalid_version.txt.sigstore", root: rootS, artifact: sp + "bundle_invalid_version.txt", id: idYossarian, input: true},
	{name: "v0.1 no certificate", bundle: sp + "bundle_no_cert_v1.txt.sigstore", root: rootS, artifact: sp + "bundle_no_cert_v1.txt", id: idYossarian},
	{name: "v0.2 no checkpoint", bundle: sp + "bundle_no_checkpoint.txt.sigstore", root: rootS, artifact: sp + "bundle_no_checkpoint.txt", id: idYossarian},
	{name: "v0.1 no log entry", bundle: sp + "bundle_no_log_entry.txt.sigstore", root: rootP, artifact: sp + "bundle_no_log_entry.txt", id: Identity{SAN: "alex.cameron@trailofbits.com", Issuer: google}, reason: "log entry"},
	{name: "v0.3 no signed time", bundle: sp + "bundle_v3_no_signed_time.txt.sigstore.json", root: rootP, artifact: sp + "bundle_v3_no_signed_time.txt", id: idYossarian},
	{name: "sigstore-js provenance public-good", bundle: sgData + "bundles/sigstore.js@2.0.0-provenance.sigstore.json", root: sgData + "trusted-roots/public-good.json", digest: sigjs200, id: idSigJS, ok: true},
	{name: "sigstore-js provenance production", bundle: sgData + "bundles/sigstore.js@2.0.0-provenance.sigstore.json", root: rootP, digest: sigjs200, id: idSigJS, ok: true},
	{name: "sigstore-js provenance wrong digest", bundle: sgData + "bundles/sigstore.js@2.0.0-provenance.sigstore.json", root: rootP, digest: sigjs130, id: idSigJS, reason: "digest mismatch"},
	{name: "DSSE envelope", bundle: sgData + "bundles/dsse.sigstore.json", root: sgData + "trusted-roots/public-good.json", envelope: true, id: Identity{SAN: "brian@dehamer.com", Issuer: ghOAuth}, ok: true},
	{name: "DSSE two signatures", bundle: sgData + "bundles/dsse-2sigs.sigstore.json", root: sgData + "trusted-roots/public-good.json", envelope: true, id: Identity{SAN: "brian@dehamer.com", Issuer: ghOAuth}},
	{name: "otherName SAN", bundle: sgData + "bundles/othername.sigstore.json", root: sgData + "trusted-roots/scaffolding.json", digest: "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b", id: Identity{SAN: "foo!oidc.local", Issuer: "http://oidc.local:8080"}, ok: true},
	{name: "otherName SAN as email", bundle: sgData + "bundles/othername.sigstore.json", root: sgData + "trusted-roots/scaffolding.json", digest: "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b", id: Identity{SAN: "foo@oidc.local", Issuer: "http://oidc.local:8080"}, reason: "wrong identity"},
	{name: "otherName under production", bundle: sgData + "bundles/othername.sigstore.json", root: rootP, digest: "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b", id: Identity{SAN: "foo!oidc.local", Issuer: "http://oidc.local:8080"}},
	{name: "example provenance v0.1 null proof", bundle: "sigstore-go/examples/bundle-provenance.json", root: rootP, digest: sigjs130, id: Identity{SANRegexp: "^https://github.com/sigstore/sigstore-js/", Issuer: ghActions}, ok: true},
	{name: "example provenance public-good", bundle: "sigstore-go/examples/bundle-provenance.json", root: "sigstore-go/examples/trusted-root-public-good.json", digest: sigjs130, id: Identity{SANRegexp: "^https://github.com/sigstore/sigstore-js/", Issuer: ghActions}, ok: true},
	{name: "key-signed bundle", bundle: "sigstore-go/examples/bundle-publish.json", root: rootP, digest: sigjs130, id: idSigJS},
}

func parseDigest(t testing.TB, s string) (string, []byte) {
	alg, hx, _ := strings.Cut(s, ":")
	b, err := hex.DecodeString(hx)
	if err != nil {
		t.Fatal(err)
	}
	return alg, b
}

func runCase(t *testing.T, base string, c corpusCase) (*Result, error) {
	t.Helper()
	r, err := LoadRootFile(filepath.Join(base, "sigstore", c.root))
	if err != nil {
		t.Fatalf("root: %v", err)
	}
	b, err := LoadBundle(filepath.Join(base, "sigstore", c.bundle))
	if err != nil {
		return nil, err
	}
	var art Artifact
	switch {
	case c.artifact != "":
		data, err := os.ReadFile(filepath.Join(base, "sigstore", c.artifact))
		if err != nil {
			t.Fatal(err)
		}
		art.Reader = bytes.NewReader(data)
	case c.digest != "":
		art.DigestAlg, art.Digest = parseDigest(t, c.digest)
	default:
		art.EnvelopeOnly = c.envelope
	}
	return Verify(b, r, art, []Identity{c.id})
}

func TestCorpusBundles(t *testing.T) {
	base := corpusDir(t)
	accepted, rejected := 0, 0
	for _, c := range corpusCases {
		t.Run(c.name, func(t *testing.T) {
			res, err := runCase(t, base, c)
			if c.ok {
				if err != nil {
					t.Fatalf("want OK, got %v", err)
				}
				accepted++
				if c.id.SAN != "" && res.SAN != c.id.SAN {
					t.Errorf("SAN %q, want %q", res.SAN, c.id.SAN)
				}
				if len(res.Evidence) == 0 || res.SignedAt.IsZero() {
					t.Errorf("no evidence or time: %+v", res)
				}
				return
			}
			if err == nil {
				t.Fatalf("FALSE ACCEPT: %+v", res)
			}
			rejected++
			if c.input != IsInputError(err) {
				t.Errorf("input error = %v, want %v: %v", IsInputError(err), c.input, err)
			}
			if c.reason != "" && !strings.Contains(err.Error(), c.reason) {
				t.Errorf("reason %q does not mention %q", err, c.reason)
			}
			t.Logf("rejected: %v", err)
		})
	}
	t.Logf("%d accepted, %d rejected", accepted, rejected)
}

func TestCPython3125Evidence(t *testing.T) {
	base := corpusDir(t)
	c := corpusCases[14]
	res, err := runCase(t, base, c)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(res.Evidence, "\n")
	for _, want := range []string{"signed entry timestamp", "no signed checkpoint", "digest sha256:38dc4e2c"} {
		if !strings.Contains(joined, want) {
			t.Errorf("evidence lacks %q:\n%s", want, joined)
		}
	}
}
