package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/pep508"
)

// Commands of Result.Command.
const (
	CommandArtifact   = "artifact"
	CommandCPython    = "cpython"
	CommandDist       = "dist"
	CommandProvenance = "provenance"
)

// ArtifactOptions say what VerifyArtifact verifies.
type ArtifactOptions struct {
	// Path is the artifact file; Digest ("sha256:HEX", sha384:, sha512:)
	// stands for it instead. Exactly one is given.
	Path   string
	Digest string
	// Bundle is the Sigstore bundle; default Path+".sigstore" or
	// Path+".sigstore.json".
	Bundle string
	// Identity is the signer identity policy (SAN or SAN regexp, and issuer
	// or issuer regexp): required.
	Identity sigstore.Identity
	// Root chooses the trusted root.
	Root sigstore.RootOptions
}

// CPythonOptions say what VerifyCPython verifies.
type CPythonOptions struct {
	// Path, Digest and Bundle are as for ArtifactOptions.
	Path   string
	Digest string
	Bundle string
	// Version is the CPython version; default inferred from the file name
	// of Path or Bundle.
	Version string
	// Identities is a YAML file of release managers tried before the
	// built-in table ("" for none).
	Identities string
	// Root chooses the trusted root.
	Root sigstore.RootOptions
}

// DistOptions say what VerifyDist verifies.
type DistOptions struct {
	// Path is the distribution file (wheel or sdist).
	Path string
	// Attestation is a PEP 740 attestation file, Provenance a PyPI
	// provenance object; at most one. With neither, the provenance is
	// fetched from the index's integrity API (not with Root.Offline).
	Attestation string
	Provenance  string
	// Repository, Publisher ("github", "gitlab") and Workflow name the
	// Trusted Publisher the attestations must come from.
	Repository string
	Publisher  string
	Workflow   string
	// Identity is an explicit signer identity instead of a Trusted
	// Publisher (with Attestation).
	Identity sigstore.Identity
	// IndexURL is the Simple API base the integrity API is derived from;
	// Timeout and Retries apply to each HTTP request.
	IndexURL string
	Timeout  time.Duration
	Retries  int
	// Root chooses the trusted root.
	Root sigstore.RootOptions
}

// ProvenanceFileOptions say what VerifyProvenanceFile verifies.
type ProvenanceFileOptions struct {
	// Path is the artifact, Provenance the provenance file.
	Path       string
	Provenance string
	// Policy is what the statement must say.
	Policy ProvenancePolicy
	// Identity is the signer identity policy of a Sigstore bundle.
	Identity sigstore.Identity
	// SubjectsOnly accepts a statement without a verifiable signature for
	// a subjects check only (the result is StatusNotVerified).
	SubjectsOnly bool
	// Root chooses the trusted root.
	Root sigstore.RootOptions
}

// VerifyArtifact verifies a Sigstore bundle for a file or digest against
// the trusted root and the identity policy. The Result is never nil; the
// error is non-nil exactly when the result is not verified, and says why
// (sigstore.KindOf(err) == Result.Failure).
func VerifyArtifact(ctx context.Context, o ArtifactOptions) (*Result, error) {
	res := &Result{Command: CommandArtifact, Subject: Subject{Artifact: o.Path}}
	art, err := openArtifact(o.Path, o.Digest, &res.Subject)
	if err != nil {
		return res.fail(err)
	}
	defer art.close()
	id := o.Identity
	if (id.SAN == "" && id.SANRegexp == "") || (id.Issuer == "" && id.IssuerRegexp == "") {
		return res.fail(inputError("an identity policy is required: --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer (or --cert-oidc-issuer-regexp)"))
	}
	return res.verifyBundle(ctx, o.Root, o.Path, o.Bundle, art, []sigstore.Identity{id})
}

