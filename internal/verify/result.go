package verify

import (
	"encoding/json"
	"time"

	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// Status is what a verification established (verified, not verified,
// failed); see sigstore.Status. Only StatusVerified reads as "OK".
type Status = sigstore.Status

// FailureKind says why a result is not verified; see sigstore.FailureKind
// for the kinds.
type FailureKind = sigstore.FailureKind

// Subject is the artifact a result is about.
type Subject struct {
	// Artifact names it: a file path, a distribution file name, a digest,
	// or "CPython 3.12.0 FILE".
	Artifact string `json:"artifact"`
	// Digest is the artifact's digest as "sha256:HEX" (or sha384:, sha512:)
	// when it was computed or given.
	Digest string `json:"digest,omitempty"`
}

// Evidence is what a verification rested on. Fields are empty when the
// verification did not get that far or the evidence does not carry them.
type Evidence struct {
	// Identity is the signer identity (certificate SAN), Issuer its OIDC
	// issuer, both from the verified certificate.
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// SourceRepository, SourceRef and SourceDigest are the Fulcio
	// extensions naming the repository, ref and commit the signing workflow
	// ran from.
	SourceRepository string `json:"source_repository,omitempty"`
	SourceRef        string `json:"source_ref,omitempty"`
	SourceDigest     string `json:"source_digest,omitempty"`
	// SignedAt is the earliest verified signing time (zero when none).
	SignedAt time.Time `json:"signed_at,omitzero"`
	// BundleVersion is the Sigstore bundle format version, e.g. "v0.3".
	BundleVersion string `json:"bundle_version,omitempty"`
	// RootSource says which trusted root was used.
	RootSource string `json:"trusted_root,omitempty"`
	// LogIndexes are the transparency log indexes of the bundle's entries.
	LogIndexes []int64 `json:"log_indexes,omitempty"`
	// PredicateType is the in-toto predicate type of an attestation or
	// provenance statement.
	PredicateType string `json:"predicate_type,omitempty"`
	// Publisher describes who published a distribution (Trusted Publisher
	// and signer).
	Publisher string `json:"publisher,omitempty"`
	// Builder and Sources are what a provenance statement says about the
	// build.
	Builder string   `json:"builder,omitempty"`
	Sources []string `json:"sources,omitempty"`
	// Provenance is the form of a provenance file: "sigstore-bundle",
	// "dsse-envelope" or "statement".
	Provenance string `json:"provenance,omitempty"`
	// Checks lists, in words, what was verified.
	Checks []string `json:"checks,omitempty"`
}

// Result is what one verification established about one artifact, as data:
// the subject, the status, why it is not verified (Failure, Reason) and the
// evidence. Every entry point of this package returns one, also when it
// fails; rendering it is the caller's business.
type Result struct {
	// Command is the verification carried out: "artifact", "cpython",
	// "dist" or "provenance".
	Command string `json:"command"`
	Subject
	// Status is StatusVerified only when a signature was verified against
	// the trusted root, the identity policy and the artifact.
	Status Status `json:"status"`
	// Failure is FailNone exactly when Status is StatusVerified.
	Failure FailureKind `json:"failure"`
	// Reason says in words why the result is not verified ("" when it is).
	Reason string `json:"reason,omitempty"`
	// Expected describes the identity policy the signer had to match, when
	// the verification chose it (e.g. the CPython release manager).
	Expected string `json:"expected,omitempty"`
	Evidence
	// Note says what was not verified.
	Note string `json:"note,omitempty"`
	// Warnings are things the user should know that do not change the
	// result, e.g. that the trusted root fell back to the embedded snapshot.
	Warnings []string `json:"warnings,omitempty"`
	// Attestations are the results of each attestation of a distribution
	// ("dist"): the distribution is verified only when there is at least one
	// and every one verified.
	Attestations []Result `json:"attestations,omitempty"`
	// Sigstore is the bundle verification the result rests on, if any.
	Sigstore *sigstore.Result `json:"sigstore,omitempty"`
}

// MarshalJSON writes the result with a "verified" key (Status.Verified()).
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Verified bool `json:"verified"`
	}{plain(r), r.Status.Verified()})
}

// Verified reports whether the result is verified.
func (r *Result) Verified() bool { return r != nil && r.Status.Verified() }
