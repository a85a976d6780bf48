package verify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

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
		return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: not JSON: %v", name, err)}
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
			return nil, &sigstore.InputError{Err: fmt.Errorf("provenance %s: DSSE payload is not base64: %v", name, err)}
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
		return facts, &sigstore.Failure{Reason: fmt.Sprintf("predicate type %q is not one of %s", st.PredicateType, strings.Join(types, ", "))}
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
		var names []string
		for _, s := range st.Subject {
			names = append(names, s.Name)
		}
		return facts, &sigstore.Failure{Reason: fmt.Sprintf("digest mismatch: no subject of the statement (%s) has the artifact's digest", strings.Join(names, ", "))}
	}
	if pol.BuilderID != "" {
		b := facts.BuilderID
		ok := b == pol.BuilderID || (strings.HasSuffix(pol.BuilderID, "@") || strings.HasSuffix(pol.BuilderID, "/")) && strings.HasPrefix(b, pol.BuilderID)
		if !ok {
			return facts, &sigstore.Failure{Reason: fmt.Sprintf("wrong builder: statement names builder %q, policy requires %q", b, pol.BuilderID)}
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
			return facts, &sigstore.Failure{Reason: fmt.Sprintf("wrong source repository: statement names %v, policy requires %s", facts.Sources, pol.SourceRepository)}
		}
	}
	return facts, nil
}