// VerifyCPython verifies a CPython release artifact against the release
// manager identity python.org publishes for its series. Result and error as
// for VerifyArtifact; Result.Expected names the release manager.
func VerifyCPython(ctx context.Context, o CPythonOptions) (*Result, error) {
	res := &Result{Command: CommandCPython, Subject: Subject{Artifact: o.Path}}
	art, err := openArtifact(o.Path, o.Digest, &res.Subject)
	if err != nil {
		return res.fail(err)
	}
	defer art.close()
	version := o.Version
	if version == "" {
		for _, s := range []string{o.Path, o.Bundle} {
			if v, ok := CPythonVersion(filepath.Base(s)); ok && s != "" {
				version = v
				break
			}
		}
	}
	if version == "" {
		return res.fail(inputError("cannot infer the CPython version from the file name: pass --version X.Y.Z"))
	}
	var extra []ReleaseManager
	if o.Identities != "" {
		if extra, err = LoadSigners(o.Identities); err != nil {
			return res.fail(err)
		}
	}
	ids, why, err := CPythonIdentities(version, extra)
	if err != nil {
		return res.fail(&sigstore.InputError{Err: err})
	}
	res.Artifact = "CPython " + version + " " + res.Artifact
	res.Expected = why
	return res.verifyBundle(ctx, o.Root, o.Path, o.Bundle, art, ids)
}

// VerifyDist verifies the PEP 740 attestations of a distribution file
// (from files, or online). The distribution file is read and hashed once.
// Result and error as for VerifyArtifact; Result.Attestations holds the
// result of each attestation, and the distribution is verified only when
// there is at least one and every one verified.
func VerifyDist(ctx context.Context, o DistOptions) (*Result, error) {
	name := filepath.Base(o.Path)
	res := &Result{Command: CommandDist, Subject: Subject{Artifact: name}}
	d, err := HashFile(o.Path, []string{"sha256"})
	if err != nil {
		return res.fail(&sigstore.InputError{Err: fmt.Errorf("distribution %w", err)})
	}
	res.Digest = d["sha256"]
	sum, err := hex.DecodeString(strings.TrimPrefix(d["sha256"], "sha256:"))
	if err != nil {
		return res.fail(&sigstore.InputError{Err: fmt.Errorf("distribution %s: %w", o.Path, err)})
	}
	var policy *pep740.Policy
	if o.Repository != "" {
		p, err := pep740.ParseRepository(o.Repository, o.Publisher, o.Workflow)
		if err != nil {
			return res.fail(&sigstore.InputError{Err: err})
		}
		policy = &p
	}
	var ids []sigstore.Identity
	if o.Identity.SAN != "" || o.Identity.SANRegexp != "" {
		ids = []sigstore.Identity{o.Identity}
	}
	if o.Attestation != "" && o.Provenance != "" {
		return res.fail(inputError("give --attestation or --provenance, not both"))
	}
	root, err := res.loadRoot(ctx, o.Root)
	if err != nil {
		return res.fail(err)
	}
	var results []pep740.Result
	if o.Attestation != "" {
		if policy == nil && ids == nil {
			return res.fail(inputError("--attestation needs a publisher: --repository OWNER/REPO (Trusted Publisher) or --cert-identity/--cert-oidc-issuer"))
		}
		data, err := readInput("attestation", o.Attestation)
		if err != nil {
			return res.fail(err)
		}
		att, err := pep740.ParseAttestation(data, o.Attestation)
		if err != nil {
			return res.fail(err)
		}
		r, err := pep740.Verify(att, name, sum, root, policy, ids)
		if err != nil {
			return res.fail(err)
		}
		results = append(results, *r)
	} else {
		prov, err := distProvenance(ctx, o, name)
		if err != nil {
			return res.fail(err)
		}
		if results, err = pep740.VerifyProvenance(prov, name, sum, root, policy); err != nil {
			return res.fail(err)
		}
	}
	res.Status = sigstore.StatusFailed
	if len(results) > 0 {
		res.Status = sigstore.StatusVerified
	}
	for _, r := range results {
		a := Result{Command: CommandDist, Subject: Subject{Artifact: r.File, Digest: res.Digest}, Status: r.Status, Sigstore: r.Sigstore}
		a.Evidence = sigstoreEvidence(r.Sigstore)
		a.Publisher, a.PredicateType = r.Publisher, r.PredicateType
		if !r.PublisherRequired {
			a.Note = PublisherNote
		}
		a.settle()
		if r.Status != sigstore.StatusVerified {
			res.Status = min(res.Status, r.Status)
		}
		res.Attestations = append(res.Attestations, a)
	}
	if res.Status != sigstore.StatusVerified {
		// pep740 verifies every attestation it returns; this holds the line
		// should that ever change.
		return res.fail(&sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: name + ": nothing was verified"})
	}
	res.settle()
	return res, nil
}

