package verify

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/internal/verify/sigstore/sigstoretest"
)

const (
	selfID     = "builder@example.com"
	selfIssuer = "https://issuer.self-made.example"
)

func statementFor(name string, data []byte, algs ...string) []byte {
	d := map[string]string{}
	for _, a := range algs {
		switch a {
		case "sha256":
			s := sha256.Sum256(data)
			d[a] = hex.EncodeToString(s[:])
		case "sha512":
			s := sha512.Sum512(data)
			d[a] = hex.EncodeToString(s[:])
		}
	}
	var dg []string
	for k, v := range d {
		dg = append(dg, fmt.Sprintf("%q:%q", k, v))
	}
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + name + `","digest":{` + strings.Join(dg, ",") + `}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"externalParameters":{"workflow":{"repository":"https://github.com/o/r"}}},"runDetails":{"builder":{"id":"https://github.com/actions/runner/github-hosted"}}}}`)
}

func digestsOf(data []byte) map[string]string {
	a := sha256.Sum256(data)
	b := sha512.Sum512(data)
	return map[string]string{"sha256": hex.EncodeToString(a[:]), "sha512": hex.EncodeToString(b[:])}
}

// TestUnsignedProvenanceIsNotEvidence: a bare statement and a DSSE envelope
// with a garbage signature, both naming the tampered artifact's digest, are
// refused; with SubjectsOnly they are checked but never verified.
func TestUnsignedProvenanceIsNotEvidence(t *testing.T) {
	art := []byte("tampered artifact")
	stmt := statementFor("demo-1.0.tar.gz", art, "sha256")
	envelope := `{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.StdEncoding.EncodeToString(stmt) + `","signatures":[{"sig":"Z2FyYmFnZQ=="}]}`
	inst := sigstoretest.New(t)
	rootPath := filepath.Join(t.TempDir(), "root.json")
	writeB(t, rootPath, string(inst.TrustedRoot))
	root, err := sigstore.LoadRootFile(rootPath)
	if err != nil {
		t.Fatal(err)
	}
	ids := []sigstore.Identity{{SAN: selfID, Issuer: selfIssuer}}
	for kind, data := range map[string]string{"statement": string(stmt), "dsse-envelope": envelope} {
		in, err := ParseProvenanceFile([]byte(data), "p.json")
		if err != nil || in.Kind != kind {
			t.Fatalf("%s: %v %v", kind, in, err)
		}
		// Even with a trusted root and an identity policy at hand.
		res, err := VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: root, Identities: ids})
		if err == nil || res != nil || sigstore.IsInputError(err) || !strings.Contains(err.Error(), "not verified") {
			t.Errorf("%s: FALSE ACCEPT or wrong error: %+v %v", kind, res, err)
		}
		res, err = VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{SubjectsOnly: true})
		if err != nil || res.Status != sigstore.StatusNotVerified || res.Status.Verified() || res.Note != UnsignedNote {
			t.Errorf("%s subjects only: %+v %v", kind, res, err)
		}
		// Subjects only still fails on another artifact.
		if _, err := VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf([]byte("other")), ProvenanceOptions{SubjectsOnly: true}); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("%s subjects only, other artifact: %v", kind, err)
		}
	}
}

