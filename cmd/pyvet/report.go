package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/sbom"
)

// reportFlags are the output flags of every command that reports through
// internal/report: -f/--format and -o/--output.
type reportFlags struct {
	format string // a report format (report.Formats) or, with sbom, an SBOM format
	output string
	// sbom: the command's run lists packages, so -f also takes the bill of
	// materials formats (internal/sbom; pip-audit's -f cyclonedx-json).
	sbom bool
}

// formatAliases are other names of the report formats, for every command:
// pip-audit's columns and fix's former text are the table.
var formatAliases = map[string]string{"columns": "table", "text": "table"}

// addReportFlags adds -f/--format (default def) and -o/--output to cmd.
func addReportFlags(cmd *cobra.Command, rf *reportFlags, def string) {
	addReportFlagSet(cmd.Flags(), rf, def)
}

// addInventoryReportFlags is addReportFlags for a command whose run lists
// packages (audit, deps): -f also takes cyclonedx-json, cyclonedx-xml and
// spdx-json, the bill of materials internal/sbom writes, with the run's
// vulnerabilities (ignored ones left out) as CycloneDX VEX or SPDX
// advisory references.
func addInventoryReportFlags(cmd *cobra.Command, rf *reportFlags, def string) {
	rf.sbom = true
	addReportFlagSet(cmd.Flags(), rf, def)
}

// addReportFlagSet adds -f/--format (default def) and -o/--output to fs
// (a command's persistent flags, for every subcommand).
func addReportFlagSet(fs *pflag.FlagSet, rf *reportFlags, def string) {
	rf.format = def
	names := strings.Join(report.Formats(), ", ") + " (columns = table)"
	if rf.sbom {
		names += ", " + strings.Join(sbom.Formats(), ", ")
	}
	fs.VarP(formatValue{rf}, "format", "f", "output format: "+names)
	fs.StringVarP(&rf.output, "output", "o", "", "write the report to FILE instead of standard output (- or stdout: standard output)")
}

// formatValue is -f: setting it checks the name, so a bad value fails
// before any work, on the command line as in an environment variable.
type formatValue struct{ rf *reportFlags }

func (v formatValue) String() string { return v.rf.format }
func (v formatValue) Type() string   { return "format" }

// Set takes a format name, any case, or an alias of one.
func (v formatValue) Set(s string) error {
	name, err := v.rf.parseFormat(s)
	if err != nil {
		return err
	}
	v.rf.format = name
	return nil
}

// parseFormat returns the format s names (an alias resolved, lower case).
func (rf *reportFlags) parseFormat(s string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if a, ok := formatAliases[name]; ok {
		name = a
	}
	if rf.sbom {
		if f, err := sbom.ParseFormat(name); err == nil {
			return string(f), nil
		}
	}
	if report.CheckFormat(name) != nil {
		want := append(report.Formats(), "columns")
		if rf.sbom {
			want = append(want, sbom.Formats()...)
		}
		return "", fmt.Errorf("unknown format %q (want one of %s)", s, strings.Join(want, ", "))
	}
	return name, nil
}

// check refuses an unknown format (exit 2); call it before any work.
func (rf *reportFlags) check() error {
	name, err := rf.parseFormat(rf.format)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	rf.format = name
	return nil
}

// sbomFormat reports whether the format is a bill of materials.
func (rf *reportFlags) sbomFormat() (sbom.Format, bool) {
	if !rf.sbom {
		return "", false
	}
	f, err := sbom.ParseFormat(rf.format)
	return f, err == nil
}

// toStdout reports whether the report goes to standard output: no -o,
// "-", or pip-audit's "stdout".
func (rf *reportFlags) toStdout() bool {
	return rf.output == "" || rf.output == "-" || rf.output == "stdout"
}

// summaryOnStderr reports whether the run's summary line (report.SummaryLine)
// goes to standard error: when the report is not the table on standard
// output (which ends with that line) and -q is not given.
func (rf *reportFlags) summaryOnStderr(cmd *cobra.Command) bool {
	if quiet, err := cmd.Flags().GetBool("quiet"); err == nil && quiet {
		return false
	}
	return !rf.toStdout() || rf.format != "table"
}

// emit writes a whole run in the chosen format to standard output, or to
// --output through safeio: a symlink's target is written and the link
// kept, a device or FIFO is written directly, and a regular file is
// replaced atomically only once the report is complete.
func (rf *reportFlags) emit(cmd *cobra.Command, res *report.Result, opts report.Options) error {
	return rf.stream(cmd, opts, func(h report.Handler) error { return report.Emit(h, res) })
}