// PublisherNote is the note of a distribution attestation verified without
// an expected publisher.
const PublisherNote = "publisher as the provenance names it (no --repository given): the certificate was checked against that publisher, not against one you chose"

// distProvenance reads the provenance file, or fetches the provenance from
// the index's integrity API.
func distProvenance(ctx context.Context, o DistOptions, name string) (*pep740.Provenance, error) {
	if o.Provenance != "" {
		data, err := readInput("provenance", o.Provenance)
		if err != nil {
			return nil, err
		}
		return pep740.ParseProvenance(data, o.Provenance)
	}
	if o.Root.Offline {
		return nil, inputError("--offline: give --attestation or --provenance (fetching provenance needs the network)")
	}
	project, version, ok := pep740.ProjectVersion(name)
	if !ok {
		return nil, &sigstore.InputError{Err: fmt.Errorf("%s is not a wheel or sdist file name", name)}
	}
	indexURL := o.IndexURL
	if indexURL == "" {
		indexURL = pep740.DefaultIndexURL
	}
	cl := &pep740.Client{IndexURL: indexURL, Timeout: o.Timeout, Retries: o.Retries}
	prov, err := cl.Provenance(ctx, pep508.NormalizeName(project), version, name)
	if errors.Is(err, pep740.ErrNoProvenance) {
		return nil, &sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: name + " is not attested", Err: err}
	}
	return prov, err
}

// VerifyProvenanceFile verifies an in-toto / SLSA provenance file for an
// artifact. The artifact is read and hashed once (sha256 and sha512 in one
// pass). Result and error as for VerifyArtifact, except that a subjects-only
// result is StatusNotVerified (failure kind "unchecked", with a note) and a
// nil error: o.SubjectsOnly asked for it.
func VerifyProvenanceFile(ctx context.Context, o ProvenanceFileOptions) (*Result, error) {
	res := &Result{Command: CommandProvenance, Subject: Subject{Artifact: o.Path}}
	if o.Provenance == "" {
		return res.fail(inputError("--provenance FILE is required"))
	}
	pdata, err := readInput("provenance", o.Provenance)
	if err != nil {
		return res.fail(err)
	}
	in, err := ParseProvenanceFile(pdata, o.Provenance)
	if err != nil {
		return res.fail(err)
	}
	res.Provenance = in.Kind
	digests, err := HashFile(o.Path, []string{"sha256", "sha512"})
	if err != nil {
		return res.fail(&sigstore.InputError{Err: fmt.Errorf("artifact %w", err)})
	}
	res.Digest = digests["sha256"]
	hexes := map[string]string{}
	for k, v := range digests {
		hexes[k] = strings.TrimPrefix(v, k+":")
	}
	opts := ProvenanceOptions{Policy: o.Policy, SubjectsOnly: o.SubjectsOnly}
	if in.Kind == "sigstore-bundle" {
		id := o.Identity
		if (id.SAN == "" && id.SANRegexp == "") || (id.Issuer == "" && id.IssuerRegexp == "") {
			return res.fail(inputError("a Sigstore bundle needs --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer (or --cert-oidc-issuer-regexp)"))
		}
		if opts.Root, err = res.loadRoot(ctx, o.Root); err != nil {
			return res.fail(err)
		}
		opts.Identities = []sigstore.Identity{id}
	}
	pr, err := VerifyProvenance(in, filepath.Base(o.Path), hexes, opts)
	if err != nil {
		if in.Kind != "sigstore-bundle" && !o.SubjectsOnly {
			err = fmt.Errorf("%w; give the provenance as a Sigstore bundle (with --cert-identity and --cert-oidc-issuer), or pass --subjects-only to compare its subjects with the artifact without verifying who wrote it", err)
		}
		return res.fail(err)
	}
	ev := sigstoreEvidence(pr.Sigstore)
	ev.PredicateType, ev.Builder, ev.Sources, ev.Provenance = pr.Facts.PredicateType, pr.Facts.BuilderID, pr.Facts.Sources, in.Kind
	res.Evidence, res.Status, res.Sigstore, res.Note = ev, pr.Status, pr.Sigstore, pr.Note
	res.settle()
	return res, nil
}

