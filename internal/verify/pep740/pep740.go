// Package pep740 verifies PEP 740 attestations and PyPI provenance objects for
// Python distribution files: it converts each attestation to a DSSE Sigstore
// bundle verified by sigstore-go, checks the in-toto statement (exactly one
// subject, named like the distribution file, with its sha256, and a known
// predicate type) and the Trusted Publisher identity (GitHub or GitLab).
package pep740

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/pep508"
)

// Predicate types PyPI accepts.
const (
	PredicatePublishV1 = "https://docs.pypi.org/attestations/publish/v1"
	PredicateSLSAV1    = "https://slsa.dev/provenance/v1"
)

// KnownPredicates are the predicate types a PEP 740 attestation may carry.
var KnownPredicates = map[string]bool{PredicatePublishV1: true, PredicateSLSAV1: true}

// Attestation is one PEP 740 attestation object.
type Attestation struct {
	Version              int                  `json:"version"`
	VerificationMaterial VerificationMaterial `json:"verification_material"`
	Envelope             Envelope             `json:"envelope"`
}

// VerificationMaterial is the signing certificate and log entries.
type VerificationMaterial struct {
	Certificate         string            `json:"certificate"` // base64 DER
	TransparencyEntries []json.RawMessage `json:"transparency_entries"`
}

// Envelope is the DSSE envelope, flattened: base64 statement and signature.
type Envelope struct {
	Statement string `json:"statement"`
	Signature string `json:"signature"`
}

// Publisher is the Trusted Publisher a provenance object names.
type Publisher struct {
	Kind        string  `json:"kind"`
	Repository  string  `json:"repository,omitempty"`
	Workflow    string  `json:"workflow,omitempty"`
	Environment *string `json:"environment,omitempty"`
	// GitLab names the workflow file "workflow_filepath".
	WorkflowFilepath string `json:"workflow_filepath,omitempty"`
}

// AttestationBundle is a publisher with the attestations it made.
type AttestationBundle struct {
	Publisher    Publisher     `json:"publisher"`
	Attestations []Attestation `json:"attestations"`
}

// Provenance is a PyPI provenance object (the integrity API's answer).
type Provenance struct {
	Version            int                 `json:"version"`
	AttestationBundles []AttestationBundle `json:"attestation_bundles"`
}

// ParseAttestation parses a PEP 740 attestation; name is used in errors.
func ParseAttestation(data []byte, name string) (*Attestation, error) {
	var a Attestation
	if err := decodeOne(data, &a); err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("attestation %s: not a PEP 740 attestation: %s", name, sigstore.Detail(err.Error()))}
	}
	if err := a.validate(); err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("attestation %s: %v", name, err), Kind: unsupportedKind(err)}
	}
	return &a, nil
}

// errUnsupportedVersion marks an attestation of a version pyvet does not
// verify.
var errUnsupportedVersion = errors.New("unsupported attestation version")

// unsupportedKind is the kind of a validate error: FailUnsupported for an
// unsupported version, FailInput otherwise.
func unsupportedKind(err error) sigstore.FailureKind {
	if errors.Is(err, errUnsupportedVersion) {
		return sigstore.FailUnsupported
	}
	return sigstore.FailInput
}

func (a *Attestation) validate() error {
	if a.Version != 1 {
		return fmt.Errorf("%w %d (supported: 1)", errUnsupportedVersion, a.Version)
	}
	if a.VerificationMaterial.Certificate == "" {
		return errors.New("verification_material.certificate is missing")
	}
	if a.Envelope.Statement == "" || a.Envelope.Signature == "" {
		return errors.New("envelope.statement or envelope.signature is missing")
	}
	return nil
}

// ParseProvenance parses a PyPI provenance object; name is used in errors.
func ParseProvenance(data []byte, name string) (*Provenance, error) {
	var p Provenance
	if err := decodeOne(data, &p); err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: not a PyPI provenance object: %s", name, sigstore.Detail(err.Error()))}
	}
	if p.Version != 1 {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: unsupported provenance version %d (supported: 1)", name, p.Version), Kind: sigstore.FailUnsupported}
	}
	if len(p.AttestationBundles) == 0 {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: no attestation bundles", name)}
	}
	for i := range p.AttestationBundles {
		ab := &p.AttestationBundles[i]
		if ab.Publisher.Kind == "" {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: attestation bundle %d has no publisher kind", name, i)}
		}
		for j := range ab.Attestations {
			if err := ab.Attestations[j].validate(); err != nil {
				return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: bundle %d attestation %d: %v", name, i, j, err), Kind: unsupportedKind(err)}
			}
		}
	}
	return &p, nil
}

func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// ToBundle converts the attestation to a Sigstore bundle v0.3 with a DSSE
// envelope (payload type application/vnd.in-toto+json), as PEP 740 defines.
func (a *Attestation) ToBundle(name string) (*sigstore.Bundle, error) {
	type rawBytes struct {
		RawBytes string `json:"rawBytes"`
	}
	type sig struct {
		Sig string `json:"sig"`
	}
	b := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{
			"certificate": rawBytes{RawBytes: a.VerificationMaterial.Certificate},
			"tlogEntries": a.VerificationMaterial.TransparencyEntries,
		},
		"dsseEnvelope": map[string]any{
			"payload":     a.Envelope.Statement,
			"payloadType": "application/vnd.in-toto+json",
			"signatures":  []sig{{Sig: a.Envelope.Signature}},
		},
	}
	if a.VerificationMaterial.TransparencyEntries == nil {
		b["verificationMaterial"].(map[string]any)["tlogEntries"] = []any{}
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return sigstore.ParseBundle(data, name)
}

