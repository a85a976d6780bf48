package remedy

import (
	"context"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/resolve"
)

// FixOptions are what `pyvet fix` runs with.
type FixOptions struct {
	// Paths are the inputs (none: the current directory).
	Paths []string
	// Policy selects the project's policy (see policy.LoadForPaths).
	Policy policy.Flags
	// Inventory controls how the inputs are read.
	Inventory inventory.Options
	// Advisories opens the advisory database, as audit opens it
	// (advisory.OpenSource: downloaded or refreshed unless offline).
	Advisories advisory.SourceOptions
	// Index configures the package-index client (yanked releases, hashes,
	// requires-python); the inventory's own index options take precedence.
	Index pypi.Options
	// Resolve, when set, checks the plan with the resolver (see
	// CheckResolves); its Client defaults to the planning client.
	Resolve *resolve.InventoryOptions
	// DryRun computes the changes and writes nothing.
	DryRun bool
	// Now is the time the policy's expiries are compared with; nil is
	// time.Now.
	Now func() time.Time
	// Inputs, when set, is called with the paths of the files the run
	// read (those it may rewrite among them) as soon as they are read,
	// before anything is written; its error ends the run (a report's
	// output that names one of them, say).
	Inputs func(paths []string) error
}

// FixResult is what a fix run did or, in a dry run, would do.
type FixResult struct {
	Inventory *inventory.Inventory
	// Result is the plan, the edits, the lockfile commands and the hand
	// edits; Result.Files were written unless DryRun.
	Result *Result
	// Findings are the vulnerability findings after the policy (Ignored
	// set on those it accepts, which fix leaves).
	Findings []finding.Finding
	// Notes are one line each: the database's and the policy's.
	Notes []string
	// Fails says the run fails (exit 1): a fix for an advisory at or above
	// fail-on has no safe version, needs a hand edit, or (dry run) is
	// pending.
	Fails bool
}

// Run is `pyvet fix`: it reads the inputs, plans the smallest safe upgrades of their
// vulnerable packages (see Compute), rewrites the project files (see
// Rewrite) and, unless opts.DryRun, writes them (see Write). An error is
// bad input, a database that cannot be opened or a file that cannot be
// written.
func Run(ctx context.Context, opts FixOptions) (*FixResult, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	pol, err := policy.LoadForPaths(opts.Paths, opts.Policy)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.Load(opts.Paths, opts.Inventory)
	if err != nil {
		return nil, err
	}
	if opts.Inputs != nil {
		paths := make([]string, 0, len(inv.Sources))
		for _, s := range inv.Sources {
			paths = append(paths, s.Path)
		}
		if err := opts.Inputs(paths); err != nil {
			return nil, err
		}
	}
	db, notes, err := advisory.OpenSource(ctx, opts.Advisories)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	t := now()
	// Advisories of the packages fixed that a damaged index could not read
	// fail the fix, as they fail the audit: a plan from part of them is wrong.
	vres := vuln.Check(inv, db)
	if err := vres.Err(); err != nil {
		return nil, err
	}
	findings, polNotes := pol.Apply(vres.Findings, t)
	notes = append(notes, polNotes...)
	gate := gatingPackages(pol, findings)
	client := pypi.New(opts.Index)
	if inv.Index.IndexURL != "" {
		client, _ = client.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
	}
	plan := Compute(ctx, inv, db, Options{
		Index:      client,
		Accept:     policyAccepts(pol, t),
		ProjectDir: policy.ProjectDir(opts.Paths),
	})
	if opts.Resolve != nil {
		o := *opts.Resolve
		if o.Client == nil && o.IndexURL == "" {
			o.Client = client
		}
		_ = CheckResolves(ctx, inv, plan, o) // the note says what the resolver found
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		return nil, err
	}
	if !opts.DryRun {
		if err := Write(res.Files); err != nil {
			return nil, err
		}
	}
	return &FixResult{Inventory: inv, Result: res, Findings: findings, Notes: notes,
		Fails: fixFails(plan, res, gate, opts.DryRun)}, nil
}

// policyAccepts reports whether the policy ignores an advisory for a
// package (or its check is disabled), asking the policy the way audit does:
// with the advisory as a finding.
func policyAccepts(pol *policy.Policy, now time.Time) func(string, *advisory.Entry) bool {
	return func(name string, e *advisory.Entry) bool {
		f := finding.Finding{Risk: finding.RiskVulnerability, Rule: vuln.RuleVuln, ID: e.ID, Aliases: e.Aliases, Package: name}
		if e.IsMalicious() {
			f.Risk, f.Rule, f.Severity = finding.RiskMalicious, vuln.RuleMalicious, finding.SeverityMalicious
		}
		out, _ := pol.Apply([]finding.Finding{f}, now)
		return len(out) == 0 || out[0].Ignored
	}
}

// gatingPackages are the packages with a finding that fails the run, and the
// advisory ids (with aliases) of those findings.
func gatingPackages(pol *policy.Policy, findings []finding.Finding) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if !pol.Fails(f) {
			continue
		}
		if out[f.Package] == nil {
			out[f.Package] = map[string]bool{}
		}
		for _, id := range append([]string{f.ID}, f.Aliases...) {
			out[f.Package][strings.ToUpper(id)] = true
		}
	}
	return out
}

// fixFails reports whether fix exits 1: a fix for an advisory at or above
// fail-on has no safe version, needs a hand edit, or (dry run) is pending.
func fixFails(plan *Plan, res *Result, gate map[string]map[string]bool, dryRun bool) bool {
	gates := func(name string, ids []string) bool {
		for _, id := range ids {
			if gate[name][strings.ToUpper(id)] {
				return true
			}
		}
		return false
	}
	gating := map[string]bool{}
	for _, f := range plan.Fixes {
		for _, t := range f.Targets {
			if !gates(f.Name, t.Advisories) {
				continue
			}
			gating[f.Name] = true
			if t.To == "" {
				return true
			}
		}
		if len(f.Targets) == 0 && gates(f.Name, f.Advisories) {
			return true
		}
	}
	for _, n := range res.ManualNames {
		if gating[n] {
			return true
		}
	}
	if dryRun {
		for _, e := range res.Edits {
			if e.Skipped == "" && gating[e.Name] {
				return true
			}
		}
		if len(res.Commands) > 0 && len(gating) > 0 {
			return true
		}
	}
	return false
}
