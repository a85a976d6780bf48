package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/safeio"
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
			inv, err := inventory.Load(args, inventory.Options{AllowOutsideIncludes: outsideIncl})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			var warnings finding.Notes
			warnings.AddAll(inv.Warnings)
			writeNotes(cmd.ErrOrStderr(), warnings.Lines())
			opts := sbom.Options{Format: f, Reproducible: reproducible, ProjectName: name, ToolVersion: toolVersion()}
			opts.FallbackName = projectName(args)
			if withVulns {
				db, err := a.openAdvisoryDB(dbPath)
				if err != nil {
					return exitWith(exitUsage, err)
				}
				defer db.Close()
				// The policy audit and fix read: ignored advisories and
				// disabled checks are left out, as audit leaves them.
				pol, err := policy.LoadForPaths(args, pfl)
				if err != nil {
					return exitWith(exitUsage, err)
				}
				var notes []string
				opts.Findings, notes = pol.Apply(vuln.Check(inv, db).Findings, time.Now())
				writeNotes(cmd.ErrOrStderr(), notes)
			}
			var buf bytes.Buffer
			if err := sbom.Write(&buf, inv, opts); err != nil {
				return exitWith(exitUsage, err)
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := safeio.WriteFile(output, buf.Bytes(), 0o644); err != nil {
				return exitWith(exitUsage, err)
			}
			if !a.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "Wrote %s (%d packages, %d vulnerabilities)\n", output, countThirdParty(inv), countVulns(opts.Findings))
			}
			return nil
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

// openAdvisoryDB opens --db, or the cached database when it is empty.
func (a *app) openAdvisoryDB(path string) (*advisory.DB, error) {
	if path != "" {
		db, err := advisory.OpenWith(path, advisory.Options{CacheDir: a.cacheDir()})
		if err != nil {
			return nil, fmt.Errorf("advisory database %s: %w", path, err)
		}
		return db, nil
	}
	db, err := advisory.OpenCached(a.cacheDir())
	if err != nil {
		return nil, fmt.Errorf("%w (run `pyvet db update` or pass --db)", err)
	}
	return db, nil
}

// projectName names the SBOM's root after the first path (its directory).
func projectName(args []string) string {
	p := "."
	if len(args) > 0 {
		p = args[0]
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "project"
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	if b := filepath.Base(abs); b != "" && b != string(filepath.Separator) && b != "." {
		return b
	}
	return "project"
}

func countThirdParty(inv *inventory.Inventory) int {
	n := 0
	for _, p := range inv.Packages {
		if !p.Project {
			n++
		}
	}
	return n
}

func countVulns(fs []finding.Finding) int {
	ids := map[string]bool{}
	for _, f := range fs {
		if f.ID != "" {
			ids[f.ID] = true
		}
	}
	return len(ids)
}
