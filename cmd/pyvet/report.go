package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/safeio"
)

// reportFlags are the output flags of every command that reports through
// internal/report: -f/--format and -o/--output.
type reportFlags struct {
	format string
	output string
}

// addReportFlags adds -f/--format (default def) and -o/--output to cmd.
func addReportFlags(cmd *cobra.Command, rf *reportFlags, def string) {
	addReportFlagSet(cmd.Flags(), rf, def)
}

// addReportFlagSet adds -f/--format (default def) and -o/--output to fs
// (a command's persistent flags, for every subcommand).
func addReportFlagSet(fs *pflag.FlagSet, rf *reportFlags, def string) {
	fs.StringVarP(&rf.format, "format", "f", def, "output format: "+strings.Join(report.Formats(), ", "))
	fs.StringVarP(&rf.output, "output", "o", "", "write the report to FILE instead of standard output")
}

// check refuses an unknown format (exit 2); call it before any work.
func (rf *reportFlags) check() error {
	if err := report.CheckFormat(rf.format); err != nil {
		return exitWith(exitUsage, err)
	}
	return nil
}

// toStdout reports whether the report goes to standard output.
func (rf *reportFlags) toStdout() bool { return rf.output == "" || rf.output == "-" }

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
// as it was.
func (rf *reportFlags) stream(cmd *cobra.Command, opts report.Options, send func(report.Handler) error) error {
	if err := rf.check(); err != nil {
		return err
	}
	if rf.toStdout() {
		h, _ := report.New(cmd.OutOrStdout(), rf.format, opts)
		if err := send(h); err != nil {
			return exitWith(exitUsage, err)
		}
		return nil
	}
	f, err := safeio.Create(rf.output, 0o644)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	h, _ := report.New(f, rf.format, opts)
	if err := send(h); err != nil {
		f.Abort()
		return exitWith(exitUsage, err)
	}
	if err := f.Commit(); err != nil {
		return exitWith(exitUsage, err)
	}
	return nil
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
		desc    bool
		aliases bool
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
			opts := report.Options{Desc: desc, Aliases: aliases, ShowIgnored: ignored, Title: title}
			return rf.emit(cmd, res, opts)
		},
	}
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().BoolVar(&desc, "desc", false, "include advisory descriptions")
	cmd.Flags().BoolVar(&aliases, "aliases", false, "include advisory aliases")
	cmd.Flags().BoolVar(&ignored, "show-ignored", false, "list ignored findings too")
	cmd.Flags().StringVar(&title, "title", "", "report title (html, markdown)")
	return cmd
}
