package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/typosquat"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/report"
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
		rf      reportFlags
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the PyPI advisory export (or import a local one)",
		Long: "update downloads OSV's export of every PyPI advisory (--url, $" + advisory.EnvURL + ", default\n" +
			advisory.DefaultURL + ") and installs it atomically: a failed or corrupt download leaves\n" +
			"the current database as it was. The server is asked whether the export changed since the last download.\n" +
			"--from installs a local OSV zip or directory (such as a clone of pypa/advisory-database) instead;\n" +
			"the same file again (same path, same SHA-256) is not rebuilt. Without network, db update exits 3.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			meta := map[string]string{}
			if from != "" {
				res, err := advisory.ImportWith(advisory.ImportOptions{CacheDir: a.cacheDir(), Path: from, Force: force})
				if err != nil {
					return exitWith(exitUsage, err)
				}
				meta["update"], meta["from"] = "imported", from
				if res.NotModified {
					// The installed database was built from this file.
					meta["update"] = "current"
				}
				return a.emitDBStatus(cmd, &rf, "pyvet db update", meta)
			}
			if a.offline {
				return exitWith(exitUsage, errors.New("db update needs the network, but --offline was given; "+fromRemedy))
			}
			ctx := cmd.Context()
			opts := advisory.UpdateOptions{URL: url, CacheDir: a.cacheDir(), Force: force, Timeout: timeout, Retries: retries}
			if a.showProgress() {
				opts.Progress = cmd.ErrOrStderr()
			}
			res, err := advisory.Update(ctx, opts)
			if errors.Is(err, httpx.ErrNetwork) {
				return fmt.Errorf("%w; without network, %s", err, fromRemedy)
			}
			if err != nil {
				return exitWith(exitUsage, err)
			}
			meta["update"] = "current"
			if !res.NotModified {
				meta["update"], meta["downloaded_bytes"] = "updated", strconv.FormatInt(res.Bytes, 10)
			}
			if !noPop {
				// A failure is reported but does not fail the advisory update;
				// the previous list stays in place.
				path, err := typosquat.UpdatePopularity(ctx, popURL, a.cacheDir())
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "pyvet: warning: popularity list not refreshed: %v\n", err)
				} else {
					meta["popularity_list"] = path
				}
			}
			return a.emitDBStatus(cmd, &rf, "pyvet db update", meta)
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "export URL (default: $"+advisory.EnvURL+" or "+advisory.DefaultURL+")")
	cmd.Flags().StringVar(&from, "from", "", "install a local OSV zip or directory instead of downloading")
	cmd.Flags().BoolVar(&force, "force", false, "download even if the server says nothing changed (with --from: rebuild even if the file is the one installed)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "time limit for each download attempt")
	cmd.Flags().IntVar(&retries, "retries", 3, "retries after a network error or a server error")
	cmd.Flags().StringVar(&popURL, "popularity-url", "", "popularity list for the name-confusion check (default "+typosquat.DefaultPopularityURL+")")
	cmd.Flags().BoolVar(&noPop, "no-popularity", false, "do not refresh the popularity list")
	addReportFlags(cmd, &rf, "table")
	return cmd
}

// fromRemedy is how to install the advisory database without network.
const fromRemedy = "install a copy with `pyvet db update --from FILE` (OSV's PyPI all.zip or a directory of OSV files)"

// emitDBStatus reports the status of the cached advisory database; meta
// says what db update did (update: imported, current or updated).
func (a *app) emitDBStatus(cmd *cobra.Command, rf *reportFlags, tool string, meta map[string]string) error {
	st, err := advisory.ReadStatus(a.cacheDir(), time.Now())
	if err != nil {
		return exitWith(exitUsage, err)
	}
	return rf.emit(cmd, &report.Result{Kind: report.KindDBStatus, Tool: tool, Version: toolVersion(), Database: st, Meta: meta}, report.Options{})
}

func newDBStatusCmd(a *app) *cobra.Command {
	var rf reportFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the source, date, size and age of the advisory database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				rf.format = "json"
			}
			if err := rf.check(); err != nil {
				return err
			}
			return a.emitDBStatus(cmd, &rf, "pyvet db status", nil)
		},
	}
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON (-f json)")
	return cmd
}
