package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/safeio"
)

type auditOptions struct {
	requirements []string
	format       string
	output       string
	pol          policy.Flags // --policy, --fail-on, --ignore-vuln, --disable, --enable
	desc         bool
	aliases      bool
	strict       bool
	dbPath       string
	service      string
	checks       extraChecks
	outsideIncl  bool // --allow-outside-includes
	skipEditable bool // --skip-editable
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
			"reported as not exact; --strict fails the run when a package cannot be audited exactly.\n" +
			"Exit status: 0 nothing found, 1 findings at or above --fail-on (or --strict failed), 2 bad input or usage.",
		RunE: func(cmd *cobra.Command, args []string) error { return a.runAudit(cmd, args, &o) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.requirements, "requirement", "r", nil, "requirements file to audit (repeatable)")
	f.StringVarP(&o.format, "format", "f", "table", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of standard output")
	f.BoolVar(&o.desc, "desc", false, "include advisory descriptions")
	f.BoolVar(&o.aliases, "aliases", false, "include advisory aliases")
	f.BoolVar(&o.outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&o.skipEditable, "skip-editable", false, "do not audit packages installed in editable mode or from a local path")
	f.BoolVar(&o.strict, "strict", false, "fail when a package cannot be audited exactly")
	f.StringVar(&o.dbPath, "db", "", "advisory database: an OSV zip, a directory of OSV .json/.yaml files or a pyvet index")
	f.BoolVar(&o.checks.all, "all", false, "run every check: also mutable references, package health, name confusion, license and size")
	f.BoolVar(&o.checks.attestations, "attestations", false, "verify the PEP 740 provenance of every distribution file a lockfile records")
	f.StringVar(&o.checks.indexURL, "index-url", "", "index URL (Simple API base, as pip means it; default https://pypi.org/simple) for --all and --attestations; the JSON and integrity APIs are derived from it")
	f.StringVar(&o.checks.jsonURL, "json-url", "", "JSON API base of that index (default: derived from --index-url, .../simple -> .../pypi)")
	f.StringVar(&o.checks.integrityURL, "integrity-url", "", "integrity API base of that index, for --attestations (default: derived from --index-url, .../simple -> ...)")
	f.DurationVar(&a.httpTimeout, "timeout", httpx.DefaultTimeout, "time limit of each network request attempt")
	f.StringVar(&o.service, "service", "", "query this OSV-compatible API (for example a pyvet serve mirror) URL instead of the local database")
	addPolicyFlags(cmd, &o.pol)
	return cmd
}

func (a *app) runAudit(cmd *cobra.Command, args []string, o *auditOptions) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit: the advisory blocks inflated while matching are
		// short-lived, so collecting earlier keeps the peak small.
		debug.SetMemoryLimit(64 << 20)
	}
	if !slicesContains(report.Formats(), strings.ToLower(o.format)) {
		return exitWith(exitUsage, fmt.Errorf("unknown format %q (want one of %s)", o.format, strings.Join(report.Formats(), ", ")))
	}
	paths := append(append([]string{}, args...), o.requirements...)
	pol, err := policy.LoadForPaths(paths, o.pol)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	inv, err := inventory.Load(paths, inventory.Options{AllowOutsideIncludes: o.outsideIncl, SkipEditable: o.skipEditable})
	if err != nil {
		return exitWith(exitUsage, err)
	}
	var notes []string
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var res *vuln.Result
	var m advisory.Meta
	if o.service != "" {
		client, err := osvclient.New(o.service)
		if err != nil {
			return exitWith(exitUsage, fmt.Errorf("--service: %w", err))
		}
		if res, err = osvclient.Audit(ctx, client, inv); err != nil {
			return exitWith(exitUsage, fmt.Errorf("--service %s: %w", o.service, err))
		}
		m.Source = o.service
	} else {
		db, note, err := a.openAuditDB(ctx, o.dbPath)
		if err != nil {
			return exitWith(exitUsage, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
		res = vuln.Check(inv, db)
		notes = append(notes, res.Notes...)
		// The findings own their data: let the database go before the report
		// is built, which keeps the peak memory of large runs down.
		m = db.Meta()
		db.Close()
		if n := m.DataNote(time.Now()); n != "" {
			notes = append(notes, n)
		}
	}
	markRun(pol, o.checks)
	extra, extraNotes := a.runExtraChecks(ctx, inv, pol, o.checks)
	notes = append(notes, extraNotes...)
	all := append(res.Findings, extra...)
	finding.Sort(all)
	findings, polNotes := pol.Apply(all, time.Now())
	notes = append(notes, polNotes...)
	notes = append(notes, inv.Warnings...)
	var runNotes finding.Notes // one place: repeats counted, each line bounded
	runNotes.AddAll(notes)
	out := &report.Result{
		Tool:      "pyvet audit",
		Version:   toolVersion(),
		Inventory: inv,
		Findings:  findings,
		Notes:     runNotes.Lines(),
		Skipped:   res.Skipped,
		Meta: map[string]string{
			"database":            m.Source,
			"database_advisories": fmt.Sprint(m.Count),
			"database_sha256":     m.ContentSHA256,
			"database_age":        m.Age(time.Now()).Round(time.Minute).String(),
			"fail_on":             pol.FailOn.String(),
		},
	}
	if len(pol.Files) > 0 {
		out.Meta["policy"] = strings.Join(pol.Files, ", ")
	}
	code := pol.ExitCode(findings)
	var unaudited []string
	if o.strict {
		for name, reason := range res.Skipped {
			unaudited = append(unaudited, finding.Clip(name, 200)+": "+finding.Clip(reason, 200))
		}
		sort.Strings(unaudited)
		if len(unaudited) > 0 {
			code = exitFindings
		}
	}
	out.Failed = code != exitOK
	toStdout := o.output == "" || o.output == "-"
	// Warnings go to standard error whatever the format (the JSON and SARIF
	// documents carry them too); the table on a terminal does not repeat them.
	ropts := report.Options{Desc: o.desc, Aliases: o.aliases, NoNotes: toStdout && strings.EqualFold(o.format, "table")}
	writeNotes(cmd.ErrOrStderr(), out.Notes)
	if err := writeOutput(cmd.OutOrStdout(), o.output, func(w io.Writer) error { return report.Write(w, o.format, out, ropts) }); err != nil {
		return exitWith(exitUsage, err)
	}
	if len(unaudited) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: --strict: %d package(s) could not be audited exactly:\n  %s\n", len(unaudited), strings.Join(unaudited, "\n  "))
	}
	if code != exitOK {
		return exitWith(code, nil)
	}
	return nil
}

