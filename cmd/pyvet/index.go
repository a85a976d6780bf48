package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/check/typosquat"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/report"
)

func newPypiCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pypi",
		Short: "Look up packages on the package index and manage the popularity list",
		Long: "pypi queries the package index the health, license, size and name-confusion checks use\n" +
			"(responses are cached under the cache directory; --offline reads only the cache).",
	}
	cmd.AddCommand(newPypiInfoCmd(a), newPypiPopularityCmd(a))
	return cmd
}

// indexClient returns the index client the pypi commands use.
func (a *app) indexClient(indexURL string) *pypi.Client {
	o := pypi.Options{CacheDir: pypi.DefaultCacheDir(a.cacheDir()), Offline: a.offline}
	if a.showProgress() {
		o.Progress = os.Stderr
	}
	c := pypi.New(o)
	if indexURL != "" {
		c = c.WithIndex(indexURL)
	}
	return c
}

func newPypiInfoCmd(a *app) *cobra.Command {
	var (
		asJSON   bool
		rf       reportFlags
		indexURL string
	)
	cmd := &cobra.Command{
		Use:   "info NAME[==VERSION]",
		Short: "Show what the index knows about a package",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				rf.format = "json"
			}
			if err := rf.check(); err != nil {
				return err
			}
			name, version, _ := strings.Cut(args[0], "==")
			if strings.TrimSpace(name) == "" {
				return exitWith(exitUsage, fmt.Errorf("pypi info: empty package name"))
			}
			ctx := cmd.Context()
			idx := a.indexClient(indexURL)
			proj, err := idx.Project(ctx, name)
			if err == nil && version != "" {
				var rel *pypi.Project
				if rel, err = idx.Release(ctx, name, version); err == nil {
					proj.Info = rel.Info
				}
			}
			if errors.Is(err, pypi.ErrNotFound) {
				return exitWith(exitFindings, fmt.Errorf("%s: not found on %s", args[0], idx.Options().JSONURL))
			}
			if err != nil {
				return exitWith(exitUsage, err)
			}
			s := report.PackageInfoOf(proj)
			if page, err := idx.Simple(ctx, name); err == nil {
				s.Status = page.ProjectStatus
			}
			if pop, err := typosquat.LoadPopularity(typosquat.PopularityPath(a.cacheDir())); err == nil {
				if r, ok := pop.Rank(name); ok {
					s.PopularityRank = r + 1
				}
			}
			return rf.emit(cmd, &report.Result{Kind: report.KindPackageInfo, Tool: "pyvet pypi info", Version: toolVersion(), Package: &s}, report.Options{})
		},
	}
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (-f json)")
	cmd.Flags().StringVar(&indexURL, "index-url", "", "Simple API base of another index (the JSON API is derived from it)")
	return cmd
}

func newPypiPopularityCmd(a *app) *cobra.Command {
	var (
		url  string
		from string
		rf   reportFlags
	)
	cmd := &cobra.Command{
		Use:   "popularity",
		Short: "Download (or import) the list of the most downloaded PyPI packages",
		Long: "popularity installs the list the name-confusion check compares names with: downloaded from --url\n" +
			"(default " + typosquat.DefaultPopularityURL + ")\n" +
			"or imported from a local copy with --from. A broken download keeps the previous list.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			var path string
			var err error
			switch {
			case from != "":
				path, err = typosquat.ImportPopularity(from, a.cacheDir())
			case a.offline:
				return exitWith(exitUsage, errors.New("pypi popularity needs the network, but --offline was given (use --from FILE)"))
			default:
				path, err = typosquat.UpdatePopularity(cmd.Context(), url, a.cacheDir())
			}
			if err != nil {
				return exitWith(exitUsage, err)
			}
			pop, err := typosquat.LoadPopularity(path)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			return rf.emit(cmd, &report.Result{Kind: report.KindPopularity, Tool: "pyvet pypi popularity", Version: toolVersion(),
				Files: []report.File{{Path: path, Format: "popularity", Packages: pop.Len()}}, Meta: map[string]string{"updated": pop.Updated}}, report.Options{})
		},
	}
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().StringVar(&url, "url", typosquat.DefaultPopularityURL, "where to download the list")
	cmd.Flags().StringVar(&from, "from", "", "import a local copy instead of downloading")
	return cmd
}
