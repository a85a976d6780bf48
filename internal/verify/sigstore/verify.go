package sigstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	in_toto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Identity is a signer identity policy: the certificate's subject alternative
// name and OIDC issuer, each matched exactly or by a regular expression, plus
// optional Fulcio extensions that must match exactly.
type Identity struct {
	SAN          string
	SANRegexp    string
	Issuer       string
	IssuerRegexp string
	Extensions   certificate.Extensions
}

// String describes the identity for messages.
func (id Identity) String() string {
	san := id.SAN
	if san == "" {
		san = "~" + id.SANRegexp
	}
	iss := id.Issuer
	if iss == "" {
		iss = "~" + id.IssuerRegexp
	}
	return san + " (issuer " + iss + ")"
}

func (id Identity) build() (sgverify.CertificateIdentity, error) {
	if id.SAN == "" && id.SANRegexp == "" {
		return sgverify.CertificateIdentity{}, errors.New("identity policy needs a certificate identity (SAN) or an identity regexp")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return sgverify.CertificateIdentity{}, errors.New("identity policy needs an OIDC issuer or an issuer regexp")
	}
	san, err := sgverify.NewSANMatcher(id.SAN, id.SANRegexp)
	if err != nil {
		return sgverify.CertificateIdentity{}, err
	}
	iss, err := sgverify.NewIssuerMatcher(id.Issuer, id.IssuerRegexp)
	if err != nil {
		return sgverify.CertificateIdentity{}, err
	}
	return sgverify.NewCertificateIdentity(san, iss, id.Extensions)
}

// Artifact is what the signature must cover: the artifact's bytes, or its
// digest, or nothing (a DSSE envelope whose statement the caller checks).
type Artifact struct {
	Reader    io.Reader
	DigestAlg string // "sha256", "sha384", "sha512"
	Digest    []byte
	// EnvelopeOnly verifies a DSSE envelope's signature without tying it to an
	// artifact; the caller must check the statement itself.
	EnvelopeOnly bool
}

// Result is a successful verification. Status says what it established:
// StatusVerified when the signature covers the artifact (its bytes or digest),
// StatusNotVerified for an envelope checked without an artifact.
type Result struct {
	Status        Status `json:"status"`
	BundleVersion string `json:"bundle_version"`
	// SAN and Issuer are the signer identity from the verified certificate.
	SAN    string `json:"identity"`
	Issuer string `json:"issuer"`
	// Certificate holds every Fulcio extension of the signing certificate.
	Certificate *certificate.Summary `json:"certificate,omitempty"`
	// SignedAt is the earliest verified time (log integration or timestamp).
	SignedAt time.Time `json:"signed_at"`
	// Evidence lists, in words, what was verified.
	Evidence []string `json:"evidence"`
	// Statement is the in-toto statement of a DSSE bundle, nil otherwise.
	Statement *in_toto.Statement `json:"-"`
	// RootSource says which trusted root was used.
	RootSource string `json:"trusted_root"`
	// LogIndexes are the transparency log indexes of the bundle's entries.
	LogIndexes []int64 `json:"log_indexes,omitempty"`
}

// Failure is a failed verification: Kind says as data what failed, Reason
// names it in words a user can act on; Err is sigstore-go's error.
type Failure struct {
	Kind   FailureKind
	Reason string
	Err    error
}

// Error returns the reason and sigstore-go's detail.
func (f *Failure) Error() string {
	if f.Err == nil {
		return f.Reason
	}
	return f.Reason + ": " + detail(f.Err)
}

// Unwrap returns sigstore-go's error.
func (f *Failure) Unwrap() error { return f.Err }