// TestSignedProvenanceBundle: a DSSE bundle of a private Sigstore instance
// verifies against that instance's root with the signer's identity, for the
// artifact it names (sha256 or sha512 subjects), and fails otherwise.
func TestSignedProvenanceBundle(t *testing.T) {
	art := []byte("artifact bytes")
	inst := sigstoretest.New(t)
	rootPath := filepath.Join(t.TempDir(), "root.json")
	writeB(t, rootPath, string(inst.TrustedRoot))
	root, err := sigstore.LoadRootFile(rootPath)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := sigstore.EmbeddedRoot()
	if err != nil {
		t.Fatal(err)
	}
	ids := []sigstore.Identity{{SAN: selfID, Issuer: selfIssuer}}
	for _, alg := range []string{"sha256", "sha512"} {
		in, err := ParseProvenanceFile(inst.SignStatement(t, selfID, selfIssuer, statementFor("demo-1.0.tar.gz", art, alg)), "p.sigstore.json")
		if err != nil || in.Kind != "sigstore-bundle" {
			t.Fatal(in, err)
		}
		res, err := VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: root, Identities: ids, Policy: ProvenancePolicy{SourceRepository: "o/r"}})
		if err != nil || res.Status != sigstore.StatusVerified || res.Sigstore == nil || res.Sigstore.SAN != selfID {
			t.Fatalf("%s: %+v %v", alg, res, err)
		}
		fails := map[string]func() (*ProvenanceResult, error){
			"tampered artifact": func() (*ProvenanceResult, error) {
				return VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf([]byte("tampered")), ProvenanceOptions{Root: root, Identities: ids})
			},
			"other identity": func() (*ProvenanceResult, error) {
				return VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: root, Identities: []sigstore.Identity{{SAN: "release@example.com", Issuer: selfIssuer}}})
			},
			"production root": func() (*ProvenanceResult, error) {
				return VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: emb, Identities: ids})
			},
			"other source": func() (*ProvenanceResult, error) {
				return VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: root, Identities: ids, Policy: ProvenancePolicy{SourceRepository: "o/other"}})
			},
			"subjects only does not skip the signature": func() (*ProvenanceResult, error) {
				return VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{Root: emb, Identities: ids, SubjectsOnly: true})
			},
		}
		for name, f := range fails {
			if res, err := f(); err == nil || res != nil {
				t.Errorf("%s %s: FALSE ACCEPT %+v", alg, name, res)
			}
		}
		if _, err := VerifyProvenance(in, "demo-1.0.tar.gz", digestsOf(art), ProvenanceOptions{}); !sigstore.IsInputError(err) {
			t.Errorf("%s: bundle without root and identity: %v", alg, err)
		}
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
}

// TestCheckEnvNonRegular: RECORD entries that are FIFOs or devices, and
// FIFOs in site-packages, are reported per file without being opened.
func TestCheckEnvNonRegular(t *testing.T) {
	venv, sp := makeVenv(t)
	core := filepath.Join(sp, "demo", "core.py")
	os.Remove(core)
	mkfifo(t, core)
	init := filepath.Join(sp, "demo", "__init__.py")
	os.Remove(init)
	if err := os.Symlink("/dev/zero", init); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(sp, "evil.pth"))
	mkfifo(t, filepath.Join(sp, "stray"))
	rep, err := CheckEnv(venv)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(rep)
	want := []string{"demo/__init__.py", "demo/core.py", "evil.pth", "stray"}
	if strings.Join(k["not-regular"], ",") != strings.Join(want, ",") {
		t.Fatalf("not-regular %v, want %v (all: %+v)", k["not-regular"], want, rep.Problems)
	}
	for _, p := range rep.Problems {
		if p.Kind == "not-regular" && !strings.Contains(p.Detail, "not a regular file") {
			t.Errorf("%s: detail %q", p.Path, p.Detail)
		}
	}
	n := 0
	for _, f := range rep.Findings() {
		if f.Rule == "record-not-regular" {
			n++
		}
	}
	if n != len(want) {
		t.Errorf("%d record-not-regular findings, want %d", n, len(want))
	}
}