// stream opens the chosen format's handler on the output and runs send,
// which sends the run's messages and flushes the handler (report.Emit
// does both). A failure is a usage error (exit 2); a file output is left
// as it was. The summary line of an audit goes to standard error once the
// report is written, when the report does not show it (summaryOnStderr).
func (rf *reportFlags) stream(cmd *cobra.Command, opts report.Options, send func(report.Handler) error) error {
	if err := rf.check(); err != nil {
		return err
	}
	var out io.Writer = cmd.OutOrStdout()
	var file *safeio.Writer
	if !rf.toStdout() {
		f, err := safeio.Create(rf.output, 0o644)
		if err != nil {
			return exitWith(exitUsage, err)
		}
		file, out = f, f
	}
	var summary bytes.Buffer
	var err error
	// The files the run read: the report must not replace one of them.
	inputs := &inputFiles{}
	if f, ok := rf.sbomFormat(); ok {
		err = writeBOM(out, &summary, f, func(h report.Handler) error { return send(report.Tee(h, inputs)) })
	} else {
		h, _ := report.New(out, rf.format, opts)
		err = send(report.Tee(h, report.NewSummary(&summary), inputs))
	}
	if err == nil && file != nil {
		err = rf.outputOver(inputs.paths)
	}
	if err != nil {
		if file != nil {
			file.Abort()
		}
		return exitWith(exitUsage, err)
	}
	if file != nil {
		if err := file.Commit(); err != nil {
			return exitWith(exitUsage, err)
		}
	}
	if rf.summaryOnStderr(cmd) {
		cmd.ErrOrStderr().Write(summary.Bytes())
	}
	return nil
}

// inputFiles is a handler that keeps only the source files of the run's
// inventory.
type inputFiles struct {
	report.Collector // keeps nothing it needs; Inventory and the findings are overridden
	paths            []string
}

// Inventory notes the files read.
func (in *inputFiles) Inventory(inv *inventory.Inventory) error {
	for _, s := range inv.Sources {
		in.paths = append(in.paths, s.Path)
	}
	return nil
}

// Finding implements report.Handler; no finding is kept.
func (in *inputFiles) Finding(*finding.Finding) error { return nil }

// Findings implements report.FindingsHandler; no finding is kept.
func (in *inputFiles) Findings([]finding.Finding) error { return nil }

// outputOver returns the error of an -o that names one of paths (the same
// file, symlinks followed), nil otherwise (also for standard output).
func (rf *reportFlags) outputOver(paths []string) error {
	if rf.toStdout() {
		return nil
	}
	ost, err := os.Stat(rf.output)
	if err != nil {
		return nil
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && os.SameFile(st, ost) {
			return fmt.Errorf("-o %s: is %s, a file the run reads; write the report elsewhere", rf.output, p)
		}
	}
	return nil
}

// refuseOutputOver is outputOver as a usage error (exit 2), for a command
// that writes its inputs (fix) to call before it writes any.
func (rf *reportFlags) refuseOutputOver(paths []string) error {
	if err := rf.outputOver(paths); err != nil {
		return exitWith(exitUsage, err)
	}
	return nil
}

// writeBOM writes the run send sends as a bill of materials in format f
// (internal/sbom's writer): its packages and, as VEX (CycloneDX) or
// advisory references (SPDX), its vulnerabilities that are not ignored.
// The summary line of an audit is written to summary.
func writeBOM(w, summary io.Writer, f sbom.Format, send func(report.Handler) error) error {
	var c report.Collector
	if err := send(report.Tee(&c, report.NewSummary(summary))); err != nil {
		return err
	}
	res := &c.Result
	if res.Inventory == nil {
		return fmt.Errorf("format %s: the run lists no packages", f)
	}
	var paths []string
	for _, s := range res.Inventory.Sources {
		paths = append(paths, s.Path)
	}
	return sbom.Write(w, res.Inventory, sbom.Options{Format: f, Findings: res.Findings, Reproducible: true,
		ToolVersion: res.Version, FallbackName: sbom.ProjectName(paths)})
}

// maxRecordedReport caps the JSON document `report convert` reads.
const maxRecordedReport = 256 << 20

func newReportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with recorded JSON reports",
		Long: "report works with the JSON documents pyvet writes (-f json, docs/json.md): a recorded run of any command\n" +
			"can be written again in any other output format.",
	}
	cmd.AddCommand(newReportConvertCmd(a))
	return cmd
}

func newReportConvertCmd(*app) *cobra.Command {
	var (
		rf      reportFlags
		desc    = newChoice("off", true, "on", "off", "auto")
		aliases = newChoice("off", true, "on", "off", "auto")
		ignored bool
		title   string
	)
	cmd := &cobra.Command{
		Use:   "convert FILE",
		Short: "Write a recorded JSON report (-f json of any command) in another format",
		Long: "convert reads a JSON document a pyvet command wrote (FILE, or - for standard input) and writes the same\n" +
			"run in --format: the output is the one the command would have written in that format.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			var in io.Reader
			if args[0] == "-" {
				in = safeio.LimitReader(cmd.InOrStdin(), maxRecordedReport, "standard input")
			} else {
				f, err := safeio.Open(args[0], maxRecordedReport)
				if err != nil {
					return exitWith(exitUsage, err)
				}
				defer f.Close()
				in = f
			}
			res, err := report.ReadJSON(in)
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("%s: %w", args[0], err))
			}
			opts := report.Options{Desc: desc.on(rf.format), Aliases: aliases.on(rf.format), ShowIgnored: ignored, Title: title}
			return rf.emit(cmd, res, opts)
		},
	}
	addReportFlags(cmd, &rf, "table")
	addChoiceFlag(cmd.Flags(), desc, "desc", "include advisory descriptions and whole titles: on, off or auto (on for json); alone: on")
	addChoiceFlag(cmd.Flags(), aliases, "aliases", "include advisory aliases: on, off or auto (on for json); alone: on")
	cmd.Flags().BoolVar(&ignored, "show-ignored", false, "list ignored findings too")
	cmd.Flags().StringVar(&title, "title", "", "report title (html, markdown)")
	return cmd
}
