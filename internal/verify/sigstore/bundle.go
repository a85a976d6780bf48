// Package sigstore verifies Sigstore bundles with sigstore-go: the certificate
// chain to Fulcio, signed certificate timestamps, the transparency-log entry
// (inclusion proof with signed checkpoint, or the signed entry timestamp), the
// signature over the artifact and the signer identity. It adds what sigstore-go
// leaves to callers: choosing the trusted root (file, TUF refresh, embedded
// snapshot), telling unusable input from a failed verification, and reporting
// which evidence a verification rested on.
package sigstore

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pyvet/pyvet/internal/safeio"
)

// InputError reports input pyvet cannot use at all: a missing or unreadable
// file, JSON that is not a bundle, an unsupported bundle version. Commands exit
// with status 2 on it; every other error from this package is a failed
// verification (status 1).
//
// Kind is FailInput, or FailUnsupported for input of a kind pyvet does not
// verify (an unsupported bundle version).
type InputError struct {
	Err  error
	Kind FailureKind
}

// Error returns the message.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err (or an error it wraps) is an InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// inputErrorf returns an InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// Bundle is a parsed Sigstore bundle plus what pyvet had to do to make it
// verifiable.
type Bundle struct {
	*bundle.Bundle
	// Name is the file (or description) the bundle was read from.
	Name string
	// FormatVersion is the bundle format version, e.g. "v0.1", "v0.3".
	FormatVersion string
	// Notes say how the bundle was adapted, e.g. that an inclusion proof
	// without a signed checkpoint was set aside in favour of the signed entry
	// timestamp.
	Notes []string
	// PromiseOnly is true when the transparency-log evidence is the signed entry
	// timestamp alone (no usable inclusion proof).
	PromiseOnly bool
}

// MaxBundleSize bounds the bundle and trusted-root files read into memory.
const MaxBundleSize = safeio.MaxJSON

// LoadBundle reads and parses a bundle file: a regular file of at most
// MaxBundleSize bytes. Errors naming the file are InputErrors when the file
// cannot be used at all.
func LoadBundle(path string) (*Bundle, error) {
	data, err := safeio.ReadFile(path, MaxBundleSize)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("bundle %s: %w", path, pathErr(err))}
	}
	return ParseBundle(data, path)
}

// pathErr is FileError, for this package.
func pathErr(err error) error { return FileError(err) }

// FileError returns what is wrong with a file, without the path the caller
// already names: the *fs.PathError wrapper is dropped, and safeio's
// not-a-regular-file and too-large errors keep their meaning (errors.Is
// ErrNotRegular, errors.As *TooLargeError) with a message of their own.
func FileError(err error) error {
	var nr *safeio.NotRegularError
	if errors.As(err, &nr) {
		return &fileError{msg: strings.TrimPrefix(nr.Error(), nr.Path+": "), err: err}
	}
	var tl *safeio.TooLargeError
	if errors.As(err, &tl) {
		return &fileError{msg: "larger than the " + safeio.HumanBytes(tl.Limit) + " limit", err: err}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// ParseBundle parses bundle JSON (any of the v0.1, v0.2 and v0.3 media types,
// message signature or DSSE envelope). name is used in error messages.
//
// Bundles of version 0.1 whose inclusion proof carries no signed checkpoint
// (as the CPython 3.12 release bundles do) are accepted by setting that proof
// aside: version 0.1 requires only the inclusion promise (signed entry
// timestamp), which sigstore-go then verifies against the log's key in the
// trusted root. Notes and PromiseOnly record this.
func ParseBundle(data []byte, name string) (*Bundle, error) {
	pb := new(protobundle.Bundle)
	if err := protojson.Unmarshal(data, pb); err != nil {
		return nil, inputErrorf("bundle %s: not a Sigstore bundle: %s", name, detail(err))
	}
	probe := &bundle.Bundle{Bundle: pb}
	version, err := probe.Version()
	if err != nil {
		return nil, &InputError{Kind: FailUnsupported, Err: fmt.Errorf("bundle %s: unsupported bundle version (media type %s)", name, safeio.Excerpt(pb.GetMediaType()))}
	}
	switch version {
	case "v0.1", "v0.2", "v0.3":
	default:
		return nil, &InputError{Kind: FailUnsupported, Err: fmt.Errorf("bundle %s: unsupported bundle version %s (supported: v0.1, v0.2, v0.3)", name, version)}
	}
	out := &Bundle{Name: name, FormatVersion: version}
	if version == "v0.1" {
		entries := pb.GetVerificationMaterial().GetTlogEntries()
		promises := 0
		for _, e := range entries {
			if e.GetInclusionPromise() != nil {
				promises++
			}
			p := e.GetInclusionProof()
			if p != nil && p.GetCheckpoint().GetEnvelope() == "" && e.GetInclusionPromise() != nil {
				// The unsigned proof is no evidence of inclusion, but a proof that
				// does not even hash up to its own root betrays a forged bundle.
				if err := unsignedProofConsistent(e.GetCanonicalizedBody(), p); err != nil {
					return nil, failf(FailTransparencyLog, "bundle %s: log entry %d: inclusion proof is inconsistent with the entry: %s", name, e.GetLogIndex(), detail(err))
				}
				e.InclusionProof = nil
				out.Notes = append(out.Notes, fmt.Sprintf("log entry %d: inclusion proof has no signed checkpoint (allowed in bundle v0.1): its hashes lead to its root hash, but that root is not signed, so it is not used as evidence", e.GetLogIndex()))
			}
		}
		if len(entries) > 0 && promises == len(entries) {
			out.PromiseOnly = true
			for _, e := range entries {
				if e.GetInclusionProof() != nil {
					out.PromiseOnly = false
				}
			}
		}
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, failf(FailSignature, "bundle %s: invalid bundle: %s", name, detail(err))
	}
	out.Bundle = b
	return out, nil
}

// unsignedProofConsistent checks that an inclusion proof's hashes lead from
// the entry's leaf hash to the proof's root hash (RFC 6962).
func unsignedProofConsistent(body []byte, p *protorekor.InclusionProof) error {
	if p.GetLogIndex() < 0 || p.GetTreeSize() <= 0 {
		return fmt.Errorf("invalid log index %d or tree size %d", p.GetLogIndex(), p.GetTreeSize())
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(body)
	return proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.GetLogIndex()), uint64(p.GetTreeSize()), leaf, p.GetHashes(), p.GetRootHash())
}