// TestCheckHashesFIFO: a FIFO named like a wheel in the wheelhouse is
// reported as unreadable, never waited on; so is a FIFO given directly.
func TestCheckHashesFIFO(t *testing.T) {
	wh := t.TempDir()
	whl := filepath.Join(wh, "x-1.0-py3-none-any.whl")
	mkfifo(t, whl)
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "x", Version: "1.0", Hashes: []string{"sha256:" + strings.Repeat("0", 64)}}}}
	for _, target := range []string{wh, whl} {
		rs, fs, err := CheckHashes(target, inv)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Status != "unreadable" || !strings.Contains(rs[0].Detail, "FIFO") {
			t.Fatalf("%s: %+v", target, rs)
		}
		if len(fs) != 1 || fs[0].Rule != "hash-unchecked" {
			t.Errorf("%s: findings %+v", target, fs)
		}
	}
	if _, err := HashFile(whl, []string{"sha256"}); err == nil || !strings.Contains(err.Error(), "FIFO") || !strings.Contains(err.Error(), whl) {
		t.Errorf("HashFile FIFO: %v", err)
	}
}

func TestLoadSignersBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ids.yaml")
	mkfifo(t, fifo)
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxSignerTable + 1)
	f.Close()
	for p, want := range map[string]string{fifo: "FIFO", big: "larger than", "/dev/zero": "not a regular file"} {
		if _, err := LoadSigners(p); !sigstore.IsInputError(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", p, err)
		}
	}
	long := strings.Repeat("x", 1<<20)
	if _, err := ParseSigners([]byte("- series: ["+long), "ids.yaml"); err == nil || len(err.Error()) > 400 {
		t.Errorf("long invalid table: %d-byte error", len(fmt.Sprint(err)))
	}
}

// TestProvenanceErrorsBounded: a statement with a megabyte-long predicate
// type, subject names or builder gives errors of bounded length.
func TestProvenanceErrorsBounded(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	var subs []string
	for i := 0; i < 1000; i++ {
		subs = append(subs, `{"name":"`+long[:1000]+`","digest":{"sha256":"00"}}`)
	}
	for _, data := range []string{
		`{"_type":"https://in-toto.io/Statement/v1","predicateType":"` + long + `"}`,
		`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[` + strings.Join(subs, ",") + `]}`,
		`{"_type":"` + long + `"}`,
	} {
		in, err := ParseProvenanceFile([]byte(data), "p.json")
		if err == nil {
			_, err = VerifyProvenance(in, "a.tar.gz", map[string]string{"sha256": "11"}, ProvenanceOptions{SubjectsOnly: true})
		}
		if err == nil || len(err.Error()) > 1000 {
			t.Errorf("error of %d bytes: %.100v", len(fmt.Sprint(err)), err)
		}
	}
}

func FuzzParseSigners(f *testing.F) {
	f.Add([]byte("- series: ['3.12']\n  identity: a@b\n  issuer: https://x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("- {series: [], identity: ''}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rms, err := ParseSigners(data, "fuzz.yaml")
		if err != nil {
			if !sigstore.IsInputError(err) || !strings.Contains(err.Error(), "fuzz.yaml") || len(err.Error()) > 600 {
				t.Fatalf("bad error: %.200v", err)
			}
			return
		}
		for _, rm := range rms {
			if len(rm.Series) == 0 || rm.Identity == "" || rm.Issuer == "" {
				t.Fatalf("incomplete entry accepted: %+v", rm)
			}
		}
		_, _, _ = CPythonIdentities("3.12.1", rms)
	})
}

// TestCheckEnvMetadataFIFO: a FIFO in place of a distribution's RECORD or
// METADATA does not hang the environment check.
func TestCheckEnvMetadataFIFO(t *testing.T) {
	for _, name := range []string{"RECORD", "METADATA"} {
		venv, sp := makeVenv(t)
		p := filepath.Join(sp, "demo-1.0.dist-info", name)
		os.Remove(p)
		mkfifo(t, p)
		rep, err := CheckEnv(venv)
		if err != nil {
			if !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if len(kinds(rep)["not-regular"]) == 0 && len(kinds(rep)["missing"]) == 0 {
			t.Errorf("%s FIFO: no problem reported: %+v", name, rep.Problems)
		}
		t.Logf("%s FIFO: %+v", name, rep.Problems)
	}
}
