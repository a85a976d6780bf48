package verify

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// SLSA provenance predicate types.
const (
	PredicateSLSAV02 = "https://slsa.dev/provenance/v0.2"
	PredicateSLSAV1  = "https://slsa.dev/provenance/v1"
)

// ProvenancePolicy is what an in-toto / SLSA statement must say.
type ProvenancePolicy struct {
	// PredicateTypes allowed; empty means SLSA v0.2 and v1 and PyPI publish/v1.
	PredicateTypes []string
	// BuilderID, when set, must equal the builder id (exactly, or as a prefix
	// ending in "@" or "/").
	BuilderID string
	// SourceRepository, when set (e.g. "https://github.com/o/r" or "o/r"),
	// must be the repository the build ran from.
	SourceRepository string
}

// ProvenanceInput is a provenance file after decoding: a Sigstore bundle with
// a DSSE envelope, a bare DSSE envelope, or a bare statement.
type ProvenanceInput struct {
	Kind      string // "sigstore-bundle", "dsse-envelope", "statement"
	Statement *pep740.Statement
	Bundle    *sigstore.Bundle // for Kind "sigstore-bundle"
}

// ParseProvenanceFile decodes a provenance file; name is used in errors.
func ParseProvenanceFile(data []byte, name string) (*ProvenanceInput, error) {
	var probe struct {
		MediaType   string          `json:"mediaType"`
		PayloadType string          `json:"payloadType"`
		Payload     string          `json:"payload"`
		Type        string          `json:"_type"`
		Dsse        json.RawMessage `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: not JSON: %s", name, sigstore.Detail(err.Error()))}
	}
	switch {
	case probe.MediaType != "":
		b, err := sigstore.ParseBundle(data, name)
		if err != nil {
			return nil, err
		}
		env := b.GetDsseEnvelope()
		if env == nil {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: bundle holds a message signature, not a DSSE statement", name)}
		}
		st, err := pep740.ParseStatement(env.GetPayload())
		if err != nil {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: %v", name, err)}
		}
		return &ProvenanceInput{Kind: "sigstore-bundle", Statement: st, Bundle: b}, nil
	case probe.PayloadType != "":
		raw, err := base64.StdEncoding.DecodeString(probe.Payload)
		if err != nil {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: DSSE payload is not base64: %s", name, sigstore.Detail(err.Error()))}
		}
		st, err := pep740.ParseStatement(raw)
		if err != nil {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: %v", name, err)}
		}
		return &ProvenanceInput{Kind: "dsse-envelope", Statement: st}, nil
	case probe.Type != "":
		st, err := pep740.ParseStatement(data)
		if err != nil {
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: %v", name, err)}
		}
		return &ProvenanceInput{Kind: "statement", Statement: st}, nil
	}
	return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: neither a Sigstore bundle, a DSSE envelope nor an in-toto statement", name)}
}

// slsaPredicate holds the fields of SLSA v0.2 and v1 predicates pyvet reads.
type slsaPredicate struct {
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"` // v0.2
	Invocation struct {
		ConfigSource struct {
			URI string `json:"uri"`
		} `json:"configSource"`
	} `json:"invocation"` // v0.2
	Materials []struct {
		URI string `json:"uri"`
	} `json:"materials"` // v0.2
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"` // v1
	BuildDefinition struct {
		ExternalParameters struct {
			Workflow struct {
				Repository string `json:"repository"`
			} `json:"workflow"`
		} `json:"externalParameters"`
		ResolvedDependencies []struct {
			URI string `json:"uri"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"` // v1
}

// ProvenanceFacts are what a statement says about the build.
type ProvenanceFacts struct {
	PredicateType string
	BuilderID     string
	Sources       []string
}

// Facts extracts the builder id and source repositories of a statement.
func Facts(st *pep740.Statement) ProvenanceFacts {
	f := ProvenanceFacts{PredicateType: st.PredicateType}
	var p slsaPredicate
	if len(st.Predicate) > 0 && json.Unmarshal(st.Predicate, &p) == nil {
		f.BuilderID = p.RunDetails.Builder.ID
		if f.BuilderID == "" {
			f.BuilderID = p.Builder.ID
		}
		add := func(s string) {
			if s != "" {
				f.Sources = append(f.Sources, s)
			}
		}
		add(p.BuildDefinition.ExternalParameters.Workflow.Repository)
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			add(d.URI)
		}
		add(p.Invocation.ConfigSource.URI)
		for _, m := range p.Materials {
			add(m.URI)
		}
	}
	return f
}

// normRepo reduces a repository reference (git+https://github.com/o/r@ref,
// https://github.com/o/r.git, o/r) to "host/o/r" in lower case.
func normRepo(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "git+")
	for _, p := range []string{"https://", "http://", "ssh://git@", "git@"} {
		s = strings.TrimPrefix(s, p)
	}
	if i := strings.IndexAny(s, "@#?"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	s = strings.Replace(s, ":", "/", 1)
	if strings.Count(s, "/") == 1 {
		s = "github.com/" + s
	}
	return s
}

// CheckProvenance checks a statement against an artifact (its file name and
// sha256 / sha512 hex digests; name may be "" to skip the name check) and the
// policy. It returns the facts it established.
func CheckProvenance(st *pep740.Statement, artifactName string, digests map[string]string, pol ProvenancePolicy) (ProvenanceFacts, error) {
	facts := Facts(st)
	types := pol.PredicateTypes
	if len(types) == 0 {
		types = []string{PredicateSLSAV02, PredicateSLSAV1, pep740.PredicatePublishV1}
	}
	okType := false
	for _, t := range types {
		if st.PredicateType == t {
			okType = true
		}
	}
	if !okType {
		return facts, &sigstore.Failure{Kind: sigstore.FailPolicy, Reason: fmt.Sprintf("predicate type %s is not one of %s", safeio.Excerpt(st.PredicateType), strings.Join(types, ", "))}
	}
	matched := false
	for _, s := range st.Subject {
		for alg, want := range digests {
			if got, ok := s.Digest[alg]; ok && strings.EqualFold(got, want) {
				if artifactName == "" || s.Name == "" || pep740.SameDistribution(s.Name, artifactName) || s.Name == artifactName {
					matched = true
				}
			}
		}
	}
	if !matched {
		return facts, &sigstore.Failure{Kind: sigstore.FailDigest, Reason: fmt.Sprintf("digest mismatch: no subject of the statement (%s) has the artifact's digest", subjectNames(st.Subject))}
	}
	if pol.BuilderID != "" {
		b := facts.BuilderID
		ok := b == pol.BuilderID || (strings.HasSuffix(pol.BuilderID, "@") || strings.HasSuffix(pol.BuilderID, "/")) && strings.HasPrefix(b, pol.BuilderID)
		if !ok {
			return facts, &sigstore.Failure{Kind: sigstore.FailPolicy, Reason: fmt.Sprintf("wrong builder: statement names builder %s, policy requires %s", safeio.Excerpt(b), safeio.Excerpt(pol.BuilderID))}
		}
	}
	if pol.SourceRepository != "" {
		want := normRepo(pol.SourceRepository)
		ok := false
		for _, s := range facts.Sources {
			if normRepo(s) == want {
				ok = true
			}
		}
		if !ok {
			return facts, &sigstore.Failure{Kind: sigstore.FailPolicy, Reason: fmt.Sprintf("wrong source repository: statement names %s, policy requires %s", excerptList(facts.Sources), safeio.Excerpt(pol.SourceRepository))}
		}
	}
	return facts, nil
}

// maxListed bounds how many names of input a message lists.
const maxListed = 5

// subjectNames lists the statement's subject names for a message: at most
// maxListed, each an escaped excerpt.
func subjectNames(subs []pep740.Subject) string {
	names := make([]string, 0, min(len(subs), maxListed))
	for _, s := range subs[:min(len(subs), maxListed)] {
		names = append(names, s.Name)
	}
	out := excerptList(names)
	if len(subs) > maxListed {
		out += fmt.Sprintf(" and %d more", len(subs)-maxListed)
	}
	return out
}

// excerptList joins escaped excerpts of at most maxListed strings.
func excerptList(ss []string) string {
	var parts []string
	for i, s := range ss {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("%d more", len(ss)-maxListed))
			break
		}
		parts = append(parts, safeio.Excerpt(s))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// ProvenanceOptions say how VerifyProvenance checks a provenance file.
type ProvenanceOptions struct {
	// Policy is what the statement must say.
	Policy ProvenancePolicy
	// Root and Identities verify the signature of a Sigstore bundle; a bundle
	// cannot be verified without both.
	Root       *sigstore.Root
	Identities []sigstore.Identity
	// SubjectsOnly lets a statement that carries no verifiable signature (a
	// bare statement, or a DSSE envelope without Sigstore verification
	// material) be checked for its subjects and the policy only. The result
	// is then sigstore.StatusNotVerified: never evidence of who wrote it.
	SubjectsOnly bool
}

// ProvenanceResult is the outcome of VerifyProvenance. Status is
// sigstore.StatusVerified only when a Sigstore signature over the statement
// verified against the trusted root and the identity policy, the statement
// covers the artifact and the policy holds.
type ProvenanceResult struct {
	Status   sigstore.Status  `json:"status"`
	Kind     string           `json:"kind"`
	Facts    ProvenanceFacts  `json:"facts"`
	Sigstore *sigstore.Result `json:"sigstore,omitempty"`
	// Note says, for a result that is not verified, what was not checked.
	Note string `json:"note,omitempty"`
}

// UnsignedNote is the note of a subjects-only result.
const UnsignedNote = "subjects only: the statement's subjects and predicate were compared with the artifact, but no signature was verified, so nothing shows who wrote the statement"

// VerifyProvenance verifies a decoded provenance file for an artifact (its
// file name, "" to skip the name check, and its hex digests by algorithm,
// "sha256" and/or "sha512"). A Sigstore bundle is verified with sigstore-go
// against o.Root and o.Identities, for the artifact's digest, and then its
// statement is checked against the policy. A statement without a verifiable
// signature is a Failure ("not verified"), unless o.SubjectsOnly asks for the
// subjects check alone, whose result is StatusNotVerified.
func VerifyProvenance(in *ProvenanceInput, artifactName string, digests map[string]string, o ProvenanceOptions) (*ProvenanceResult, error) {
	if in == nil || in.Statement == nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance: no statement")}
	}
	out := &ProvenanceResult{Status: sigstore.StatusFailed, Kind: in.Kind, Facts: Facts(in.Statement)}
	if in.Kind != "sigstore-bundle" {
		if !o.SubjectsOnly {
			what := "a bare in-toto statement: it carries no signature"
			if in.Kind == "dsse-envelope" {
				what = "a DSSE envelope without Sigstore verification material (certificate, transparency log entry): its signature cannot be verified against the trusted root"
			}
			return nil, &sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: "not verified: the provenance is " + what + "; a statement whose signature was not verified against the trusted root and an identity policy is not evidence"}
		}
		facts, err := CheckProvenance(in.Statement, artifactName, digests, o.Policy)
		if err != nil {
			return nil, err
		}
		out.Facts, out.Status, out.Note = facts, sigstore.StatusNotVerified, UnsignedNote
		return out, nil
	}
	if in.Bundle == nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance: Sigstore bundle missing")}
	}
	if o.Root == nil || len(o.Identities) == 0 {
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: a Sigstore bundle is verified against a trusted root and an identity policy (certificate identity and OIDC issuer)", in.Bundle.Name)}
	}
	alg, sum := subjectDigest(in.Statement, digests)
	if alg == "" {
		// No subject uses an algorithm of the artifact's digests: the
		// statement cannot cover it.
		_, err := CheckProvenance(in.Statement, artifactName, digests, o.Policy)
		if err == nil {
			err = &sigstore.Failure{Kind: sigstore.FailDigest, Reason: "digest mismatch: no subject of the statement has the artifact's digest"}
		}
		return nil, err
	}
	sres, err := sigstore.Verify(in.Bundle, o.Root, sigstore.Artifact{DigestAlg: alg, Digest: sum}, o.Identities)
	if err != nil {
		return nil, err
	}
	if !sres.Status.Verified() {
		return nil, &sigstore.Failure{Kind: sigstore.FailSignature, Reason: "the bundle's signature was not verified for the artifact"}
	}
	facts, err := CheckProvenance(in.Statement, artifactName, digests, o.Policy)
	if err != nil {
		return nil, err
	}
	out.Facts, out.Sigstore, out.Status = facts, sres, sigstore.StatusVerified
	return out, nil
}

// subjectDigest picks the artifact digest to verify the bundle with: the
// first of sha256, sha512 that the artifact has and a subject of the
// statement uses.
func subjectDigest(st *pep740.Statement, digests map[string]string) (string, []byte) {
	for _, alg := range []string{"sha256", "sha512"} {
		hx, ok := digests[alg]
		if !ok {
			continue
		}
		for _, s := range st.Subject {
			if _, ok := s.Digest[alg]; ok {
				if sum, err := hex.DecodeString(hx); err == nil {
					return alg, sum
				}
			}
		}
	}
	return "", nil
}
