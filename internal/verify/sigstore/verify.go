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
}

// Failure is a failed verification: Reason names what failed in words a user
// can act on; Err is sigstore-go's error.
type Failure struct {
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

// classify turns a sigstore-go error into a Failure whose reason names what
// failed.
func classify(err error) *Failure {
	msg := err.Error()
	low := strings.ToLower(msg)
	reason := "verification failed"
	has := func(subs ...string) bool {
		for _, x := range subs {
			if strings.Contains(low, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("missing verification material", "non-empty certificate"):
		reason = "missing certificate: the bundle carries no signing certificate"
	case has("artifact digest", "artifact does not match digest", "digests do not match"):
		reason = "digest mismatch: the signature does not cover this artifact"
	case has("certificate identity", "expected san", "expected issuer"):
		reason = "wrong identity: the signing certificate does not match the expected identity"
	case has("exactly one signature"):
		reason = "bad signature: a DSSE envelope must carry exactly one signature"
	case has("failed to verify signature", "invalid signature", "could not verify envelope", "could not verify message"):
		reason = "bad signature: the signature does not verify for this artifact"
	case has("inconsistent") || has("transparency log") && has("does not match"):
		reason = "transparency log entry does not match the bundle"
	case has("threshold not met for verified signed", "sources of verified time", "signed timestamp"):
		reason = "no trusted time: signed timestamps or log integration time missing, untrusted or invalid"
	case has("verified log entries", "tlog", "inclusion", "checkpoint", "log entr"):
		reason = "missing or unverifiable transparency log entry"
	case has("signed certificate timestamp", "sct"):
		reason = "missing or invalid signed certificate timestamp (certificate transparency)"
	case has("leaf certificate", "unknown authority", "chain", "certificate authority"):
		reason = "untrusted root: the signing certificate does not chain to a Fulcio CA of the trusted root valid at signing time"
	}
	return &Failure{Reason: reason, Err: err}
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
		return nil, &Failure{Reason: "bundle is signed with a public key, not a Sigstore certificate: no identity to check"}
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
		return nil, &Failure{Reason: "missing transparency log entry: the bundle has no log entry, so the signing cannot be shown to be public"}
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
			return &Failure{Reason: "duplicate signed timestamps: the bundle repeats an RFC 3161 timestamp"}
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
	return &Failure{Reason: fmt.Sprintf("untrusted root: the bundle's transparency log (key id %s) is not in the %s; it was signed with another Sigstore instance", Detail(strings.Join(ids, ", ")), r.Source)}
}
