package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/remedy"
)

func init() { subcommands = append(subcommands, newFixCmd) }

func newFixCmd() *cobra.Command {
	var (
		dryRun  bool
		dbPath  string
		format  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fix [PATH ...]",
		Short: "Upgrade vulnerable dependencies in requirements files, pyproject.toml and Pipfile",
		Long: "fix finds, for each vulnerable package, the smallest upgrade that clears every known advisory, is not yanked\n" +
			"and not itself vulnerable, and fits the other constraints the project declares. It rewrites requirements\n" +
			"files, pyproject.toml (PEP 621, dependency groups, Poetry) and Pipfile in place, changing only the version\n" +
			"specifiers (comments, order, markers, extras and layout are kept). Hashed pins get the new version's hashes\n" +
			"from the index; offline they are reported as needing a --hash refresh. Lockfiles are not edited: fix prints\n" +
			"the uv, Poetry, PDM or pipenv command that upgrades them.\n\n" +
			"--dry-run prints a unified diff and writes nothing. Exit status: 0 when nothing is left to fix, 1 when a\n" +
			"dry run would change something, a package has no safe version or an upgrade needs a hand edit, 2 on bad input.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return exitWith(exitUsage, fmt.Errorf("--format must be text or json, not %q", format))
			}
			inv, err := inventory.Load(args, inventory.Options{})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			db, err := openAdvisoryDB(dbPath)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer db.Close()
			popts := pypi.Options{CacheDir: pypi.DefaultCacheDir(cacheDir()), Offline: global.offline, Timeout: timeout}
			if !global.quiet {
				popts.Progress = cmd.ErrOrStderr()
			}
			client := pypi.New(popts)
			if inv.Index.IndexURL != "" {
				client, _ = client.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
			}
			plan := remedy.Compute(context.Background(), inv, db, remedy.Options{Index: client})
			res, err := remedy.Rewrite(inv, plan)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if !dryRun {
				if err := remedy.Write(res.Files); err != nil {
					return exitWith(exitUsage, err)
				}
			}
			var buf bytes.Buffer
			switch {
			case format == "json":
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return exitWith(exitUsage, err)
				}
			case len(plan.Fixes) == 0:
				buf.WriteString("No known vulnerabilities to fix.\n")
			default:
				if dryRun {
					for _, f := range res.Files {
						buf.WriteString(f.Diff())
					}
				}
				buf.WriteString(res.Summary())
				if !dryRun && len(res.Files) > 0 {
					fmt.Fprintf(&buf, "Rewrote %d file(s).\n", len(res.Files))
				}
			}
			if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
				return err
			}
			for _, f := range plan.Fixes {
				if f.To == "" {
					return exitWith(exitFindings, nil)
				}
			}
			if len(res.Manual) > 0 || dryRun && (len(res.Files) > 0 || len(res.Commands) > 0) {
				return exitWith(exitFindings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff; write nothing")
	cmd.Flags().StringVar(&dbPath, "db", "", "advisory database: OSV zip, directory or pyvet index (default: the cached one)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "time limit for each package-index request")
	return cmd
}
