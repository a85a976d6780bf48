package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			opts := advisory.UpdateOptions{URL: url, CacheDir: a.cacheDir(), Force: force, Timeout: timeout, Retries: retries}
			if !a.quiet {
				opts.Progress = os.Stderr
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
			m, err := advisory.Status(a.cacheDir())
			if errors.Is(err, advisory.ErrNoDatabase) {
				return exitWith(exitUsage, fmt.Errorf("%v; run `pyvet db update` to download it", err))
			}
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("%v; run `pyvet db update --force` to replace it", err))
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				out := struct {
					advisory.Meta
					DataAge string `json:"data_age,omitempty"`
				}{Meta: m}
				if age, ok := m.DataAge(time.Now()); ok {
					out.DataAge = age.Round(time.Second).String()
				}
				return enc.Encode(out)
			}
			writeDBStatus(cmd.OutOrStdout(), m, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

// writeDBStatus prints the status. Age is the age of the data, how long
// before now its newest advisory was modified, not the time since the
// download: an export that is fetched every hour can still be months old.
func writeDBStatus(w io.Writer, m advisory.Meta, now time.Time) {
	fmt.Fprintf(w, "Source:      %s\n", m.Source)
	fmt.Fprintf(w, "Path:        %s\n", m.Path)
	fmt.Fprintf(w, "Advisories:  %d (%d withdrawn), %d packages\n", m.Count, m.Withdrawn, m.Packages)
	if age, ok := m.DataAge(now); ok {
		old := ""
		if age > advisory.StaleData {
			old = " (old: results may miss recent advisories)"
		}
		fmt.Fprintf(w, "Age:         %s, newest advisory modified %s%s\n", advisory.FormatAge(age), m.Newest.Format(time.RFC3339), old)
	} else {
		fmt.Fprintf(w, "Age:         unknown (no advisory has a modification time)\n")
	}
	if !m.Fetched.IsZero() {
		how := "Imported:    "
		if strings.HasPrefix(m.Source, "http://") || strings.HasPrefix(m.Source, "https://") {
			how = "Downloaded:  "
		}
		fmt.Fprintf(w, "%s%s\n", how, m.Fetched.Format(time.RFC3339))
	}
	if !m.Checked.IsZero() || !m.Fetched.IsZero() {
		stale := ""
		if m.Age(now) > advisory.MaxAge {
			stale = " (audit refreshes it unless --offline)"
		}
		t := m.Checked
		if m.Fetched.After(t) {
			t = m.Fetched
		}
		fmt.Fprintf(w, "Checked:     %s, %s ago%s\n", t.Format(time.RFC3339), advisory.FormatAge(m.Age(now)), stale)
	}
	if m.ETag != "" {
		fmt.Fprintf(w, "ETag:        %s\n", m.ETag)
	}
	fmt.Fprintf(w, "SHA-256:     %s\n", m.ContentSHA256)
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