// openAuditDB opens --db, or the cached database, refreshing it when stale
// and the network may be used. It returns a note for the report when the
// database could not be refreshed.
func (a *app) openAuditDB(ctx context.Context, dbPath string) (*advisory.DB, string, error) {
	if dbPath != "" {
		db, err := advisory.OpenWith(dbPath, advisory.Options{CacheDir: a.cacheDir()})
		if err != nil {
			return nil, "", fmt.Errorf("--db: %w", err)
		}
		return db, "", nil
	}
	dir := a.cacheDir()
	db, err := advisory.OpenCached(dir)
	switch {
	case errors.Is(err, advisory.ErrNoDatabase):
		if a.offline {
			return nil, "", fmt.Errorf("%v; run `pyvet db update` (or `pyvet db update --from FILE` without network), or pass --db PATH", err)
		}
		if _, err := a.updateDB(ctx, dir); err != nil {
			return nil, "", fmt.Errorf("%v; pass --db PATH to use a local OSV export", err)
		}
		db, err = advisory.OpenCached(dir)
		if err != nil {
			return nil, "", err
		}
		return db, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("%v; run `pyvet db update --force` to replace it", err)
	}
	m := db.Meta()
	if a.offline || m.Age(time.Now()) <= advisory.MaxAge {
		return db, "", nil
	}
	if !strings.HasPrefix(m.Source, "http://") && !strings.HasPrefix(m.Source, "https://") {
		return db, fmt.Sprintf("the advisory database was imported from %s %s ago; run `pyvet db update --from` again to refresh it",
			m.Source, m.Age(time.Now()).Round(time.Hour)), nil
	}
	if _, uerr := a.updateDB(ctx, dir); uerr != nil {
		note := fmt.Sprintf("the advisory database is %s old and could not be refreshed (%v); results may miss recent advisories",
			db.Meta().Age(time.Now()).Round(time.Hour), uerr)
		return db, note, nil
	}
	fresh, err := advisory.OpenCached(dir)
	if err != nil {
		return db, "", nil
	}
	db.Close()
	return fresh, "", nil
}

func (a *app) updateDB(ctx context.Context, dir string) (*advisory.UpdateResult, error) {
	if !a.quiet {
		fmt.Fprintln(os.Stderr, "Updating the advisory database...")
	}
	// A refresh before an audit gives up sooner than `pyvet db update`.
	opts := advisory.UpdateOptions{CacheDir: dir, Retries: 1, Timeout: 2 * time.Minute}
	if !a.quiet {
		opts.Progress = os.Stderr
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return advisory.Update(ctx, opts)
}

// writeOutput runs write on w when path is "" or "-", else on a safeio
// writer for path: a symlink's target is written and the link kept, a
// device or FIFO is written directly and never replaced, and a regular file
// is replaced atomically (keeping its mode) only once the report is
// complete, so a failed run never leaves a partial report behind.
func writeOutput(w io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(w)
	}
	f, err := safeio.Create(path, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// markRun tells the policy which checks a run of audit runs, so that an
// ignore of one of their rules that matches nothing is reported.
func markRun(pol *policy.Policy, o extraChecks) {
	if o.all {
		for _, s := range policy.Specs() {
			if s.Name != string(finding.RiskCompromise) {
				pol.MarkRun(s.Name)
			}
		}
	}
	if o.attestations {
		pol.MarkRun(string(finding.RiskCompromise))
	}
}

// writeNotes prints the notes of a run to w, one "warning:" line each.
func writeNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "pyvet: warning:", n)
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
