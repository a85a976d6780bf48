package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/remedy"
)

func newFixCmd(a *app) *cobra.Command {
	var (
		dryRun      bool
		dbPath      string
		outsideIncl bool // --allow-outside-includes
		format      string
		timeout     time.Duration
		fl          policy.Flags
	)
	cmd := &cobra.Command{
		Use:   "fix [PATH ...]",
		Short: "Upgrade vulnerable dependencies in requirements files, pyproject.toml and Pipfile",
		Long: "fix finds, for each declaration of a vulnerable package, the smallest upgrade that clears every known\n" +
			"advisory the policy does not ignore, is not yanked and not itself vulnerable, supports the project's\n" +
			"requires-python, and fits the declaration's own range and every other constraint the project declares.\n" +
			"It rewrites requirements and constraints files, pyproject.toml (PEP 621, dependency groups, Poetry) and\n" +
			"Pipfile in place, changing only the version specifiers (comments, order, markers, extras, line endings,\n" +
			"encoding and layout are kept), through symlinks, keeping the mode and hard links, atomically, and all\n" +
			"files or none. Hashed pins get the new version's hashes from the index; when those cannot be fetched\n" +
			"(offline, index down) the line is left unchanged and reported. Lockfiles are not edited: fix prints the\n" +
			"uv, Poetry, PDM or pipenv command that upgrades them.\n\n" +
			"The policy is audit's (pyvet.toml or [tool.pyvet], --policy, --ignore-vuln, --fail-on, --disable).\n" +
			"--dry-run prints a unified diff and writes nothing. Exit status: 0 when nothing at or above fail-on is\n" +
			"left to fix, 1 when a dry run would change something, or a package has no safe version or needs a hand\n" +
			"edit, for an advisory at or above fail-on, 2 on bad input or when a file cannot be written.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return exitWith(exitUsage, fmt.Errorf("--format must be text or json, not %q", format))
			}
			pol, err := policy.LoadForPaths(args, fl)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			inv, err := inventory.Load(args, inventory.Options{AllowOutsideIncludes: outsideIncl})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			db, err := a.openAdvisoryDB(dbPath)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer db.Close()
			now := time.Now()
			findings, notes := pol.Apply(vuln.Check(inv, db).Findings, now)
			gate := gatingPackages(pol, findings)
			popts := pypi.Options{CacheDir: pypi.DefaultCacheDir(a.cacheDir()), Offline: a.offline, Timeout: timeout}
			if !a.quiet {
				popts.Progress = cmd.ErrOrStderr()
			}
			client := pypi.New(popts)
			if inv.Index.IndexURL != "" {
				client, _ = client.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
			}
			plan := remedy.Compute(context.Background(), inv, db, remedy.Options{
				Index:      client,
				Accept:     policyAccepts(pol, now),
				ProjectDir: policy.ProjectDir(args),
			})
			res, err := remedy.Rewrite(inv, plan)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if !dryRun {
				if err := remedy.Write(res.Files); err != nil {
					return exitWith(exitUsage, err)
				}
			}
			var buf bytes.Buffer
			switch {
			case format == "json":
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return exitWith(exitUsage, err)
				}
			case len(plan.Fixes) == 0:
				buf.WriteString("No known vulnerabilities to fix.\n")
			default:
				if dryRun {
					for _, f := range res.Files {
						buf.WriteString(f.Diff())
					}
				}
				buf.WriteString(res.Summary())
				if !dryRun && len(res.Files) > 0 {
					fmt.Fprintf(&buf, "Rewrote %d file(s).\n", len(res.Files))
				}
			}
			if format != "json" {
				writeIgnored(&buf, findings)
			}
			if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: %s\n", n)
			}
			if fixExit(plan, res, gate, dryRun) {
				return exitWith(exitFindings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff; write nothing")
	cmd.Flags().BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	cmd.Flags().StringVar(&dbPath, "db", "", "advisory database: OSV zip, directory or pyvet index (default: the cached one)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "time limit for each package-index request")
	addPolicyFlags(cmd, &fl)
	return cmd
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

// fixExit reports whether fix exits 1: a fix for an advisory at or above
// fail-on has no safe version, needs a hand edit, or (dry run) is pending.
func fixExit(plan *remedy.Plan, res *remedy.Result, gate map[string]map[string]bool, dryRun bool) bool {
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

// writeIgnored lists the advisories the policy accepts, which fix leaves.
func writeIgnored(buf *bytes.Buffer, findings []finding.Finding) {
	for _, f := range findings {
		if f.Ignored && (f.Risk == finding.RiskVulnerability || f.Risk == finding.RiskMalicious) {
			fmt.Fprintf(buf, "Not fixed, ignored by the policy: %s %s %s (%s)\n", f.Package, f.Version, f.ID, f.IgnoreReason)
		}
	}
}
