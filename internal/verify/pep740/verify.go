package pep740

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// OIDC issuers of the Trusted Publishers pyvet knows.
const (
	IssuerGitHub = "https://token.actions.githubusercontent.com"
	IssuerGitLab = "https://gitlab.com"
)

// Policy is a Trusted Publisher the attestation must come from.
type Policy struct {
	Kind       string // "github" or "gitlab"
	Repository string // OWNER/REPO (GitLab: NAMESPACE/PROJECT)
	Workflow   string // optional workflow file name (GitLab: file path, e.g. .gitlab-ci.yml)
}

// String describes the policy; names taken from input are cut to an
// excerpt when long.
func (p Policy) String() string {
	s := p.Kind + " " + short(p.Repository)
	if p.Workflow != "" {
		s += " workflow " + short(p.Workflow)
	}
	return s
}

// short returns s, or an escaped excerpt of it when s is long or holds
// characters that do not belong in a message.
func short(s string) string {
	if len(s) <= safeio.ExcerptLen && strconv.CanBackquote(s) {
		return s
	}
	return safeio.Excerpt(s)
}

// ParseRepository turns "OWNER/REPO", "https://github.com/OWNER/REPO" or
// "https://gitlab.com/NS/PROJECT" into a Policy (GitHub unless the URL says
// GitLab or kind is "gitlab").
func ParseRepository(repo, kind, workflow string) (Policy, error) {
	r := strings.TrimSuffix(strings.TrimSpace(repo), "/")
	r = strings.TrimSuffix(r, ".git")
	k := strings.ToLower(kind)
	switch {
	case strings.HasPrefix(r, "https://github.com/"):
		r, k = strings.TrimPrefix(r, "https://github.com/"), "github"
	case strings.HasPrefix(r, "https://gitlab.com/"):
		r, k = strings.TrimPrefix(r, "https://gitlab.com/"), "gitlab"
	}
	if k == "" {
		k = "github"
	}
	if k != "github" && k != "gitlab" {
		return Policy{}, fmt.Errorf("unsupported Trusted Publisher kind %s (github or gitlab)", safeio.Excerpt(kind))
	}
	parts := strings.Split(r, "/")
	if len(parts) < 2 || (k == "github" && len(parts) != 2) {
		return Policy{}, fmt.Errorf("repository %s is not OWNER/REPO", safeio.Excerpt(repo))
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " @\t") {
			return Policy{}, fmt.Errorf("repository %s is not OWNER/REPO", safeio.Excerpt(repo))
		}
	}
	return Policy{Kind: k, Repository: r, Workflow: strings.TrimSpace(workflow)}, nil
}

// PolicyFromPublisher builds the policy a provenance object's publisher
// claims, for checking it against the certificate.
func PolicyFromPublisher(p Publisher) (Policy, error) {
	wf := p.Workflow
	if wf == "" {
		wf = p.WorkflowFilepath
	}
	return ParseRepository(p.Repository, p.Kind, wf)
}

// Identity is the certificate identity the policy requires.
func (p Policy) Identity() sigstore.Identity {
	repo := regexp.QuoteMeta(p.Repository)
	switch p.Kind {
	case "gitlab":
		wf := `.+`
		if p.Workflow != "" {
			wf = regexp.QuoteMeta(strings.TrimPrefix(p.Workflow, "/"))
		}
		return sigstore.Identity{SANRegexp: `(?i)^https://gitlab\.com/` + repo + `//` + wf + `@`, Issuer: IssuerGitLab}
	default:
		wf := `[^/@]+`
		if p.Workflow != "" {
			wf = regexp.QuoteMeta(p.Workflow)
		}
		return sigstore.Identity{SANRegexp: `(?i)^https://github\.com/` + repo + `/\.github/workflows/` + wf + `@`, Issuer: IssuerGitHub}
	}
}

// checkCertificate applies the checks the SAN cannot carry: the source
// repository extension, when the certificate has it, must be the policy's.
func (p Policy) checkCertificate(res *sigstore.Result) error {
	if res.Certificate == nil {
		return nil
	}
	src := res.Certificate.SourceRepositoryURI
	if src == "" {
		return nil
	}
	host := "https://github.com/"
	if p.Kind == "gitlab" {
		host = "https://gitlab.com/"
	}
	if !strings.EqualFold(src, host+p.Repository) {
		return &sigstore.Failure{Kind: sigstore.FailIdentity, Reason: fmt.Sprintf("wrong identity: certificate source repository %s is not %s%s", short(src), host, short(p.Repository))}
	}
	return nil
}

