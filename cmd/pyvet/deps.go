package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
	"github.com/pyvet/pyvet/pep508"
)

// depsResolveFlags are deps' resolution flags, spelled as audit's.
type depsResolveFlags struct {
	resolve         bool     // --resolve
	pylock          string   // --write-pylock
	indexURL        string   // --index-url
	extraIndexURLs  []string // --extra-index-url
	uploadedPriorTo string   // --uploaded-prior-to
	pre             bool     // --pre
}

func newDepsCmd(a *app) *cobra.Command {
	var (
		rf           reportFlags
		rs           depsResolveFlags
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
			resolving := rs.resolve || rs.pylock != ""
			if resolving && allPlatforms {
				return exitWith(exitUsage, errors.New("--all-platforms cannot be combined with --resolve or --write-pylock: a resolution is for one target environment"))
			}
			switch platform {
			case "linux", "darwin", "win32":
			default:
				return exitWith(exitUsage, fmt.Errorf("--platform must be linux, darwin or win32, not %q", platform))
			}
			env := pep508.DefaultEnv(pyVersion, platform)
			var cutoff time.Time
			if rs.uploadedPriorTo != "" {
				t, err := resolve.ParseCutoff(rs.uploadedPriorTo, time.Now())
				if err != nil {
					return exitWith(exitUsage, err)
				}
				cutoff = t
			}
			opts := inventory.Options{AllowOutsideIncludes: outsideIncl}
			if !allPlatforms {
				opts.Env = env
			}
			inv, err := inventory.Load(args, opts)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if resolving {
				o := depsResolution{env: env, flags: rs, cutoff: cutoff, cacheDir: a.cacheDir(), offline: a.offline}
				if !a.quiet {
					o.progress = cmd.ErrOrStderr()
				}
				if inv, err = o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), inv); err != nil {
					return err
				}
			}
			// Warnings, bounded and with repeats counted, go to standard error
			// in every format; the JSON document keeps them too.
			var notes finding.Notes
			notes.AddAll(inv.Warnings)
			inv.Warnings = notes.Lines()
			writeNotes(cmd.ErrOrStderr(), inv.Warnings)
			if rs.pylock == "-" {
				return nil // the lock was the output
			}
			return rf.emit(cmd, &report.Result{Kind: report.KindDeps, Tool: "pyvet deps", Version: toolVersion(), Inventory: inv}, report.Options{})
		},
	}
	addReportFlags(cmd, &rf, "table")
	f := cmd.Flags()
	f.StringVar(&pyVersion, "python-version", "3.12", "target Python version for environment markers")
	f.StringVar(&platform, "platform", "linux", "target platform for environment markers: linux, darwin or win32")
	f.BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&allPlatforms, "all-platforms", false, "keep every declaration whatever its environment marker")
	f.BoolVar(&rs.resolve, "resolve", false, "resolve what PATH declares for the target environment and print the resolved graph")
	f.StringVar(&rs.pylock, "write-pylock", "", "also write the resolution as a PEP 751 pylock.toml to `FILE` (implies --resolve; - prints only the lock)")
	f.StringVar(&rs.indexURL, "index-url", "", "Simple API base to resolve from (default: the input's --index-url, else https://pypi.org/simple)")
	f.StringArrayVar(&rs.extraIndexURLs, "extra-index-url", nil, "another Simple API base to resolve from (repeatable; added to the input's)")
	f.StringVar(&rs.uploadedPriorTo, "uploaded-prior-to", "", "resolve only from files uploaded before `WHEN`: an RFC 3339 time, a date (YYYY-MM-DD) or a duration back from now (7d, 36h, 2w)")
	f.BoolVar(&rs.pre, "pre", false, "allow pre-releases and development releases")
	return cmd
}

// depsResolution is one deps --resolve run.
type depsResolution struct {
	env      pep508.Env
	flags    depsResolveFlags
	cutoff   time.Time
	cacheDir string
	offline  bool
	progress io.Writer
}

// run resolves inv's requirements and returns the resolved inventory; with
// --write-pylock it also writes the lock (to stdout for "-", instead of the
// report). A failed resolution is exit 2:
// one line naming the input, the explanation below it on stderr, and
// nothing written.
func (o depsResolution) run(ctx context.Context, stdout, stderr io.Writer, inv *inventory.Inventory) (*inventory.Inventory, error) {
	ro := resolve.InventoryOptions{Env: o.env, IndexURL: o.flags.indexURL, ExtraIndexURLs: o.flags.extraIndexURLs,
		CacheDir: o.cacheDir, Offline: o.offline, UploadedPriorTo: o.cutoff, Progress: o.progress}
	if o.flags.pre {
		ro.Prereleases = resolve.PrereleasesAllow
	}
	resolved, g, err := resolve.ResolveInventory(ctx, inv, ro)
	if err != nil {
		return nil, depsResolutionError(stderr, inv, err)
	}
	if o.flags.pylock != "" {
		reqs, constraints, _ := resolve.Requirements(inv)
		po := resolve.PylockOptions{Env: o.env, Requirements: reqs, Constraints: constraints,
			IndexURL: resolve.IndexURLFor(inv, ro), ExtraIndexURLs: resolve.ExtraIndexURLsFor(inv, ro)}
		if o.flags.pylock == "-" {
			data, err := resolve.MarshalPylock(g, po)
			if err != nil {
				return nil, exitWith(exitUsage, fmt.Errorf("pylock.toml: %w", err))
			}
			_, err = stdout.Write(data)
			return resolved, err
		}
		if err := resolve.WritePylock(o.flags.pylock, g, po); err != nil {
			return nil, exitWith(exitUsage, fmt.Errorf("%s: %w", o.flags.pylock, err))
		}
		if o.progress != nil {
			fmt.Fprintf(o.progress, "wrote %s (%d packages)\n", o.flags.pylock, len(g.Packages))
		}
	}
	return resolved, nil
}

// maxExplanationLines bounds the explanation of a conflict on stderr.
const maxExplanationLines = 200

// depsResolutionError reports a failed resolution on stderr, as exit 2: a
// line naming the inputs, then the explanation of a conflict below it.
func depsResolutionError(stderr io.Writer, inv *inventory.Inventory, err error) error {
	input := resolve.InputName(inv)
	var ns *resolve.NoSolutionError
	var inc *resolve.IncompleteError
	switch {
	case errors.As(err, &ns):
		fmt.Fprintln(stderr, "pyvet: "+errorLine(fmt.Errorf("%s: the requirements cannot be resolved together:", input)))
		lines := strings.Split(strings.TrimSpace(ns.Explanation), "\n")
		for i, l := range lines {
			if i == maxExplanationLines {
				fmt.Fprintf(stderr, "  … (%d more lines)\n", len(lines)-i)
				break
			}
			fmt.Fprintln(stderr, "  "+finding.Clip(l, maxError))
		}
		return exitWith(exitUsage, nil)
	case errors.As(err, &inc):
		return exitWith(exitUsage, fmt.Errorf("%s: %w", input, inc))
	}
	return exitWith(exitUsage, err)
}
