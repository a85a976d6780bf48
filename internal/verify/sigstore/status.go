package sigstore

import (
	"fmt"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// Status is what a verification established about an artifact. Every result
// of the verify packages carries one, and only StatusVerified may be reported
// as "OK" or "verified": true. The zero value is StatusFailed, so a result
// nobody filled in never reads as verified.
type Status uint8

const (
	// StatusFailed means the evidence was checked and does not hold.
	StatusFailed Status = iota
	// StatusNotVerified means content was checked (for example a statement's
	// subjects against the artifact) but no signature was verified against the
	// trusted root and an identity policy: the result is not evidence.
	StatusNotVerified
	// StatusVerified means a signature was verified against the trusted root,
	// the identity policy and the artifact.
	StatusVerified
)

// String returns the label printed for the status: "OK", "NOT VERIFIED" or
// "FAILED".
func (s Status) String() string {
	switch s {
	case StatusVerified:
		return "OK"
	case StatusNotVerified:
		return "NOT VERIFIED"
	}
	return "FAILED"
}

// Verified reports whether the status is StatusVerified.
func (s Status) Verified() bool { return s == StatusVerified }

// MarshalText encodes the status for JSON: "verified", "not-verified" or
// "failed".
func (s Status) MarshalText() ([]byte, error) {
	switch s {
	case StatusVerified:
		return []byte("verified"), nil
	case StatusNotVerified:
		return []byte("not-verified"), nil
	}
	return []byte("failed"), nil
}

// UnmarshalText decodes what MarshalText writes; anything else is an error.
func (s *Status) UnmarshalText(b []byte) error {
	switch string(b) {
	case "verified":
		*s = StatusVerified
	case "not-verified":
		*s = StatusNotVerified
	case "failed":
		*s = StatusFailed
	default:
		return fmt.Errorf("unknown verification status %s", safeio.Excerpt(string(b)))
	}
	return nil
}

// maxDetail bounds the third-party error text (sigstore-go, protojson, TUF)
// copied into a message: such text may quote input.
const maxDetail = 240

// detail returns err's message, cut to an escaped excerpt when long.
func detail(err error) string {
	if err == nil {
		return ""
	}
	return Detail(err.Error())
}

// Detail bounds a message that may quote input: short messages are returned
// as they are, long ones (or ones with control characters) as an escaped
// excerpt.
func Detail(msg string) string {
	if len(msg) <= maxDetail && !strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return msg
	}
	return safeio.ExcerptN(msg, maxDetail)
}

// FailureKind says, as data, why a verification did not succeed. Every
// result of the verify packages carries one: FailNone for a verified result,
// another kind for one that is not. The kinds are few and stable, so
// reports and scripts can act on them without reading messages.
type FailureKind uint8

const (
	// FailNone means nothing failed: the result is verified.
	FailNone FailureKind = iota
	// FailSignature means the signature does not verify, or the bundle
	// carries no usable signature or certificate.
	FailSignature
	// FailIdentity means the signer (certificate identity, OIDC issuer,
	// Trusted Publisher, source repository extension) is not the expected
	// one, or the bundle has no identity to check (a bare public key).
	FailIdentity
	// FailDigest means the signature or statement covers another artifact:
	// a digest or subject name mismatch.
	FailDigest
	// FailPolicy means the statement does not say what the policy requires:
	// predicate type, builder or source repository.
	FailPolicy
	// FailNoEvidence means there is nothing verifiable: the artifact is not
	// attested, or the provenance carries no signature.
	FailNoEvidence
	// FailUntrustedRoot means the certificate or the log is not anchored in
	// the trusted root (another Sigstore instance, an expired CA).
	FailUntrustedRoot
	// FailTransparencyLog means the transparency log evidence is missing,
	// inconsistent or does not verify (Rekor entry, inclusion proof,
	// checkpoint, or the certificate's signed certificate timestamp).
	FailTransparencyLog
	// FailTimestamp means no trusted signing time: signed timestamps or
	// log integration times missing, invalid, repeated or untrusted.
	FailTimestamp
	// FailUnsupported means the input is of a kind pyvet does not verify
	// (an unsupported bundle or attestation version, or publisher).
	FailUnsupported
	// FailInput means the input cannot be used at all: a missing or
	// unreadable file, a FIFO, a file over its cap, JSON that is not a
	// bundle, a missing flag.
	FailInput
	// FailUnchecked means the check could not be carried out (the index was
	// unreachable, or --subjects-only left the signature unchecked): nothing
	// was established either way.
	FailUnchecked
)

// failureNames are the JSON names of the kinds, in order.
var failureNames = [...]string{
	FailNone:            "none",
	FailSignature:       "signature",
	FailIdentity:        "identity-mismatch",
	FailDigest:          "digest-mismatch",
	FailPolicy:          "policy",
	FailNoEvidence:      "no-evidence",
	FailUntrustedRoot:   "untrusted-root",
	FailTransparencyLog: "transparency-log",
	FailTimestamp:       "timestamp",
	FailUnsupported:     "unsupported",
	FailInput:           "input-error",
	FailUnchecked:       "unchecked",
}

// FailureKinds lists every kind, FailNone first.
func FailureKinds() []FailureKind {
	out := make([]FailureKind, len(failureNames))
	for i := range failureNames {
		out[i] = FailureKind(i)
	}
	return out
}

// String returns the kind's name, e.g. "digest-mismatch".
func (k FailureKind) String() string {
	if int(k) < len(failureNames) {
		return failureNames[k]
	}
	return "unknown"
}

// MarshalText encodes the kind by its name.
func (k FailureKind) MarshalText() ([]byte, error) {
	if int(k) >= len(failureNames) {
		return nil, fmt.Errorf("unknown failure kind %d", k)
	}
	return []byte(failureNames[k]), nil
}

// UnmarshalText decodes a name MarshalText writes; anything else is an
// error.
func (k *FailureKind) UnmarshalText(b []byte) error {
	for i, n := range failureNames {
		if n == string(b) {
			*k = FailureKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown failure kind %s", safeio.Excerpt(string(b)))
}

// InputKind reports whether the kind is about input pyvet cannot use
// (FailInput, FailUnsupported): commands exit 2 on it, 1 on the others.
func (k FailureKind) InputKind() bool { return k == FailInput || k == FailUnsupported }
