package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
	"github.com/pyvet/pyvet/pep440"
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
			"resolution as a PEP 751 pylock.toml. A resolution that fails exits 2 with the reason.",
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
				t, err := parseCutoff(rs.uploadedPriorTo, time.Now())
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
				if inv, err = o.run(cmd.Context(), cmd.ErrOrStderr(), inv); err != nil {
					return err
				}
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
	f := cmd.Flags()
	f.StringVar(&pyVersion, "python-version", "3.12", "target Python version for environment markers")
	f.StringVar(&platform, "platform", "linux", "target platform for environment markers: linux, darwin or win32")
	f.BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	f.BoolVar(&allPlatforms, "all-platforms", false, "keep every declaration whatever its environment marker")
	f.BoolVar(&rs.resolve, "resolve", false, "resolve what PATH declares for the target environment and print the resolved graph")
	f.StringVar(&rs.pylock, "write-pylock", "", "also write the resolution as a PEP 751 pylock.toml to `FILE` (implies --resolve)")
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
// --write-pylock it also writes the lock. A failed resolution is exit 2:
// one line naming the input, the explanation below it on stderr, and
// nothing written.
func (o depsResolution) run(ctx context.Context, stderr io.Writer, inv *inventory.Inventory) (*inventory.Inventory, error) {
	reqs, constraints, skipped := depsRequirements(inv)
	index := o.flags.indexURL
	if index == "" {
		index = inv.Index.IndexURL
	}
	if index == "" {
		index = pypi.DefaultSimpleURL
	}
	extra := append(slices.Clone(inv.Index.ExtraIndexURLs), o.flags.extraIndexURLs...)
	client := pypi.New(pypi.Options{SimpleURL: index, CacheDir: pypi.DefaultCacheDir(o.cacheDir), Offline: o.offline, Progress: o.progress})
	ix := resolve.NewIndex(client, resolve.Tags(o.env))
	if len(extra) > 0 {
		ix = ix.WithExtraIndexes(extra...)
	}
	pre := resolve.PrereleasesPip
	if o.flags.pre {
		pre = resolve.PrereleasesAllow
	}
	g, err := resolve.Resolve(ctx, reqs, resolve.Options{Provider: ix, Env: o.env, Prereleases: pre, Constraints: constraints, UploadedPriorTo: o.cutoff})
	if err != nil {
		return nil, depsResolutionError(stderr, inv, err)
	}
	if o.flags.pylock != "" {
		po := resolve.PylockOptions{Env: o.env, Requirements: reqs, Constraints: constraints, IndexURL: index, ExtraIndexURLs: extra}
		if err := resolve.WritePylock(o.flags.pylock, g, po); err != nil {
			return nil, exitWith(exitUsage, fmt.Errorf("%s: %w", o.flags.pylock, err))
		}
		if o.progress != nil {
			fmt.Fprintf(o.progress, "wrote %s (%d packages)\n", o.flags.pylock, len(g.Packages))
		}
	}
	return resolvedInventory(inv, g, skipped), nil
}

// maxExplanationLines bounds the explanation of a conflict on stderr.
const maxExplanationLines = 200

// depsResolutionError reports a failed resolution on stderr, as exit 2: a
// line naming the inputs, then the explanation of a conflict below it.
func depsResolutionError(stderr io.Writer, inv *inventory.Inventory, err error) error {
	var names []string
	for _, s := range inv.Sources {
		names = append(names, s.Path)
	}
	input := strings.Join(names, ", ")
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
		return exitWith(exitUsage, fmt.Errorf("%s: %w", input, err))
	}
	return exitWith(exitUsage, fmt.Errorf("%s: resolution failed: %w", input, err))
}

// depsRequirements returns the root requirements (direct index packages
// with their extras, specifier and marker) and the constraints of inv, and
// the packages left to the installer as declared (local, VCS and URL ones,
// the project itself) with the reason.
func depsRequirements(inv *inventory.Inventory) (reqs, constraints []*pep508.Requirement, skipped map[string]string) {
	skipped = map[string]string{}
	for _, p := range inv.Packages {
		if p == nil || !p.Direct && !p.Constraint {
			continue
		}
		switch {
		case p.Project:
			skipped[p.Name] = "the project itself"
			continue
		case p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex:
			skipped[p.Name] = string(p.Source.Kind) + " dependency: installed as declared"
			continue
		}
		s := p.Name
		if len(p.Extras) > 0 {
			s += "[" + strings.Join(p.Extras, ",") + "]"
		}
		switch {
		case p.Version != "":
			s += "==" + p.Version
		case p.Specifier != "":
			s += p.Specifier
		}
		if p.Marker != "" {
			s += "; " + p.Marker
		}
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			skipped[p.Name] = "not a requirement pip can resolve: " + finding.Clip(err.Error(), 160)
			continue
		}
		if p.Constraint {
			constraints = append(constraints, r)
		} else {
			reqs = append(reqs, r)
		}
	}
	return reqs, constraints, skipped
}

