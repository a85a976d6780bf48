package verify

import (
	"context"
	"errors"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
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

var errTODO = errors.New("not implemented")

// VerifyArtifact verifies a Sigstore bundle for a file or digest against
// the trusted root and the identity policy. The Result is never nil; the
// error is non-nil exactly when the result is not verified, and says why.
func VerifyArtifact(ctx context.Context, o ArtifactOptions) (*Result, error) {
	return nil, errTODO
}

// VerifyCPython verifies a CPython release artifact against the release
// manager identity python.org publishes for its series. Result and error as
// for VerifyArtifact.
func VerifyCPython(ctx context.Context, o CPythonOptions) (*Result, error) {
	return nil, errTODO
}

// VerifyDist verifies the PEP 740 attestations of a distribution file
// (from files, or online). The distribution file is read and hashed once.
// Result and error as for VerifyArtifact; Result.Attestations holds each
// attestation's result.
func VerifyDist(ctx context.Context, o DistOptions) (*Result, error) {
	return nil, errTODO
}

// VerifyProvenanceFile verifies an in-toto / SLSA provenance file for an
// artifact. The artifact is read and hashed once. Result and error as for
// VerifyArtifact, except that a subjects-only result is StatusNotVerified
// with a nil error (o.SubjectsOnly asked for it).
func VerifyProvenanceFile(ctx context.Context, o ProvenanceFileOptions) (*Result, error) {
	return nil, errTODO
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
	return nil, errTODO
}

// EnvOptions say what Env checks.
type EnvOptions struct {
	// Venv is the virtual environment; "" means $VIRTUAL_ENV, else ".venv".
	Venv string
}

// Env re-hashes every installed file of a virtual environment against its
// RECORD. The error is for input that cannot be used (exit 2).
func Env(ctx context.Context, o EnvOptions) (*EnvReport, error) {
	return nil, errTODO
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
