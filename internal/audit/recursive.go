package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/report"
)

// Bounds of a walk over a tree (audit -R).
const (
	// MaxProjects is the most projects RunRecursive audits in one run; a
	// tree with more is refused rather than audited in part.
	MaxProjects = 10000
	// MaxDepth is how many directory levels below the root the walk
	// descends; deeper directories are not searched (with a note).
	MaxDepth = 32
	// MaxDirs is the most directories the walk reads; a tree with more is
	// refused.
	MaxDirs = 200000
)

// skipDirs are directories the walk never enters: version control data,
// JavaScript dependencies, byte-code caches. Hidden directories (a leading
// dot) and Python environments (see inventory.Detect) are skipped too.
var skipDirs = map[string]bool{"node_modules": true, "__pycache__": true, "site-packages": true, "dist-packages": true}

// ProjectRun is the audit of one project of a tree.
type ProjectRun struct {
	// Dir is the project's directory relative to the root, with forward
	// slashes ("." for the root itself).
	Dir string
	// Result is the project's audit; nil when Err is set.
	Result *Result
	// Err says why the project could not be audited (a dependency file
	// that does not parse, an unreadable policy file).
	Err error
}

// RecursiveResult is the outcome of an audit over a tree.
type RecursiveResult struct {
	// Root is the tree's root, absolute.
	Root string
	// Projects are the projects found, in path order.
	Projects []ProjectRun
	// Notes are the walk's warnings (depth reached, nothing found).
	Notes []string
}

// Errors counts the projects that could not be audited.
func (r *RecursiveResult) Errors() int {
	n := 0
	for _, p := range r.Projects {
		if p.Err != nil {
			n++
		}
	}
	return n
}

// Failed reports whether a project fails its own policy's gate.
func (r *RecursiveResult) Failed() bool {
	for _, p := range r.Projects {
		if p.Result != nil && p.Result.Failed {
			return true
		}
	}
	return false
}

// ExitCode is the run's exit status: 2 when a project could not be audited,
// else 1 when a project fails its gate, else 0.
func (r *RecursiveResult) ExitCode() int {
	switch {
	case r.Errors() > 0:
		return 2
	case r.Failed():
		return 1
	}
	return 0
}

// Unaudited lists, with Strict, the packages of every project that could
// not be audited exactly, each prefixed with its project.
func (r *RecursiveResult) Unaudited() []string {
	var out []string
	for _, p := range r.Projects {
		if p.Result == nil {
			continue
		}
		for _, u := range p.Result.Unaudited {
			out = append(out, p.Dir+": "+u)
		}
	}
	return out
}

// Report returns the run as the report layer's document: every project's
// findings tagged with its project, the inventories merged, one
// report.ProjectResult per project and the run's total. File paths stay
// absolute; render with report.Options.BaseDir set to Root to show them
// relative to the tree.
func (r *RecursiveResult) Report(version string) *report.Result {
	out := &report.Result{Tool: "pyvet audit", Version: version, Skipped: map[string]string{}, Meta: map[string]string{"root": r.Root}}
	var invs []*inventory.Inventory
	var notes finding.Notes
	// A note every audited project gives (the database is old, a list to
	// install, said first by each) is the run's, said once and first; then
	// the walk's; the others are said with their project.
	common := commonNotes(r.Projects)
	notes.AddAll(common)
	notes.AddAll(r.Notes)
	var policies, failOn []string
	for _, p := range r.Projects {
		pr := report.ProjectResult{Path: p.Dir}
		if p.Err != nil {
			// The tree's paths relative to its root, as the report shows them.
			msg := strings.ReplaceAll(p.Err.Error(), r.Root+string(filepath.Separator), "")
			pr.Error = finding.Clip(strings.Join(strings.Fields(msg), " "), 1000)
			pr.Summary = report.Summarize(&report.Result{})
			out.Failed = true
			out.Projects = append(out.Projects, pr)
			continue
		}
		res := p.Result
		pr.Summary = report.Summarize(res.Report(version))
		out.Projects = append(out.Projects, pr)
		for _, f := range res.Findings {
			f.Project = p.Dir
			out.Findings = append(out.Findings, f)
		}
		for _, n := range res.Notes {
			if !slices.Contains(common, n) {
				notes.Add(p.Dir + ": " + n)
			}
		}
		for k, v := range res.Skipped {
			out.Skipped[k] = v
		}
		invs = append(invs, res.Inventory)
		out.Failed = out.Failed || res.Failed
		// The database is the same for every project: its first record.
		for _, k := range []string{"database", "database_advisories", "database_sha256", "database_age"} {
			if _, ok := out.Meta[k]; !ok && res.Meta[k] != "" {
				out.Meta[k] = res.Meta[k]
			}
		}
		if pol := res.Meta["policy"]; pol != "" {
			policies = append(policies, pol)
		}
		failOn = append(failOn, res.Meta["fail_on"])
	}
	out.Inventory = inventory.Merge(invs...)
	finding.Sort(out.Findings)
	out.Notes = notes.Lines()
	if len(policies) > 0 {
		out.Meta["policy"] = strings.Join(uniq(policies), ", ")
	}
	if f := uniq(failOn); len(f) == 1 {
		out.Meta["fail_on"] = f[0]
	} else if len(f) > 1 {
		out.Meta["fail_on"] = "per project (" + strings.Join(f, ", ") + ")"
	}
	out.Meta["projects"] = fmt.Sprint(len(r.Projects))
	return out
}