// Statement is the part of an in-toto statement pyvet checks.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is one in-toto subject.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ParseStatement parses an in-toto statement.
func ParseStatement(data []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("statement is not in-toto JSON: %s", sigstore.Detail(err.Error()))
	}
	switch s.Type {
	case "https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1":
	default:
		return nil, fmt.Errorf("statement type %s is not an in-toto statement", safeio.Excerpt(s.Type))
	}
	return &s, nil
}

// Statement decodes the attestation's statement.
func (a *Attestation) Statement() (*Statement, error) {
	raw, err := base64.StdEncoding.DecodeString(a.Envelope.Statement)
	if err != nil {
		return nil, fmt.Errorf("statement is not base64: %s", sigstore.Detail(err.Error()))
	}
	return ParseStatement(raw)
}

// CheckStatement applies PEP 740's statement rules for the distribution file
// distName with the given sha256: exactly one subject, named like the file
// (wheel tag order aside), the same sha256, a known predicate type. A
// failed rule is a *sigstore.Failure of kind FailDigest (subjects) or
// FailPolicy (predicate type).
func CheckStatement(s *Statement, distName string, sum []byte) error {
	if len(s.Subject) != 1 {
		return &sigstore.Failure{Kind: sigstore.FailDigest, Reason: fmt.Sprintf("statement must have exactly one subject, has %d", len(s.Subject))}
	}
	sub := s.Subject[0]
	if !SameDistribution(sub.Name, distName) {
		return &sigstore.Failure{Kind: sigstore.FailDigest, Reason: fmt.Sprintf("subject does not match distribution name: attested %s, file %s", safeio.Excerpt(sub.Name), safeio.Excerpt(distName))}
	}
	want := hex.EncodeToString(sum)
	if got := strings.ToLower(sub.Digest["sha256"]); got != want {
		return &sigstore.Failure{Kind: sigstore.FailDigest, Reason: fmt.Sprintf("subject does not match distribution digest: attested sha256 %s, file sha256 %s", safeio.Excerpt(got), want)}
	}
	if !KnownPredicates[s.PredicateType] {
		return &sigstore.Failure{Kind: sigstore.FailPolicy, Reason: fmt.Sprintf("unknown predicate type %s", safeio.Excerpt(s.PredicateType))}
	}
	return nil
}

// Sha256 returns the sha256 of data.
func Sha256(data []byte) []byte {
	s := sha256.Sum256(data)
	return s[:]
}

// normName normalizes a project name as PEP 503 does, with "_" as separator
// (the spelling distribution file names use).
func normName(s string) string { return strings.ReplaceAll(pep508.NormalizeName(s), "-", "_") }

// distKey reduces a distribution file name to a comparable key: for wheels the
// normalized name, version, build tag and, per tag component (Python, ABI,
// platform), the sorted set of its compressed alternatives; for sdists the
// normalized name and version.
//
// Comparing the component sets is the same as comparing the sets of expanded
// tags, because a cartesian product of non-empty sets determines its
// factors, and it takes time linear in the name instead of the product of
// the component counts (100 x 100 x 100 alternatives would expand to a
// million tags).
func distKey(file string) (string, bool) {
	switch {
	case strings.HasSuffix(file, ".whl"):
		parts := strings.Split(strings.TrimSuffix(file, ".whl"), "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", false
		}
		build := ""
		if len(parts) == 6 {
			build = parts[2]
		}
		n := len(parts)
		return "whl|" + normName(parts[0]) + "|" + strings.ToLower(parts[1]) + "|" + build + "|" +
			tagSet(parts[n-3]) + "|" + tagSet(parts[n-2]) + "|" + tagSet(parts[n-1]), true
	case strings.HasSuffix(file, ".tar.gz"), strings.HasSuffix(file, ".zip"):
		ext := ".tar.gz"
		if strings.HasSuffix(file, ".zip") {
			ext = ".zip"
		}
		stem := strings.TrimSuffix(file, ext)
		i := strings.LastIndex(stem, "-")
		if i <= 0 {
			return "", false
		}
		return "sdist" + ext + "|" + normName(stem[:i]) + "|" + strings.ToLower(stem[i+1:]), true
	}
	return "", false
}

// tagSet returns the sorted, de-duplicated alternatives of one compressed
// wheel tag component ("py2.py3" -> "py2.py3", "py3.py2.py3" -> "py2.py3").
func tagSet(component string) string {
	alts := strings.Split(component, ".")
	sort.Strings(alts)
	return strings.Join(slices.Compact(alts), ".")
}

// SameDistribution reports whether two distribution file names name the same
// distribution: equal after normalizing the project name and, for wheels,
// comparing the set of compatibility tags rather than their order.
func SameDistribution(a, b string) bool {
	if a == b {
		return true
	}
	ka, ok1 := distKey(a)
	kb, ok2 := distKey(b)
	return ok1 && ok2 && ka == kb
}

// ProjectVersion extracts the project name and version from a distribution
// file name.
func ProjectVersion(file string) (name, version string, ok bool) {
	switch {
	case strings.HasSuffix(file, ".whl"):
		parts := strings.Split(strings.TrimSuffix(file, ".whl"), "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", "", false
		}
		return parts[0], parts[1], true
	case strings.HasSuffix(file, ".tar.gz"), strings.HasSuffix(file, ".zip"):
		stem := strings.TrimSuffix(strings.TrimSuffix(file, ".tar.gz"), ".zip")
		i := strings.LastIndex(stem, "-")
		if i <= 0 {
			return "", "", false
		}
		return stem[:i], stem[i+1:], true
	}
	return "", "", false
}
