package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/pep508"
)

func newDepsCmd(a *app) *cobra.Command {
	var (
		rf           reportFlags
		pyVersion    string
		platform     string
		allPlatforms bool
		outsideIncl  bool // --allow-outside-includes
	)
	cmd := &cobra.Command{
		Use:   "deps [PATH ...]",
		Short: "List every dependency of a project, lockfile, virtualenv or archive",
		Long: "deps prints the inventory pyvet reads from PATH (default: the current directory): every package with its\n" +
			"version or specifier, whether it is direct or transitive, its source, where it was declared, its parents,\n" +
			"extras, markers and hashes. PATH may be a project directory, any dependency file, a virtualenv,\n" +
			"a site-packages folder, a *.dist-info folder, a wheel or an sdist. Declarations whose environment marker\n" +
			"is false for --python-version / --platform are left out unless --all-platforms is given.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			opts := inventory.Options{AllowOutsideIncludes: outsideIncl}
			if !allPlatforms {
				switch platform {
				case "linux", "darwin", "win32":
				default:
					return exitWith(exitUsage, fmt.Errorf("--platform must be linux, darwin or win32, not %q", platform))
				}
				opts.Env = pep508.DefaultEnv(pyVersion, platform)
			}
			inv, err := inventory.Load(args, opts)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			// Warnings, bounded and with repeats counted, go to standard error
			// in every format; the JSON document keeps them too.
			var notes finding.Notes
			notes.AddAll(inv.Warnings)
			inv.Warnings = notes.Lines()
			writeNotes(cmd.ErrOrStderr(), inv.Warnings)
			return rf.emit(cmd, &report.Result{Kind: report.KindDeps, Tool: "pyvet deps", Version: toolVersion(), Inventory: inv}, report.Options{})
		},
	}
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().StringVar(&pyVersion, "python-version", "3.12", "target Python version for environment markers")
	cmd.Flags().StringVar(&platform, "platform", "linux", "target platform for environment markers: linux, darwin or win32")
	cmd.Flags().BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	cmd.Flags().BoolVar(&allPlatforms, "all-platforms", false, "keep every declaration whatever its environment marker")
	return cmd
}