// fail records err as the reason the result is not verified and returns
// the result with err.
func (r *Result) fail(err error) (*Result, error) {
	r.Status, r.Failure, r.Reason = sigstore.StatusFailed, sigstore.KindOf(err), err.Error()
	return r, err
}

// settle sets Failure from Status for a result that did not fail with an
// error: FailNone when verified, FailUnchecked when not verified (its Note
// says what was not checked), never FailNone otherwise.
func (r *Result) settle() {
	switch r.Status {
	case sigstore.StatusVerified:
		r.Failure = sigstore.FailNone
	case sigstore.StatusNotVerified:
		r.Failure = sigstore.FailUnchecked
	default:
		if r.Failure == sigstore.FailNone {
			r.Failure = sigstore.FailSignature
		}
	}
}

// sigstoreEvidence is the evidence of a bundle verification.
func sigstoreEvidence(s *sigstore.Result) Evidence {
	if s == nil {
		return Evidence{}
	}
	ev := Evidence{Identity: s.SAN, Issuer: s.Issuer, SignedAt: s.SignedAt, BundleVersion: s.BundleVersion,
		RootSource: s.RootSource, LogIndexes: s.LogIndexes, Checks: s.Evidence}
	if c := s.Certificate; c != nil {
		ev.SourceRepository, ev.SourceRef, ev.SourceDigest = c.SourceRepositoryURI, c.SourceRepositoryRef, c.SourceRepositoryDigest
	}
	return ev
}

// loadRoot loads the trusted root; a warning about the choice is kept in
// the result.
func (r *Result) loadRoot(ctx context.Context, o sigstore.RootOptions) (*sigstore.Root, error) {
	root, err := sigstore.LoadRoot(ctx, o)
	if err != nil {
		return nil, err
	}
	if root.Warning != "" {
		r.Warnings = append(r.Warnings, root.Warning)
	}
	return root, nil
}

// verifyBundle loads the bundle (default: next to the artifact at path) and
// the trusted root and verifies the artifact against them and ids.
func (r *Result) verifyBundle(ctx context.Context, ro sigstore.RootOptions, path, bundlePath string, art *artifact, ids []sigstore.Identity) (*Result, error) {
	bp, err := defaultBundle(path, bundlePath)
	if err != nil {
		return r.fail(err)
	}
	b, err := sigstore.LoadBundle(bp)
	if err != nil {
		return r.fail(err)
	}
	root, err := r.loadRoot(ctx, ro)
	if err != nil {
		return r.fail(err)
	}
	sres, err := sigstore.Verify(b, root, art.Artifact, ids)
	if err != nil {
		if r.Expected != "" {
			err = fmt.Errorf("%w (expected: %s)", err, r.Expected)
		}
		return r.fail(err)
	}
	if r.Digest == "" {
		r.Digest = art.digest()
	}
	r.Status, r.Sigstore, r.Evidence = sres.Status, sres, sigstoreEvidence(sres)
	r.settle()
	if !r.Status.Verified() {
		return r.fail(&sigstore.Failure{Kind: sigstore.FailUnchecked, Reason: r.Artifact + ": nothing was verified"})
	}
	return r, nil
}

// inputError is an InputError with a fixed message.
func inputError(msg string) error { return &sigstore.InputError{Err: errors.New(msg)} }

// artifact is what a Sigstore signature is verified against: a file read
// as a stream (hashed with sha256 on the way, for the result) or a digest.
type artifact struct {
	sigstore.Artifact
	f    io.Closer
	tee  *hashingReader
	name string
}

func (a *artifact) close() {
	if a.f != nil {
		a.f.Close()
	}
}

// digest is the sha256 of the file when it was read to the end, else "".
func (a *artifact) digest() string {
	if a.tee == nil || !a.tee.eof {
		return ""
	}
	return "sha256:" + hex.EncodeToString(a.tee.h.Sum(nil))
}

// hashingReader hashes what is read through it and notes the end.
type hashingReader struct {
	r   io.Reader
	h   hash.Hash
	eof bool
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		h.eof = true
	}
	return n, err
}

