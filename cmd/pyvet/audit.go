package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/audit"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/remedy"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
)

type auditOptions struct {
	audit.Options
	requirements []string
	rf           reportFlags
	desc         *choiceValue // --desc [on|off|auto]
	aliases      *choiceValue // --aliases [on|off|auto]
	recursive    bool
	resolve      resolveFlags

	// pip-audit's flags (docs/pip-audit.md).
	service       serviceValue // -s/--vulnerability-service
	dryRun        bool         // -d/--dry-run
	fix           bool         // --fix
	verbose       int          // -v/--verbose
	requireHashes bool         // --require-hashes
	disablePip    bool         // --disable-pip: pyvet never runs pip
}

// reportOptions are the report options of the run's flags: --desc and
// --aliases (auto: on for json, as in pip-audit).
func (o *auditOptions) reportOptions() report.Options {
	return report.Options{Desc: o.desc.on(o.rf.format), Aliases: o.aliases.on(o.rf.format),
		NoNotes: o.rf.toStdout() && strings.EqualFold(o.rf.format, "table")}
}

func newAuditCmd(a *app) *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit [PATH ...] [-r FILE ...]",
		Short: "Find dependencies with known vulnerabilities or reported as malicious",
		Long: "audit matches every dependency of PATH (default: the current directory; any dependency file, project,\n" +
			"virtualenv or archive pyvet reads) against the OSV advisory database, following the OSV schema and PEP 440.\n" +
			"Without --db it uses the database `pyvet db update` maintains, refreshing it when it is older than a day\n" +
			"unless --offline. Unpinned requirements are matched against the versions their specifier allows and\n" +
			"reported as not exact; --strict fails the run when a package cannot be audited exactly.\n\n" +
			"An input that does not pin its whole dependency closure (a requirements file with ranges or only top-level\n" +
			"pins, -c constraints included, unless every line is hashed; a pyproject.toml, Pipfile or setup.cfg without a\n" +
			"lockfile) is resolved first, the way pip would install it for --python-version / --platform (newest versions\n" +
			"first, with backtracking; markers, extras, requires-python, yanked releases, wheel tags), from --index-url,\n" +
			"else the file's own --index-url, else PyPI, plus every --extra-index-url; the resolved set is audited and a\n" +
			"finding on a resolved package gives the path that brings it in. Offline, it resolves from the cache. Local,\n" +
			"editable, VCS and URL requirements are kept as declared. A resolution that fails exits 2 with the reason;\n" +
			"--no-deps audits only what the file declares. See docs/resolution.md.\n" +
			"Exit status: 0 nothing found, 1 findings at or above --fail-on (or --strict failed), 2 bad input or usage.",
		RunE: func(cmd *cobra.Command, args []string) error { return a.runAudit(cmd, args, &o) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.requirements, "requirement", "r", nil, "requirements file to audit (repeatable)")
	f.BoolVarP(&o.recursive, "recursive", "R", false, "audit every project under the directory PATH (default: the current directory), each with its own policy; exit 2 when a project could not be audited")
	addInventoryReportFlags(cmd, &o.rf, "table")
	o.desc, o.aliases = newChoice("auto", true, "on", "off", "auto"), newChoice("auto", true, "on", "off", "auto")
	addChoiceFlag(f, o.desc, "desc", "include advisory descriptions (--desc alone: on; auto: on for json, which always carries them)")
	addChoiceFlag(f, o.aliases, "aliases", "include advisory aliases (--aliases alone: on; auto: on for json, which always carries them)")
	f.BoolVar(&o.Inventory.AllowOutsideIncludes, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&o.Inventory.SkipEditable, "skip-editable", false, "do not audit packages installed in editable mode or from a local path")
	f.BoolVarP(&o.Strict, "strict", "S", false, "fail when a package cannot be audited exactly")
	f.StringVar(&o.DBPath, "db", "", "advisory database: an OSV zip, a directory of OSV .json/.yaml files or a pyvet index")
	f.BoolVar(&o.All, "all", false, "run every check: also mutable references, package health, name confusion, license and size")
	f.BoolVar(&o.Attestations, "attestations", false, "verify the PEP 740 provenance of every distribution file a lockfile records")
	f.StringVar(&o.IndexURL, "index-url", "", "index URL (Simple API base, as pip means it; default: the input's own --index-url, else https://pypi.org/simple) to resolve unlocked inputs from, and for --all and --attestations; the JSON and integrity APIs are derived from it")
	f.BoolVar(&o.NoDeps, "no-deps", false, "audit only what the input declares: do not resolve the dependencies of unlocked inputs")
	addResolveFlags(f, &o.resolve)
	f.StringVar(&o.JSONURL, "json-url", "", "JSON API base of that index (default: derived from --index-url, .../simple -> .../pypi)")
	f.StringVar(&o.IntegrityURL, "integrity-url", "", "integrity API base of that index, for --attestations (default: derived from --index-url, .../simple -> ...)")
	addTimeoutFlag(f, &a.httpTimeout, httpx.DefaultTimeout, "time limit of each network request attempt")
	f.StringVar(&o.Service, "service", "", "query this OSV-compatible API (for example a pyvet serve mirror) URL instead of the local database (pip-audit: --osv-url)")
	f.SetNormalizeFunc(pipAuditNames(map[string]string{"osv-url": "service"}))
	o.service.value = "osv"
	f.VarP(&o.service, "vulnerability-service", "s", "pip-audit's vulnerability service: osv, the only one (the local OSV database, or the --service API)")
	f.BoolVarP(&o.dryRun, "dry-run", "d", false, "without --fix: collect the dependencies (read and resolve the inputs), audit nothing; with --fix: fix --dry-run")
	f.BoolVar(&o.fix, "fix", false, "upgrade the vulnerable dependencies in their files, as `pyvet fix` does (same plan, same document)")
	f.CountVarP(&o.verbose, "verbose", "v", "also print the run's details on standard error: the database, its age and digest, the resolution")
	f.BoolVar(&o.requireHashes, "require-hashes", false, "fail (exit 2) unless every requirement of the requirements files is pinned with == and hashed, as pip's hash-checking mode")
	f.BoolVar(&o.disablePip, "disable-pip", false, "accepted for pip-audit: pyvet never runs pip (it resolves itself)")
	addPolicyFlags(cmd, &o.Policy)
	addEnvironmentFlags(cmd, &o.Inventory)
	return cmd
}

