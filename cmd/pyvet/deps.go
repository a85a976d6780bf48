package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
)

func newDepsCmd(a *app) *cobra.Command {
	var (
		rf           reportFlags
		rs           resolveFlags
		resolving    bool   // --resolve
		pylock       string // --write-pylock
		indexURL     string // --index-url
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
			"is false for --python-version / --platform are left out unless --all-platforms is given.\n\n" +
			"--resolve resolves what PATH declares the way pip would install it for --python-version / --platform\n" +
			"(newest versions first, with backtracking; --index-url, --extra-index-url, --uploaded-prior-to and --pre\n" +
			"as for audit) and prints the resolved graph: each direct dependency, then what it brings in, indented,\n" +
			"with the requirement behind every edge (a subtree shown once, then \"(*)\"); -f json gives every package\n" +
			"with resolved, requires, parents and required. --write-pylock FILE (implies --resolve) also writes the\n" +
			"resolution as a PEP 751 pylock.toml (--write-pylock - prints only the lock). A resolution that fails\n" +
			"exits 2 with the reason.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			resolving = resolving || pylock != ""
			if resolving && allPlatforms {
				return exitWith(exitUsage, errors.New("--all-platforms cannot be combined with --resolve or --write-pylock: a resolution is for one target environment"))
			}
			env, err := rs.env()
			if err != nil {
				return exitWith(exitUsage, err)
			}
			var ro resolve.InventoryOptions
			if resolving {
				if ro, err = rs.options(a, indexURL, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			opts := inventory.Options{AllowOutsideIncludes: outsideIncl}
			if !allPlatforms {
				opts.Env = env
			}
			inv, err := inventory.Load(args, opts)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			var meta map[string]string
			if resolving {
				var summary string
				if inv, summary, err = resolveDeps(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), inv, ro, pylock); err != nil {
					return err
				}
				meta = map[string]string{"resolution": summary}
			}
			// Warnings, bounded and with repeats counted, go to standard error
			// in every format; the JSON document keeps them too.
			var notes finding.Notes
			notes.AddAll(inv.Warnings)
			inv.Warnings = notes.Lines()
			writeNotes(cmd.ErrOrStderr(), inv.Warnings)
			if pylock == "-" {
				return nil // the lock was the output
			}
			return rf.emit(cmd, &report.Result{Kind: report.KindDeps, Tool: "pyvet deps", Version: toolVersion(), Inventory: inv, Meta: meta}, report.Options{})
		},
	}
	addInventoryReportFlags(cmd, &rf, "table")
	f := cmd.Flags()
	addResolveFlags(f, &rs)
	f.BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&allPlatforms, "all-platforms", false, "keep every declaration whatever its environment marker")
	f.BoolVar(&resolving, "resolve", false, "resolve what PATH declares for the target environment and print the resolved graph")
	f.StringVar(&pylock, "write-pylock", "", "also write the resolution as a PEP 751 pylock.toml to `FILE` (implies --resolve; - prints only the lock)")
	f.StringVar(&indexURL, "index-url", "", "Simple API base to resolve from (default: the input's --index-url, else https://pypi.org/simple)")
	return cmd
}

// resolveDeps resolves inv's requirements with o and returns the resolved
// inventory and how it was obtained (resolve.Summary); with pylock set it also writes the lock there (to stdout for
// "-", instead of the report). A failed resolution is exit 2 with the
// reason on stderr, and nothing is written.
func resolveDeps(ctx context.Context, stdout, stderr io.Writer, inv *inventory.Inventory, o resolve.InventoryOptions, pylock string) (*inventory.Inventory, string, error) {
	resolved, g, err := resolve.ResolveInventory(ctx, inv, o)
	if err != nil {
		return nil, "", resolutionError(stderr, err, "")
	}
	summary := resolve.Summary(inv, g, o)
	if pylock == "" {
		return resolved, summary, nil
	}
	reqs, constraints, _ := resolve.Requirements(inv)
	po := resolve.PylockOptions{Env: o.Env, Requirements: reqs, Constraints: append(constraints, o.Constraints...),
		IndexURL: resolve.IndexURLFor(inv, o), ExtraIndexURLs: resolve.ExtraIndexURLsFor(inv, o)}
	if pylock == "-" {
		data, err := resolve.MarshalPylock(g, po)
		if err != nil {
			return nil, "", exitWith(exitUsage, fmt.Errorf("pylock.toml: %w", err))
		}
		_, err = stdout.Write(data)
		return resolved, summary, err
	}
	if err := resolve.WritePylock(pylock, g, po); err != nil {
		return nil, "", exitWith(exitUsage, fmt.Errorf("%s: %w", pylock, err))
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "wrote %s (%d packages)\n", pylock, len(g.Packages))
	}
	return resolved, summary, nil
}
