package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/remedy"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
)

// fixOptions are what a fix run takes from its flags: `pyvet fix`'s own,
// or audit's with --fix.
type fixOptions struct {
	paths         []string
	dryRun        bool
	dbPath        string
	inventory     inventory.Options
	rf            reportFlags
	timeout       time.Duration
	policy        policy.Flags
	resolve       resolveFlags
	indexURL      string
	noDeps        bool
	requireHashes bool // audit --fix --require-hashes
}

func newFixCmd(a *app) *cobra.Command {
	var o fixOptions
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
			"For inputs pip resolves (requirements files, pyproject.toml, Pipfile, setup.cfg without a lockfile) the\n" +
			"project is resolved with the planned upgrades for --python-version / --platform, and the plan says whether\n" +
			"it installs together, the resolver's explanation when it does not, or that it could not be checked\n" +
			"(offline without the index cached, index unreachable); --no-deps skips the check.\n\n" +
			"The policy is audit's (pyvet.toml or [tool.pyvet], --policy, --ignore-vuln, --fail-on, --disable).\n" +
			"--dry-run (-d) prints a unified diff and writes nothing. -f json gives pip-audit's --fix document\n" +
			"(dependencies[], fixes[]) with pyvet's plan; `pyvet audit --fix` runs this same fix.\n" +
			"Exit status: 0 when nothing at or above fail-on is\n" +
			"left to fix, 1 when a dry run would change something, or a package has no safe version or needs a hand\n" +
			"edit, for an advisory at or above fail-on, 2 on bad input or when a file cannot be written.",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return a.runFix(cmd, &o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.dryRun, "dry-run", "d", false, "print a unified diff; write nothing")
	f.BoolVar(&o.inventory.AllowOutsideIncludes, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.StringVar(&o.dbPath, "db", "", "advisory database: OSV zip, directory or pyvet index (default: the cached one)")
	addReportFlags(cmd, &o.rf, "table")
	addTimeoutFlag(f, &o.timeout, 30*time.Second, "time limit for each package-index request")
	f.StringVar(&o.indexURL, "index-url", "", "index URL (Simple API base; default https://pypi.org/simple) to read versions, hashes and, for the check of the plan, dependencies from")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not check with the resolver that the upgraded project installs together")
	addResolveFlags(f, &o.resolve)
	addPolicyFlags(cmd, &o.policy)
	return cmd
}

// runFix is a fix run: `pyvet fix`, or `pyvet audit --fix`.
func (a *app) runFix(cmd *cobra.Command, o *fixOptions) error {
	if err := o.rf.check(); err != nil {
		return err
	}
	if o.requireHashes {
		if err := requireHashes(o.paths, o.inventory); err != nil {
			return err
		}
	}
	popts := pypi.Options{CacheDir: pypi.DefaultCacheDir(a.cacheDir()), Offline: a.offline, Timeout: o.timeout, SimpleURL: o.indexURL}
	var check *resolve.InventoryOptions
	if !o.noDeps {
		// The planning client (its index, cache and offline mode) also
		// serves the resolution that checks the plan.
		ro, err := o.resolve.options(a, "", cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		check = &ro
	}
	sopts := advisory.SourceOptions{Path: o.dbPath, CacheDir: a.cacheDir(), Offline: a.offline}
	if a.showProgress() {
		popts.Progress = cmd.ErrOrStderr()
		sopts.Progress = cmd.ErrOrStderr()
	}
	out, err := remedy.Run(cmd.Context(), remedy.FixOptions{
		Paths: o.paths, Policy: o.policy, Inventory: o.inventory,
		Advisories: sopts, Index: popts, DryRun: o.dryRun, Resolve: check,
		// -o over a file the run reads is refused before the fix writes any.
		Inputs: o.rf.refuseOutputOver,
	})
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if err != nil {
		return exitWith(exitUsage, err)
	}
	for _, n := range out.Notes {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: %s\n", n)
	}
	rem := &report.Remedy{Result: out.Result, DryRun: o.dryRun}
	for _, f := range out.Result.Files {
		rem.Diffs = append(rem.Diffs, report.FileDiff{Path: f.Path, Format: f.Format, Diff: f.Diff()})
	}
	if !o.dryRun {
		rem.Written = len(out.Result.Files)
	}
	res := &report.Result{Kind: report.KindFix, Tool: "pyvet fix", Version: toolVersion(), Remedy: rem,
		Inventory: out.Inventory, Findings: out.Findings, Notes: out.Notes, Failed: out.Fails}
	if err := o.rf.emit(cmd, res, report.Options{}); err != nil {
		return err
	}
	if out.Fails {
		return exitWith(exitFindings, nil)
	}
	return nil
}
