// Package attest is the audit's provenance check: it verifies the PEP 740
// attestations of every distribution file a lockfile records (through
// internal/verify) and enforces the policy's required attestations and
// signatures.
package attest

import (
	"context"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/verify"
)

// RuleRequiredUnchecked is the rule of a package the policy requires to be
// attested whose files were not verified.
const RuleRequiredUnchecked = "attestation-required-unchecked"

// The verifier (internal/verify) reports under the compromise risk; its
// rules and this check's own are declared here.
func init() {
	policy.Register(policy.Spec{Name: string(finding.RiskCompromise), Rules: []string{
		"attestation-invalid", "attestation-missing", "attestation-unchecked", RuleRequiredUnchecked,
		"hash-mismatch", "hash-unpinned", "record-modified", "record-missing", "record-unhashed", "record-unrecorded", "pth-exec",
	}})
}

// Run verifies the attestations of inv's recorded distribution files and
// enforces the attestations and signatures pol requires. The error is
// verify.AttestInventory's: the files that could not be checked.
func Run(ctx context.Context, inv *inventory.Inventory, pol *policy.Policy, opts verify.AttestOptions) ([]finding.Finding, error) {
	fs, results, err := verify.AttestInventory(ctx, inv, opts)
	return enforceRequired(fs, results, requiredAttestations(inv, pol)), err
}

// requiredAttestations returns the packages of inv for which the policy
// requires a signature or an attestation, with whether the inventory records
// distribution files that can be checked.
func requiredAttestations(inv *inventory.Inventory, pol *policy.Policy) map[string]bool {
	req := map[string]bool{}
	if inv == nil || pol == nil {
		return req
	}
	for _, p := range inv.Packages {
		if pol.RequiresAttestation(p.Name) || pol.RequiresSignature(p.Name) {
			req[p.Name] = req[p.Name] || len(p.Files) > 0
		}
	}
	return req
}

// enforceRequired raises missing or unchecked attestations of packages the
// policy requires to be attested to high severity, and reports required
// packages whose distribution files the inventory does not record or were
// not checked (offline, index unreachable: results with status "unchecked",
// which have no finding of their own).
func enforceRequired(fs []finding.Finding, results []verify.AttestationResult, required map[string]bool) []finding.Finding {
	unchecked := map[string]bool{}
	for _, r := range results {
		if _, ok := required[r.Package]; ok && r.Status == "unchecked" {
			if !unchecked[r.Package] {
				unchecked[r.Package] = true
				fs = append(fs, finding.Finding{
					Risk: finding.RiskCompromise, Rule: RuleRequiredUnchecked, Package: r.Package, Version: r.Version,
					Severity: finding.SeverityHigh, Exact: true,
					Title:  "the policy requires an attestation for " + r.Package + ", but it was not checked (" + r.Detail + ")",
					Detail: "The index's attestations could not be fetched in this run, so the files of this package are not verified.",
					Action: "run the audit with network access to the index",
				})
			}
		}
	}
	for i := range fs {
		f := &fs[i]
		if _, ok := required[f.Package]; ok && f.Severity < finding.SeverityHigh &&
			(f.Rule == "attestation-missing" || f.Rule == "attestation-unchecked") {
			f.Severity = finding.SeverityHigh
			f.Detail += " The policy requires this package to be attested."
		}
	}
	for name, checkable := range required {
		if checkable {
			continue
		}
		fs = append(fs, finding.Finding{
			Risk: finding.RiskCompromise, Rule: RuleRequiredUnchecked, Package: name,
			Severity: finding.SeverityHigh, Exact: true,
			Title:  "the policy requires an attestation for " + name + ", but no distribution file of it is recorded",
			Detail: "pyvet checks PEP 740 attestations against the distribution files and hashes a lockfile records; the inputs record none for this package.",
			Action: "audit a lockfile that records file hashes (uv.lock, poetry.lock, pdm.lock, pylock.toml, or requirements with --hash), or verify the file with `pyvet verify dist`",
		})
	}
	return fs
}