// failf returns a Failure of the kind with a formatted reason.
func failf(kind FailureKind, format string, args ...any) *Failure {
	return &Failure{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// KindOf returns the failure kind of an error of the verify packages: nil is
// FailNone, an error wrapping an InputError FailInput (or the kind it names),
// a Failure its kind (FailSignature when it names none), a cancelled or timed-out context and any other error (a network
// failure, say) FailUnchecked: nothing was established either way.
func KindOf(err error) FailureKind {
	if err == nil {
		return FailNone
	}
	var f *Failure
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		if ie.Kind == FailNone {
			return FailInput
		}
		return ie.Kind
	case errors.As(err, &f):
		if f.Kind == FailNone {
			return FailSignature
		}
		return f.Kind
	}
	return FailUnchecked
}

// classify turns a sigstore-go error into a Failure whose kind and reason
// say what failed. sigstore-go v1 reports most failures as wrapped strings,
// so this is the one place that reads its error messages; its typed errors
// are matched first.
func classify(err error) *Failure {
	var noID *sgverify.ErrNoMatchingCertificateIdentity
	var mismatch *sgverify.ErrValueMismatch
	var reMismatch *sgverify.ErrValueRegexMismatch
	switch {
	case errors.As(err, &noID), errors.As(err, &mismatch), errors.As(err, &reMismatch):
		return &Failure{Kind: FailIdentity, Reason: "wrong identity: the signing certificate does not match the expected identity", Err: err}
	case errors.Is(err, sgverify.ErrDSSEInvalidSignatureCount):
		return &Failure{Kind: FailSignature, Reason: "bad signature: a DSSE envelope must carry exactly one signature", Err: err}
	}
	low := strings.ToLower(err.Error())
	has := func(subs ...string) bool {
		for _, x := range subs {
			if strings.Contains(low, x) {
				return true
			}
		}
		return false
	}
	kind, reason := FailSignature, "verification failed"
	switch {
	case has("missing verification material", "non-empty certificate"):
		kind, reason = FailSignature, "missing certificate: the bundle carries no signing certificate"
	case has("artifact digest", "artifact does not match digest", "digests do not match"):
		kind, reason = FailDigest, "digest mismatch: the signature does not cover this artifact"
	case has("certificate identity", "expected san", "expected issuer"):
		kind, reason = FailIdentity, "wrong identity: the signing certificate does not match the expected identity"
	case has("exactly one signature"):
		kind, reason = FailSignature, "bad signature: a DSSE envelope must carry exactly one signature"
	case has("failed to verify signature", "invalid signature", "could not verify envelope", "could not verify message"):
		kind, reason = FailSignature, "bad signature: the signature does not verify for this artifact"
	case has("inconsistent") || has("transparency log") && has("does not match"):
		kind, reason = FailTransparencyLog, "transparency log entry does not match the bundle"
	case has("threshold not met for verified signed", "sources of verified time", "signed timestamp"):
		kind, reason = FailTimestamp, "no trusted time: signed timestamps or log integration time missing, untrusted or invalid"
	case has("verified log entries", "tlog", "inclusion", "checkpoint", "log entr"):
		kind, reason = FailTransparencyLog, "missing or unverifiable transparency log entry"
	case has("signed certificate timestamp", "sct"):
		kind, reason = FailTransparencyLog, "missing or invalid signed certificate timestamp (certificate transparency)"
	case has("leaf certificate", "unknown authority", "chain", "certificate authority"):
		kind, reason = FailUntrustedRoot, "untrusted root: the signing certificate does not chain to a Fulcio CA of the trusted root valid at signing time"
	}
	return &Failure{Kind: kind, Reason: reason, Err: err}
}

// Verify verifies the bundle against the trusted root, the artifact and the
// identity policies (any one identity may match). It returns a Failure when
// verification fails and an InputError when the request cannot be carried out.
func Verify(b *Bundle, r *Root, art Artifact, ids []Identity) (*Result, error) {
	if b == nil || r == nil || r.Material == nil {
		return nil, inputErrorf("verify: bundle and trusted root are required")
	}
	if len(ids) == 0 {
		return nil, inputErrorf("verify: no identity policy given (a certificate identity and OIDC issuer are required)")
	}
	var certIDs []sgverify.CertificateIdentity
	for _, id := range ids {
		ci, err := id.build()
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("identity policy: %s", detail(err))}
		}
		certIDs = append(certIDs, ci)
	}
	if b.VerificationMaterial.GetPublicKey() != nil {
		return nil, &Failure{Kind: FailIdentity, Reason: "bundle is signed with a public key, not a Sigstore certificate: no identity to check"}
	}
	if err := knownLog(b, r); err != nil {
		return nil, err
	}
	if err := duplicateTimestamps(b); err != nil {
		return nil, err
	}
	if err := checkTimestampTokens(b); err != nil {
		return nil, err
	}
	vopts := []sgverify.VerifierOption{
		sgverify.WithSignedCertificateTimestamps(1),
		sgverify.WithObserverTimestamps(1),
	}
	entries, _ := b.TlogEntries()
	if len(entries) > 0 {
		vopts = append(vopts, sgverify.WithTransparencyLog(1))
	} else {
		return nil, &Failure{Kind: FailTransparencyLog, Reason: "missing transparency log entry: the bundle has no log entry, so the signing cannot be shown to be public"}
	}
	v, err := sgverify.NewVerifier(r.Material, vopts...)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("verifier: %w", err)}
	}
	var ap sgverify.ArtifactPolicyOption
	switch {
	case art.Reader != nil:
		ap = sgverify.WithArtifact(art.Reader)
	case len(art.Digest) > 0:
		alg := art.DigestAlg
		if alg == "" {
			alg = "sha256"
		}
		ap = sgverify.WithArtifactDigest(alg, art.Digest)
	case art.EnvelopeOnly:
		if b.GetDsseEnvelope() == nil {
			return nil, inputErrorf("verify: a message-signature bundle must be checked against an artifact or digest")
		}
		ap = sgverify.WithoutArtifactUnsafe()
	default:
		return nil, inputErrorf("verify: no artifact or digest given")
	}
	var popts []sgverify.PolicyOption
	for _, ci := range certIDs {
		popts = append(popts, sgverify.WithCertificateIdentity(ci))
	}
	res, err := v.Verify(b.Bundle, sgverify.NewPolicy(ap, popts...))
	if err != nil {
		return nil, classify(err)
	}
	out := &Result{Status: StatusVerified, BundleVersion: b.FormatVersion, Statement: res.Statement, RootSource: r.Source}
	if art.Reader == nil && len(art.Digest) == 0 {
		// The envelope's signature holds, but no artifact was checked against
		// its statement: that is not evidence for any artifact yet.
		out.Status = StatusNotVerified
	}
	if res.Signature != nil && res.Signature.Certificate != nil {
		out.Certificate = res.Signature.Certificate
		out.SAN = res.Signature.Certificate.SubjectAlternativeName
		out.Issuer = res.Signature.Certificate.Issuer
	}
	out.Evidence = evidence(b, res, r, art)
	if entries, err := b.TlogEntries(); err == nil {
		for _, e := range entries {
			out.LogIndexes = append(out.LogIndexes, e.LogIndex())
		}
	}
	for _, ts := range res.VerifiedTimestamps {
		if out.SignedAt.IsZero() || ts.Timestamp.Before(out.SignedAt) {
			out.SignedAt = ts.Timestamp
		}
	}
	return out, nil
}