// RunRecursive audits every project under o.Paths[0], a directory: each
// directory that holds a dependency file pyvet reads in a project (see
// inventory.FileFormat.ProjectFiles) is audited on its own by Run, with
// the policy that applies to it (its own pyvet.toml or [tool.pyvet]). The
// walk skips hidden directories, node_modules, __pycache__, virtualenvs
// and other Python environments, and does not follow symbolic links to
// directories (a link cannot lead the walk out of the tree or round a
// loop). A project that cannot be audited is recorded with its error and
// the run goes on. The error is the run's failure: a root that is not a
// directory, a tree with no project or more than MaxProjects, a canceled
// context.
func RunRecursive(ctx context.Context, o Options) (*RecursiveResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(o.Paths) == 0 {
		o.Paths = []string{"."}
	}
	if len(o.Paths) != 1 {
		return nil, errors.New("--recursive takes one directory")
	}
	root, err := filepath.Abs(o.Paths[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", o.Paths[0], err)
	}
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("%s: %v", o.Paths[0], pathErr(err))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: --recursive needs a directory", o.Paths[0])
	}
	dirs, notes, err := FindProjects(ctx, root)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s: no projects found (no directory below it holds a dependency file pyvet reads)", o.Paths[0])
	}
	out := &RecursiveResult{Root: root, Notes: notes}
	if o.Service == "" && o.Source == nil {
		// One database for the whole tree: opening it is most of the
		// cost of auditing a project. A service answers per inventory.
		src, srcNotes, err := openSource(ctx, o, nil)
		if err != nil {
			return nil, err
		}
		defer src.Close()
		o.Source = src
		out.Notes = append(out.Notes, srcNotes...)
	}
	for i, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "pyvet: project %d/%d: %s\n", i+1, len(dirs), relSlash(root, dir))
		}
		po := o
		po.Paths = []string{dir}
		res, err := Run(ctx, po)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out.Projects = append(out.Projects, ProjectRun{Dir: relSlash(root, dir), Result: res, Err: err})
	}
	return out, nil
}

// FindProjects walks the tree under root (absolute) and returns the
// project directories in it, sorted, and notes about what the walk left
// out. See RunRecursive for what is skipped.
func FindProjects(ctx context.Context, root string) ([]string, []string, error) {
	var projects []string
	// claimed are the files the projects found so far read: a directory
	// whose files a project above it reads already (requirements/ of a
	// project reading requirements/*.txt) is part of that project.
	claimed := map[string]bool{}
	deep := 0
	visited := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		visited++
		if visited > MaxDirs {
			return fmt.Errorf("%s: more than %d directories; audit a smaller tree", root, MaxDirs)
		}
		if newProject(dir, claimed) {
			projects = append(projects, dir)
			if len(projects) > MaxProjects {
				return fmt.Errorf("%s: more than %d projects; audit a smaller tree", root, MaxProjects)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			if dir == root {
				return fmt.Errorf("%s: %v", root, pathErr(err))
			}
			return nil // an unreadable subdirectory holds no project we can read
		}
		for _, e := range entries {
			// DirEntry types come from lstat: a symbolic link is never a
			// directory here, so links are not followed.
			if !e.IsDir() || skipDir(e.Name()) {
				continue
			}
			sub := filepath.Join(dir, e.Name())
			if inventory.Detect(sub) != inventory.FormatProject {
				continue // a virtualenv, site-packages, conda-meta, *.dist-info
			}
			if depth+1 > MaxDepth {
				deep++
				continue
			}
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, nil, err
	}
	sort.Strings(projects)
	var notes []string
	if deep > 0 {
		notes = append(notes, fmt.Sprintf("%d directories deeper than %d levels below %s were not searched for projects", deep, MaxDepth, root))
	}
	return projects, notes, nil
}

// skipDir reports whether the walk leaves a directory of this name out.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || skipDirs[name]
}

// newProject reports whether dir holds a dependency file a project scan
// reads (the formats' own ProjectFiles, the list inventory.Load uses) that
// no project found before reads, and claims its files.
func newProject(dir string, claimed map[string]bool) bool {
	found := false
	for _, f := range inventory.Formats() {
		if f.ProjectFiles == nil {
			continue
		}
		for _, p := range f.ProjectFiles(dir) {
			abs := p
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(dir, p)
			}
			abs = filepath.Clean(abs)
			if !claimed[abs] {
				claimed[abs] = true
				found = true
			}
		}
	}
	return found
}

// relSlash is dir relative to root with forward slashes.
func relSlash(root, dir string) string {
	r, err := filepath.Rel(root, dir)
	if err != nil {
		return filepath.ToSlash(dir)
	}
	return filepath.ToSlash(r)
}

// pathErr is the reason of a file system error, without the path it
// repeats.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// commonNotes returns the notes every audited project gives, in the order
// of the first (none when fewer than two projects were audited).
func commonNotes(ps []ProjectRun) []string {
	var first []string
	count := map[string]int{}
	audited := 0
	for _, p := range ps {
		if p.Result == nil {
			continue
		}
		audited++
		if first == nil {
			first = p.Result.Notes
		}
		for _, n := range uniq(p.Result.Notes) {
			count[n]++
		}
	}
	if audited < 2 {
		return nil
	}
	var out []string
	for _, n := range uniq(first) {
		if count[n] == audited {
			out = append(out, n)
		}
	}
	return out
}

// uniq returns the distinct strings of xs, in first-seen order, without
// empty ones.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