// Result is one verified attestation. Status is sigstore.StatusVerified
// only when the attestation's signature verified for the file's digest and
// the publisher's identity.
type Result struct {
	Status        sigstore.Status `json:"status"`
	File          string          `json:"file"`
	PredicateType string          `json:"predicate_type"`
	SAN           string          `json:"identity"`
	Issuer        string          `json:"issuer"`
	// Publisher describes who published, e.g. "GitHub trailofbits/pypi-attestations (workflow release.yml)".
	Publisher string `json:"publisher"`
	// PublisherRequired is false when no publisher was asked for and the one
	// the provenance object names was checked against the certificate.
	PublisherRequired bool             `json:"publisher_required"`
	Sigstore          *sigstore.Result `json:"sigstore"`
}

// Verify verifies one attestation for the distribution file distName with
// sha256 sum. Exactly one of policy and ids should be set: policy for a
// Trusted Publisher, ids for explicit certificate identities.
func Verify(a *Attestation, distName string, sum []byte, root *sigstore.Root, policy *Policy, ids []sigstore.Identity) (*Result, error) {
	st, err := a.Statement()
	if err != nil {
		return nil, &sigstore.Failure{Kind: sigstore.FailSignature, Reason: "invalid attestation statement", Err: err}
	}
	if err := CheckStatement(st, distName, sum); err != nil {
		return nil, err
	}
	b, err := a.ToBundle(distName + " attestation")
	if err != nil {
		return nil, err
	}
	if policy != nil {
		ids = []sigstore.Identity{policy.Identity()}
	}
	res, err := sigstore.Verify(b, root, sigstore.Artifact{DigestAlg: "sha256", Digest: sum}, ids)
	if err != nil {
		return nil, err
	}
	if policy != nil {
		if err := policy.checkCertificate(res); err != nil {
			return nil, err
		}
	}
	if !res.Status.Verified() {
		return nil, &sigstore.Failure{Kind: sigstore.FailSignature, Reason: "attestation not verified for " + short(distName)}
	}
	out := &Result{Status: res.Status, File: distName, PredicateType: st.PredicateType, SAN: res.SAN, Issuer: res.Issuer, Sigstore: res, PublisherRequired: true}
	out.Publisher = describe(res, policy)
	return out, nil
}

func describe(res *sigstore.Result, policy *Policy) string {
	if policy == nil {
		return res.SAN + " (issuer " + res.Issuer + ")"
	}
	kind := "GitHub"
	if policy.Kind == "gitlab" {
		kind = "GitLab"
	}
	s := kind + " " + policy.Repository
	if policy.Workflow != "" {
		s += " (workflow " + policy.Workflow + ")"
	}
	return s + ", signed by " + res.SAN
}

// VerifyProvenance verifies every attestation of a provenance object for the
// distribution. With a nil expect, each bundle's own publisher is the policy;
// otherwise the publisher must be the expected one. Every attestation must
// verify, and at least one must be there.
func VerifyProvenance(p *Provenance, distName string, sum []byte, root *sigstore.Root, expect *Policy) ([]Result, error) {
	if p == nil {
		return nil, &sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: "no provenance"}
	}
	var out []Result
	for i, ab := range p.AttestationBundles {
		pol, err := PolicyFromPublisher(ab.Publisher)
		if err != nil {
			return nil, &sigstore.Failure{Kind: sigstore.FailIdentity, Reason: fmt.Sprintf("attestation bundle %d: unsupported publisher", i), Err: err}
		}
		if expect != nil {
			if pol.Kind != expect.Kind || !strings.EqualFold(pol.Repository, expect.Repository) {
				return nil, &sigstore.Failure{Kind: sigstore.FailIdentity, Reason: fmt.Sprintf("wrong identity: published by %s, expected %s", pol, expect)}
			}
			if expect.Workflow != "" && !strings.EqualFold(pol.Workflow, expect.Workflow) {
				return nil, &sigstore.Failure{Kind: sigstore.FailIdentity, Reason: fmt.Sprintf("wrong identity: published by %s, expected %s", pol, expect)}
			}
			pol = *expect
		}
		if len(ab.Attestations) == 0 {
			return nil, &sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: fmt.Sprintf("attestation bundle %d has no attestations", i)}
		}
		for j := range ab.Attestations {
			r, err := Verify(&ab.Attestations[j], distName, sum, root, &pol, nil)
			if err != nil {
				return nil, fmt.Errorf("attestation %d.%d: %w", i, j, err)
			}
			r.PublisherRequired = expect != nil
			out = append(out, *r)
		}
	}
	if len(out) == 0 {
		return nil, &sigstore.Failure{Kind: sigstore.FailNoEvidence, Reason: "the provenance holds no attestation bundle: nothing was verified"}
	}
	return out, nil
}