func (a *app) runAudit(cmd *cobra.Command, args []string, o *auditOptions) error {
	if err := o.rf.check(); err != nil {
		return err
	}
	if err := o.checkCombinations(cmd); err != nil {
		return err
	}
	opts := o.Options
	opts.Paths = append(append([]string{}, args...), o.requirements...)
	// A -r path is a requirements file whatever its name, as pip reads it.
	opts.Inventory.Requirements = o.requirements
	if o.fix {
		rf := o.rf
		rf.sbom = false // a fix run lists upgrades, not a bill of materials
		return a.runFix(cmd, &fixOptions{paths: opts.Paths, dryRun: o.dryRun, dbPath: o.DBPath, inventory: opts.Inventory,
			rf: rf, timeout: a.httpTimeout, policy: o.Policy, resolve: o.resolve, indexURL: o.IndexURL,
			noDeps: o.NoDeps, requireHashes: o.requireHashes})
	}
	opts.CacheDir, opts.Offline = a.cacheDir(), a.offline
	if a.showProgress() {
		opts.Progress = cmd.ErrOrStderr()
	}
	ro, err := o.resolve.options(a, o.IndexURL, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opts.Resolve = ro
	if o.requireHashes {
		if err := requireHashes(opts.Paths, opts.Inventory); err != nil {
			return err
		}
	}
	if o.dryRun {
		return a.collectOnly(cmd, opts, o)
	}
	if o.recursive {
		return a.runAuditTree(cmd, opts, o)
	}
	res, err := audit.Run(cmd.Context(), opts)
	if ie := (*resolve.InputError)(nil); errors.As(err, &ie) {
		return resolutionError(cmd.ErrOrStderr(), err, noDepsHint)
	}
	if err != nil {
		return exitWith(exitUsage, err)
	}
	// Warnings go to standard error whatever the format (the JSON and SARIF
	// documents carry them too); the table on a terminal does not repeat them.
	writeNotes(cmd.ErrOrStderr(), res.Notes)
	if o.verbose > 0 {
		writeMeta(cmd.ErrOrStderr(), res.Meta)
	}
	if err := o.rf.emit(cmd, res.Report(toolVersion()), o.reportOptions()); err != nil {
		return err
	}
	if len(res.Unaudited) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: --strict: %d package(s) could not be audited exactly:\n  %s\n", len(res.Unaudited), strings.Join(res.Unaudited, "\n  "))
	}
	if res.Failed {
		return exitWith(exitFindings, nil)
	}
	return nil
}

// fixIncompatible are the audit flags a fix run (--fix) does not take,
// and why.
var fixIncompatible = []struct{ flag, why string }{
	{"recursive", "fix one project at a time"},
	{"service", "fix plans from the advisory database (--db), not an API"},
	{"all", "fix upgrades vulnerable packages only"},
	{"attestations", "fix upgrades vulnerable packages only"},
	{"strict", "fix reports what it cannot fix in its plan"},
	{"json-url", "fix reads the index from --index-url"},
	{"integrity-url", "fix reads the index from --index-url"},
	{"verbose", "fix's plan already says what it did"},
}

