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
