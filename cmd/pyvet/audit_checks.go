package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/pyvet/pyvet/internal/check/health"
	"github.com/pyvet/pyvet/internal/check/license"
	"github.com/pyvet/pyvet/internal/check/pinning"
	"github.com/pyvet/pyvet/internal/check/size"
	"github.com/pyvet/pyvet/internal/check/typosquat"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/verify"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// extraChecks says which checks beyond known vulnerabilities audit runs.
type extraChecks struct {
	all          bool   // every check: pinning, health, name confusion, license, size
	attestations bool   // PEP 740 provenance of every locked distribution file
	indexURL     string // Simple API base for the index checks ("" = PyPI)
	jsonURL      string // JSON API base of that index ("" = derived from indexURL)
	integrityURL string // integrity API base of that index ("" = derived from indexURL)
}

// runExtraChecks runs the checks o selects and returns their findings plus
// notes for the report (checks that could not run completely say why).
func (a *app) runExtraChecks(ctx context.Context, inv *inventory.Inventory, pol *policy.Policy, o extraChecks) ([]finding.Finding, []string) {
	var out []finding.Finding
	var notes []string
	// The checks' errors already name the check; they become notes because
	// the findings that could be computed stay valid.
	note := func(_ string, err error) {
		var n finding.Notes
		n.AddError(err) // one line per cause
		notes = append(notes, n.Lines()...)
	}
	if o.all {
		out = append(out, pinning.Check(inv, pinning.ConfigFrom(pol))...)

		opts := pypi.Options{CacheDir: pypi.DefaultCacheDir(a.cacheDir()), Offline: a.offline}
		if o.indexURL != "" {
			opts.SimpleURL = o.indexURL
		}
		opts.JSONURL = o.jsonURL // "" derives it from the index URL
		if !a.quiet {
			opts.Progress = os.Stderr
		}
		idx := pypi.New(opts)
		fs, err := health.Check(ctx, inv, idx, health.ConfigFromPolicy(pol))
		out = append(out, fs...)
		note("package health", err)
		popPath := typosquat.PopularityPath(a.cacheDir())
		if pop, err := typosquat.LoadPopularity(popPath); err == nil {
			// After health: the release histories it read are in the cache.
			fs, err := typosquat.CheckIndex(ctx, inv, pop, idx, typosquat.ConfigFromPolicy(pol))
			out = append(out, fs...)
			note("name confusion", err)
		} else if errors.Is(err, os.ErrNotExist) {
			notes = append(notes, "name confusion: no popularity list cached; run `pyvet pypi popularity` (or `--from FILE` offline) to enable typosquatting checks")
		} else {
			note("name confusion", err)
		}
		fs, err = typosquat.CheckDependencyConfusion(ctx, inv, idx, typosquat.ConfigFromPolicy(pol))
		out = append(out, fs...)
		note("dependency confusion", err)
		fs, err = license.Check(ctx, inv, idx, license.ConfigFromPolicy(pol))
		out = append(out, fs...)
		note("license", err)
		fs, err = size.Check(ctx, inv, idx, size.ConfigFromPolicy(pol))
		out = append(out, fs...)
		note("size", err)
	}
	required := requiredAttestations(inv, pol)
	if o.attestations || len(required) > 0 {
		client := &pep740.Client{}
		if o.indexURL != "" {
			client.IndexURL = o.indexURL // the integrity API is derived from it
		}
		client.BaseURL = o.integrityURL // unless given
		fs, results, err := verify.AttestInventory(ctx, inv, verify.AttestOptions{
			Client: client,
			RootOptions: sigstore.RootOptions{
				Offline: a.offline, CacheDir: filepath.Join(a.cacheDir(), "sigstore"),
			},
		})
		out = append(out, enforceRequired(fs, results, required)...)
		note("attestations", err)
	}
	return out, notes
}

// requiredAttestations returns the packages of inv for which the policy
// requires a signature or an attestation, with whether the inventory records
// distribution files that can be checked.
func requiredAttestations(inv *inventory.Inventory, pol *policy.Policy) map[string]bool {
	req := map[string]bool{}
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
					Risk: finding.RiskCompromise, Rule: "attestation-required-unchecked", Package: r.Package, Version: r.Version,
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
			Risk: finding.RiskCompromise, Rule: "attestation-required-unchecked", Package: name,
			Severity: finding.SeverityHigh, Exact: true,
			Title:  "the policy requires an attestation for " + name + ", but no distribution file of it is recorded",
			Detail: "pyvet checks PEP 740 attestations against the distribution files and hashes a lockfile records; the inputs record none for this package.",
			Action: "audit a lockfile that records file hashes (uv.lock, poetry.lock, pdm.lock, pylock.toml, or requirements with --hash), or verify the file with `pyvet verify dist`",
		})
	}
	return fs
}