// evidence describes in words what sigstore-go verified.
func evidence(b *Bundle, res *sgverify.VerificationResult, r *Root, art Artifact) []string {
	var ev []string
	ev = append(ev, "certificate chains to a Fulcio CA of the "+r.Source)
	ev = append(ev, "certificate transparency: signed certificate timestamp verified")
	entries, _ := b.TlogEntries()
	for _, e := range entries {
		switch {
		case e.HasInclusionProof():
			ev = append(ev, fmt.Sprintf("transparency log entry %d: inclusion proof verified against a checkpoint signed by the log", e.LogIndex()))
		case e.HasInclusionPromise():
			ev = append(ev, fmt.Sprintf("transparency log entry %d: signed entry timestamp (inclusion promise) verified with the log's public key from the trusted root", e.LogIndex()))
		}
	}
	ev = append(ev, b.Notes...)
	var times []string
	for _, ts := range res.VerifiedTimestamps {
		src := ts.Type
		if ts.URI != "" {
			src += " " + ts.URI
		}
		times = append(times, fmt.Sprintf("%s at %s", src, ts.Timestamp.UTC().Format(time.RFC3339)))
	}
	sort.Strings(times)
	if len(times) > 0 {
		ev = append(ev, "verified signing time: "+strings.Join(times, "; "))
	}
	switch {
	case art.Reader != nil:
		ev = append(ev, "signature covers the artifact's bytes")
	case len(art.Digest) > 0:
		ev = append(ev, fmt.Sprintf("signature covers the artifact digest %s:%x", orDefault(art.DigestAlg, "sha256"), art.Digest))
	case art.EnvelopeOnly:
		ev = append(ev, "DSSE envelope signature verified (statement subjects checked separately)")
	}
	if res.VerifiedIdentity != nil {
		ev = append(ev, "signer identity matches the policy")
	}
	return ev
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// duplicateTimestamps rejects bundles that repeat an RFC 3161 timestamp: a
// repeated timestamp could be counted twice towards a threshold.
func duplicateTimestamps(b *Bundle) error {
	seen := map[string]bool{}
	for _, ts := range b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
		k := string(ts.GetSignedTimestamp())
		if seen[k] {
			return &Failure{Kind: FailTimestamp, Reason: "duplicate signed timestamps: the bundle repeats an RFC 3161 timestamp"}
		}
		seen[k] = true
	}
	return nil
}

// knownLog fails when none of the bundle's log entries was made by a
// transparency log of the trusted root: the bundle comes from another Sigstore
// instance (e.g. staging) or a private one.
func knownLog(b *Bundle, r *Root) error {
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil
	}
	logs := r.Material.RekorLogs()
	var ids []string
	for _, e := range entries {
		id := hex.EncodeToString(e.GetLogId().GetKeyId())
		if _, ok := logs[id]; ok {
			return nil
		}
		ids = append(ids, id)
	}
	return failf(FailUntrustedRoot, "untrusted root: the bundle's transparency log (key id %s) is not in the %s; it was signed with another Sigstore instance", Detail(strings.Join(ids, ", ")), r.Source)
}