// openArtifact opens the file at path, or parses digest ("sha256:HEX",
// sha384:, sha512:); exactly one must be given. It fills in the subject.
func openArtifact(path, digest string, sub *Subject) (*artifact, error) {
	if digest != "" {
		if path != "" {
			return nil, inputError("give either FILE or --digest, not both")
		}
		sub.Artifact = digest
		alg, hx, ok := strings.Cut(digest, ":")
		sum, err := hex.DecodeString(hx)
		if !ok || err != nil || (alg != "sha256" && alg != "sha384" && alg != "sha512") {
			return nil, &sigstore.InputError{Err: fmt.Errorf("--digest %s: want sha256:HEX (or sha384:, sha512:)", safeio.Excerpt(digest))}
		}
		sub.Digest = alg + ":" + strings.ToLower(hx)
		return &artifact{Artifact: sigstore.Artifact{DigestAlg: alg, Digest: sum}}, nil
	}
	if path == "" {
		return nil, inputError("give the artifact FILE or --digest sha256:HEX")
	}
	// A regular file only, read as a stream up to MaxArtifact bytes.
	f, err := safeio.Open(path, MaxArtifact)
	if err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("artifact %s: %w", path, sigstore.FileError(err))}
	}
	tee := &hashingReader{r: f, h: sha256.New()}
	return &artifact{Artifact: sigstore.Artifact{Reader: tee}, f: f, tee: tee, name: path}, nil
}

// defaultBundle is bundle, or the bundle next to the artifact at path.
func defaultBundle(path, bundle string) (string, error) {
	if bundle != "" {
		return bundle, nil
	}
	if path != "" {
		for _, ext := range []string{".sigstore", ".sigstore.json"} {
			if _, err := os.Stat(path + ext); err == nil {
				return path + ext, nil
			}
		}
		return "", &sigstore.InputError{Err: fmt.Errorf("no --bundle given and neither %s.sigstore nor %s.sigstore.json exists", path, path)}
	}
	return "", inputError("--bundle is required")
}

// readInput reads a JSON input file given by a flag: a regular file of at
// most safeio.MaxJSON bytes. Errors are InputErrors naming what and the file.
func readInput(what, path string) ([]byte, error) {
	data, err := safeio.ReadFile(path, safeio.MaxJSON)
	if err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("%s %s: %w", what, path, sigstore.FileError(err))}
	}
	return data, nil
}

// HashesOptions say what Hashes checks.
type HashesOptions struct {
	// Path is a folder of distribution files or one file.
	Path string
	// Lockfiles are the lockfiles or requirements files pinning hashes.
	Lockfiles []string
}

// HashesReport is the outcome of Hashes.
type HashesReport struct {
	Results  []HashResult      `json:"results"`
	Findings []finding.Finding `json:"findings"`
}

// Failed reports whether any file does not match (or could not be checked).
func (r *HashesReport) Failed() bool {
	for _, x := range r.Results {
		if x.Status != "ok" {
			return true
		}
	}
	return false
}

// Hashes checks downloaded distributions against the hashes the lockfiles
// pin. The error is for input that cannot be used (exit 2).
func Hashes(ctx context.Context, o HashesOptions) (*HashesReport, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv, err := inventory.Load(o.Lockfiles, inventory.Options{})
	if err != nil {
		return nil, err
	}
	results, fs, err := CheckHashes(o.Path, inv)
	if err != nil {
		return nil, err
	}
	return &HashesReport{Results: results, Findings: fs}, nil
}

// EnvOptions say what Env checks.
type EnvOptions struct {
	// Venv is the virtual environment; "" means $VIRTUAL_ENV, else ".venv".
	Venv string
}

// Env re-hashes every installed file of a virtual environment against its
// RECORD. The error is for input that cannot be used (exit 2).
func Env(ctx context.Context, o EnvOptions) (*EnvReport, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	venv := o.Venv
	if venv == "" {
		venv = os.Getenv("VIRTUAL_ENV")
	}
	if venv == "" {
		venv = ".venv"
	}
	return CheckEnv(venv)
}

// Failed reports whether the environment has a modified, missing or
// non-regular installed file.
func (r *EnvReport) Failed() bool {
	for _, p := range r.Problems {
		if p.Kind == "modified" || p.Kind == "missing" || p.Kind == "not-regular" {
			return true
		}
	}
	return false
}
