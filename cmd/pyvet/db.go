package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/typosquat"
)

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local advisory database",
		Long: "db maintains the OSV advisory database audit uses offline. It lives in the cache directory\n" +
			"(--cache-dir, $PYVET_CACHE_DIR or the user cache directory) as a compact index.",
	}
	cmd.AddCommand(newDBUpdateCmd(a), newDBStatusCmd(a))
	return cmd
}

func newDBUpdateCmd(a *app) *cobra.Command {
	var (
		url     string
		from    string
		force   bool
		timeout time.Duration
		retries int
		popURL  string
		noPop   bool
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the PyPI advisory export (or import a local one)",
		Long: "update downloads OSV's export of every PyPI advisory (--url, $" + advisory.EnvURL + ", default\n" +
			advisory.DefaultURL + ") and installs it atomically: a failed or corrupt download leaves\n" +
			"the current database as it was. The server is asked whether the export changed since the last download.\n" +
			"--from installs a local OSV zip or directory (such as a clone of pypa/advisory-database) instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if from != "" {
				m, err := advisory.Import(a.cacheDir(), from)
				if err != nil {
					return exitWith(exitUsage, err)
				}
				fmt.Fprintf(out, "Imported %d advisories (%d packages) from %s into %s\n", m.Count, m.Packages, from, advisory.CachedPath(a.cacheDir()))
				return nil
			}
			if a.offline {
				return exitWith(exitUsage, errors.New("db update needs the network, but --offline was given (use --from PATH to import a local export)"))
			}
			ctx := cmd.Context()
			opts := advisory.UpdateOptions{URL: url, CacheDir: a.cacheDir(), Force: force, Timeout: timeout, Retries: retries}
			if !a.quiet {
				opts.Progress = cmd.ErrOrStderr()
			}
			res, err := advisory.Update(ctx, opts)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if res.NotModified {
				fmt.Fprintf(out, "Advisory database is current (%d advisories, %s)\n", res.Meta.Count, res.Meta.Source)
				a.updatePopularity(ctx, cmd, popURL, noPop)
				return nil
			}
			fmt.Fprintf(out, "Updated advisory database: %d advisories (%d withdrawn), %d packages, %s downloaded from %s\n",
				res.Meta.Count, res.Meta.Withdrawn, res.Meta.Packages, byteSize(res.Bytes), res.Meta.Source)
			a.updatePopularity(ctx, cmd, popURL, noPop)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "export URL (default: $"+advisory.EnvURL+" or "+advisory.DefaultURL+")")
	cmd.Flags().StringVar(&from, "from", "", "install a local OSV zip or directory instead of downloading")
	cmd.Flags().BoolVar(&force, "force", false, "download even if the server says nothing changed")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "time limit for each download attempt")
	cmd.Flags().IntVar(&retries, "retries", 3, "retries after a network error or a server error")
	cmd.Flags().StringVar(&popURL, "popularity-url", "", "popularity list for the name-confusion check (default "+typosquat.DefaultPopularityURL+")")
	cmd.Flags().BoolVar(&noPop, "no-popularity", false, "do not refresh the popularity list")
	return cmd
}

// updatePopularity refreshes the list of the most-downloaded packages that the
// name-confusion check compares names with. A failure is reported but does
// not fail the advisory update; the previous list stays in place.
func (a *app) updatePopularity(ctx context.Context, cmd *cobra.Command, url string, skip bool) {
	if skip {
		return
	}
	path, err := typosquat.UpdatePopularity(ctx, url, a.cacheDir())
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: warning: popularity list not refreshed: %v\n", err)
		return
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Updated the popularity list in %s\n", path)
}

func newDBStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the source, date, size and age of the advisory database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := advisory.ReadStatus(a.cacheDir(), time.Now())
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
