package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/audit"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
)

type auditOptions struct {
	audit.Options
	requirements []string
	rf           reportFlags
	desc         bool
	aliases      bool
	recursive    bool
	resolve      resolveFlags
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
	addReportFlags(cmd, &o.rf, "table")
	f.BoolVar(&o.desc, "desc", false, "include advisory descriptions")
	f.BoolVar(&o.aliases, "aliases", false, "include advisory aliases")
	f.BoolVar(&o.Inventory.AllowOutsideIncludes, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&o.Inventory.SkipEditable, "skip-editable", false, "do not audit packages installed in editable mode or from a local path")
	f.BoolVar(&o.Strict, "strict", false, "fail when a package cannot be audited exactly")
	f.StringVar(&o.DBPath, "db", "", "advisory database: an OSV zip, a directory of OSV .json/.yaml files or a pyvet index")
	f.BoolVar(&o.All, "all", false, "run every check: also mutable references, package health, name confusion, license and size")
	f.BoolVar(&o.Attestations, "attestations", false, "verify the PEP 740 provenance of every distribution file a lockfile records")
	f.StringVar(&o.IndexURL, "index-url", "", "index URL (Simple API base, as pip means it; default: the input's own --index-url, else https://pypi.org/simple) to resolve unlocked inputs from, and for --all and --attestations; the JSON and integrity APIs are derived from it")
	f.BoolVar(&o.NoDeps, "no-deps", false, "audit only what the input declares: do not resolve the dependencies of unlocked inputs")
	addResolveFlags(f, &o.resolve)
	f.StringVar(&o.JSONURL, "json-url", "", "JSON API base of that index (default: derived from --index-url, .../simple -> .../pypi)")
	f.StringVar(&o.IntegrityURL, "integrity-url", "", "integrity API base of that index, for --attestations (default: derived from --index-url, .../simple -> ...)")
	f.DurationVar(&a.httpTimeout, "timeout", httpx.DefaultTimeout, "time limit of each network request attempt")
	f.StringVar(&o.Service, "service", "", "query this OSV-compatible API (for example a pyvet serve mirror) URL instead of the local database")
	addPolicyFlags(cmd, &o.Policy)
	addEnvironmentFlags(cmd, &o.Inventory)
	return cmd
}

func (a *app) runAudit(cmd *cobra.Command, args []string, o *auditOptions) error {
	if err := o.rf.check(); err != nil {
		return err
	}
	opts := o.Options
	opts.Paths = append(append([]string{}, args...), o.requirements...)
	opts.CacheDir, opts.Offline = a.cacheDir(), a.offline
	if !a.quiet {
		opts.Progress = os.Stderr
	}
	ro, err := o.resolve.options(a, o.IndexURL, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opts.Resolve = ro
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
	ropts := report.Options{Desc: o.desc, Aliases: o.aliases, NoNotes: o.rf.toStdout() && strings.EqualFold(o.rf.format, "table")}
	writeNotes(cmd.ErrOrStderr(), res.Notes)
	if err := o.rf.emit(cmd, res.Report(toolVersion()), ropts); err != nil {
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

// runAuditTree is audit -R: every project under one directory, a section
// each in the report (paths relative to the directory), then the total.
func (a *app) runAuditTree(cmd *cobra.Command, opts audit.Options, o *auditOptions) error {
	tree, err := audit.RunRecursive(cmd.Context(), opts)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	res := tree.Report(toolVersion())
	writeNotes(cmd.ErrOrStderr(), res.Notes)
	ropts := report.Options{Desc: o.desc, Aliases: o.aliases, BaseDir: tree.Root, NoNotes: o.rf.toStdout() && strings.EqualFold(o.rf.format, "table")}
	if err := o.rf.emit(cmd, res, ropts); err != nil {
		return err
	}
	for _, p := range tree.Projects {
		if p.Err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: %s: could not be audited: %v\n", p.Dir, p.Err)
		}
	}
	if u := tree.Unaudited(); len(u) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: --strict: %d package(s) could not be audited exactly:\n  %s\n", len(u), strings.Join(u, "\n  "))
	}
	switch tree.ExitCode() {
	case 2:
		return exitWith(exitUsage, nil)
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