// checkCombinations refuses the flags that cannot go together (exit 2).
func (o *auditOptions) checkCombinations(cmd *cobra.Command) error {
	changed := func(name string) bool { f := cmd.Flags().Lookup(name); return f != nil && f.Changed }
	if o.fix {
		for _, c := range fixIncompatible {
			if changed(c.flag) {
				return exitWith(exitUsage, fmt.Errorf("--fix cannot be combined with %s: %s", flagSpelling(cmd, c.flag), c.why))
			}
		}
	}
	if o.recursive {
		for _, name := range []string{"dry-run", "require-hashes"} {
			if changed(name) {
				return exitWith(exitUsage, fmt.Errorf("-R cannot be combined with %s: audit the project's directory without -R", flagSpelling(cmd, name)))
			}
		}
	}
	return nil
}

// flagSpelling is a flag as the help writes it: -S/--strict, --service.
func flagSpelling(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil && f.Shorthand != "" {
		return "-" + f.Shorthand + "/--" + name
	}
	return "--" + name
}

// requireHashes reads the inputs and applies pip's hash-checking mode to
// their requirements files (exit 2 when a requirement is not hashed).
func requireHashes(paths []string, opts inventory.Options) error {
	inv, err := inventory.Load(paths, opts)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	if err := remedy.RequireHashes(inv); err != nil {
		return exitWith(exitUsage, err)
	}
	return nil
}

// collectOnly is audit --dry-run without --fix, as pip-audit's: the
// dependencies are collected (the inputs read and, unless --no-deps,
// resolved as the audit would) and reported as `pyvet deps` reports them;
// nothing is matched against advisories and no database is opened.
func (a *app) collectOnly(cmd *cobra.Command, opts audit.Options, o *auditOptions) error {
	inv, err := inventory.Load(opts.Paths, opts.Inventory)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	var meta map[string]string
	if !opts.NoDeps && resolve.NeedsResolution(inv) {
		var summary string
		if inv, summary, err = resolveDeps(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), inv, opts.Resolve, ""); err != nil {
			return err
		}
		meta = map[string]string{"resolution": summary}
	}
	writeNotes(cmd.ErrOrStderr(), inv.Warnings)
	n := 0
	for _, p := range inv.Packages {
		if p != nil && !p.Project {
			n++
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: dry run: %d package(s) collected, none audited\n", n)
	if o.verbose > 0 {
		writeMeta(cmd.ErrOrStderr(), meta)
	}
	return o.rf.emit(cmd, &report.Result{Kind: report.KindDeps, Tool: "pyvet audit --dry-run", Version: toolVersion(), Inventory: inv, Meta: meta}, report.Options{})
}

// writeMeta prints a run's details (-v), one "key: value" line each, sorted.
func writeMeta(w io.Writer, meta map[string]string) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if meta[k] != "" {
			fmt.Fprintf(w, "pyvet: %s: %s\n", k, finding.Clip(meta[k], 400))
		}
	}
}

// runAuditTree is audit -R: every project under one directory, a section
// each in the report (paths relative to the directory), then the total.
func (a *app) runAuditTree(cmd *cobra.Command, opts audit.Options, o *auditOptions) error {
	tree, err := audit.RunRecursive(cmd.Context(), opts)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	res := tree.Report(toolVersion())
	writeNotes(cmd.ErrOrStderr(), res.Notes)
	ropts := o.reportOptions()
	ropts.BaseDir = tree.Root
	if err := o.rf.emit(cmd, res, ropts); err != nil {
		return err
	}
	var failures []error // kept for the exit status (network failures are exit 3)
	for _, p := range tree.Projects {
		if p.Err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: %s: could not be audited: %v\n", p.Dir, p.Err)
			failures = append(failures, p.Err)
		}
	}
	if u := tree.Unaudited(); len(u) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: --strict: %d package(s) could not be audited exactly:\n  %s\n", len(u), strings.Join(u, "\n  "))
	}
	switch tree.ExitCode() {
	case 2:
		return exitPrinted(errors.Join(failures...))
	case 1:
		return exitWith(exitFindings, nil)
	}
	return nil
}

// noDepsHint follows a failed resolution of audit's input.
const noDepsHint = "--no-deps audits only what the file declares"

// writeNotes prints the notes of a run to w, one "warning:" line each.
func writeNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "pyvet: warning:", n)
	}
}