// resolvedInventory is inv with the graph's packages pinned: the roots
// direct with their declarations, every version the input did not pin
// Resolved, the edges as Requires, Parents and Required, and the files of
// the selected release; the packages left to the installer stay as declared.
func resolvedInventory(inv *inventory.Inventory, g *resolve.Graph, skipped map[string]string) *inventory.Inventory {
	out := &inventory.Inventory{Sources: inv.Sources, Index: inv.Index, Warnings: inv.Warnings}
	declared := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		if p != nil && declared[p.Name] == nil && (p.Direct || p.Constraint) {
			declared[p.Name] = p
		}
	}
	byName := map[string]*inventory.Package{}
	for _, n := range g.Packages {
		p := &inventory.Package{Name: n.Name, Version: n.Version.String(), Extras: n.Extras, Source: inventory.Source{Kind: inventory.SourceIndex}}
		if d := declared[n.Name]; d != nil {
			p.RawName, p.Specifier, p.Marker, p.Locations, p.Groups = d.RawName, d.Specifier, d.Marker, d.Locations, d.Groups
			p.Resolved = !pinnedTo(d, n.Version)
		} else {
			p.Resolved = true
		}
		for _, f := range n.Files {
			lf := inventory.File{Name: f.Filename, URL: f.URL, Size: f.Size}
			for _, algo := range slices.Sorted(maps.Keys(f.Hashes)) {
				lf.Hashes = append(lf.Hashes, strings.ToLower(algo)+":"+f.Hashes[algo])
			}
			if !f.Uploaded.IsZero() {
				lf.Uploaded = f.Uploaded.UTC().Format(time.RFC3339Nano)
			}
			p.Files = append(p.Files, lf)
		}
		byName[n.Name] = p
		out.Packages = append(out.Packages, p)
	}
	edge := func(from string, e resolve.Edge) {
		to := byName[e.To]
		if to == nil || e.Requirement == nil {
			return
		}
		if from == "" {
			to.Direct = true
		} else if f := byName[from]; f != nil && !slices.Contains(f.Requires, e.To) && from != e.To {
			f.Requires = append(f.Requires, e.To)
			to.Parents = append(to.Parents, from)
		}
		if to.Required == nil {
			to.Required = map[string]string{}
		}
		if _, ok := to.Required[from]; !ok {
			to.Required[from] = e.Requirement.String()
		}
	}
	for _, e := range g.Root {
		edge("", e)
	}
	for _, n := range g.Packages {
		for _, e := range n.Dependencies {
			edge(n.Name, e)
		}
	}
	for _, p := range out.Packages {
		slices.Sort(p.Requires)
		slices.Sort(p.Parents)
	}
	for _, p := range inv.Packages {
		if p != nil && byName[p.Name] == nil && skipped[p.Name] != "" {
			out.Packages = append(out.Packages, p)
		}
	}
	return out
}

// pinnedTo reports whether the declaration pins exactly version v.
func pinnedTo(d *inventory.Package, v pep440.Version) bool {
	if d.Version != "" {
		dv, err := pep440.Parse(d.Version)
		return err == nil && dv.String() == v.String()
	}
	s := strings.TrimSpace(d.Specifier)
	if rest, ok := strings.CutPrefix(s, "=="); ok && !strings.ContainsAny(rest, ",*") {
		dv, err := pep440.Parse(strings.TrimSpace(rest))
		return err == nil && dv.String() == v.String()
	}
	return false
}

// parseCutoff reads --uploaded-prior-to: an RFC 3339 time, a date
// (midnight UTC) or a duration back from now in days, hours or weeks.
func parseCutoff(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[:len(s)-1])
		unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if err == nil && n >= 0 && n <= 100000 && unit > 0 {
			return now.Add(-time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, fmt.Errorf("--uploaded-prior-to %s: want an RFC 3339 time, a date (YYYY-MM-DD) or a duration such as 7d, 36h or 2w", finding.Clip(s, 60))
}
