package main

import (
	"fmt"
	"strings"
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

func newFixCmd(a *app) *cobra.Command {
	var (
		dryRun      bool
		dbPath      string
		outsideIncl bool // --allow-outside-includes
		rf          reportFlags
		timeout     time.Duration
		fl          policy.Flags
		rsf         resolveFlags
		indexURL    string
		noDeps      bool
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
			"For inputs pip resolves (requirements files, pyproject.toml, Pipfile, setup.cfg without a lockfile) the\n" +
			"project is resolved with the planned upgrades for --python-version / --platform, and the plan says whether\n" +
			"it installs together, the resolver's explanation when it does not, or that it could not be checked\n" +
			"(offline without the index cached, index unreachable); --no-deps skips the check.\n\n" +
			"The policy is audit's (pyvet.toml or [tool.pyvet], --policy, --ignore-vuln, --fail-on, --disable).\n" +
			"--dry-run prints a unified diff and writes nothing. Exit status: 0 when nothing at or above fail-on is\n" +
			"left to fix, 1 when a dry run would change something, or a package has no safe version or needs a hand\n" +
			"edit, for an advisory at or above fail-on, 2 on bad input or when a file cannot be written.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.EqualFold(rf.format, "text") {
				rf.format = "table" // the name fix's text had before every format was offered
			}
			if err := rf.check(); err != nil {
				return err
			}
			popts := pypi.Options{CacheDir: pypi.DefaultCacheDir(a.cacheDir()), Offline: a.offline, Timeout: timeout, SimpleURL: indexURL}
			var check *resolve.InventoryOptions
			if !noDeps {
				// The planning client (its index, cache and offline mode) also
				// serves the resolution that checks the plan.
				o, err := rsf.options(a, "", cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				check = &o
			}
			sopts := advisory.SourceOptions{Path: dbPath, CacheDir: a.cacheDir(), Offline: a.offline}
			if !a.quiet {
				popts.Progress = cmd.ErrOrStderr()
				sopts.Progress = cmd.ErrOrStderr()
			}
			out, err := remedy.Run(cmd.Context(), remedy.FixOptions{
				Paths: args, Policy: fl, Inventory: inventory.Options{AllowOutsideIncludes: outsideIncl},
				Advisories: sopts, Index: popts, DryRun: dryRun, Resolve: check,
			})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			for _, n := range out.Notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: %s\n", n)
			}
			rem := &report.Remedy{Result: out.Result, DryRun: dryRun}
			for _, f := range out.Result.Files {
				rem.Diffs = append(rem.Diffs, report.FileDiff{Path: f.Path, Format: f.Format, Diff: f.Diff()})
			}
			if !dryRun {
				rem.Written = len(out.Result.Files)
			}
			res := &report.Result{Kind: report.KindFix, Tool: "pyvet fix", Version: toolVersion(), Remedy: rem,
				Findings: out.Findings, Notes: out.Notes, Failed: out.Fails}
			if err := rf.emit(cmd, res, report.Options{}); err != nil {
				return err
			}
			if out.Fails {
				return exitWith(exitFindings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff; write nothing")
	cmd.Flags().BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	cmd.Flags().StringVar(&dbPath, "db", "", "advisory database: OSV zip, directory or pyvet index (default: the cached one)")
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "time limit for each package-index request")
	cmd.Flags().StringVar(&indexURL, "index-url", "", "index URL (Simple API base; default https://pypi.org/simple) to read versions, hashes and, for the check of the plan, dependencies from")
	cmd.Flags().BoolVar(&noDeps, "no-deps", false, "do not check with the resolver that the upgraded project installs together")
	addResolveFlags(cmd.Flags(), &rsf)
	addPolicyFlags(cmd, &fl)
	return cmd
}
