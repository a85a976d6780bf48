package main

import (
	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/sbom"
)

func newSBOMCmd(a *app) *cobra.Command {
	var (
		format       string
		output       string
		withVulns    bool
		dbPath       string
		outsideIncl  bool // --allow-outside-includes
		reproducible bool
		name         string
		pfl          policy.Flags
	)
	cmd := &cobra.Command{
		Use:   "sbom [PATH ...]",
		Short: "Write a CycloneDX or SPDX software bill of materials",
		Long: "sbom writes the dependencies pyvet reads from PATH (default: the current directory) as a CycloneDX 1.6\n" +
			"(JSON or XML) or SPDX 2.3 (JSON) bill of materials: every package with its purl (pkg:pypi/name@version),\n" +
			"hashes, license and the dependency graph. With --with-vulns the known vulnerabilities, from --db or the\n" +
			"database `pyvet db update` maintains, are added: as VEX in CycloneDX, as advisory references in SPDX.\n\n" +
			"Output is reproducible by default: sorted, with a serial number / namespace derived from the content and\n" +
			"the time taken from SOURCE_DATE_EPOCH (CycloneDX leaves the timestamp out when it is not set; SPDX, which\n" +
			"requires one, uses 1970-01-01). --reproducible=false uses a random serial number and the current time.",
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := sbom.ParseFormat(format)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			sopts := advisory.SourceOptions{Path: dbPath, CacheDir: a.cacheDir(), Offline: a.offline}
			if a.showProgress() {
				sopts.Progress = cmd.ErrOrStderr()
			}
			res, err := sbom.Run(cmd.Context(), sbom.RunOptions{
				Paths:       args,
				Inventory:   inventory.Options{AllowOutsideIncludes: outsideIncl},
				Document:    sbom.Options{Format: f, Reproducible: reproducible, ProjectName: name, ToolVersion: toolVersion()},
				WithVulns:   withVulns,
				Advisories:  sopts,
				PolicyFlags: pfl,
				Output:      output,
				Stdout:      cmd.OutOrStdout(),
				Warn:        func(w []string) { writeNotes(cmd.ErrOrStderr(), w) },
			})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			writeNotes(cmd.ErrOrStderr(), res.Notes)
			if output == "" || output == "-" || a.quiet {
				return nil
			}
			// The summary goes to standard error: standard output may be the document.
			sum := &report.Result{Kind: report.KindSBOM, Tool: "pyvet sbom", Version: toolVersion(),
				Files: []report.File{{Path: output, Format: string(f), Packages: res.Packages, Vulnerabilities: res.Vulnerabilities}}}
			return report.Write(cmd.ErrOrStderr(), "table", sum, report.Options{})
		},
	}
	cmd.Flags().StringVar(&format, "format", string(sbom.CycloneDXJSON), "cyclonedx-json, cyclonedx-xml or spdx-json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().BoolVar(&withVulns, "with-vulns", false, "add the known vulnerabilities (CycloneDX VEX, SPDX advisory references)")
	cmd.Flags().BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	cmd.Flags().StringVar(&dbPath, "db", "", "advisory database: OSV zip, directory or pyvet index (default: the cached one)")
	cmd.Flags().BoolVar(&reproducible, "reproducible", true, "content-derived serial number and SOURCE_DATE_EPOCH time")
	addPolicyInputFlags(cmd, &pfl)
	cmd.Flags().StringVar(&name, "name", "", "name of the root component (default: the project directory's name)")
	return cmd
}
