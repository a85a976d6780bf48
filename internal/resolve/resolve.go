package resolve

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// ErrNotFound is wrapped by a Provider's errors when the index has no such
// project (Releases) or serves no metadata for a release (Metadata). Such a
// project or release is simply not installable; any other error means the
// index could not be read, and the resolution is reported as incomplete.
var ErrNotFound = errors.New("not found on the index")

// ErrInvalidMetadata is wrapped by a Provider's Metadata errors when the
// metadata of a release was read but cannot be used (a malformed
// Requires-Dist line). The release is not installable.
var ErrInvalidMetadata = errors.New("invalid metadata")

// Provider supplies the package universe the resolver searches. It must be
// safe for concurrent use: Resolve loads the releases of a package's
// dependencies in parallel.
type Provider interface {
	// Releases returns every release of the project (any order; versions
	// that are not PEP 440 are left out by the provider).
	Releases(ctx context.Context, name string) ([]Release, error)
	// Metadata returns the core metadata of one release of the project.
	Metadata(ctx context.Context, name string, r *Release) (*Dist, error)
}

// Prefetcher is implemented by providers that can start fetching a
// release's metadata before the resolver asks for it.
type Prefetcher interface {
	Prefetch(ctx context.Context, name string, r *Release)
}

// Release is one version of a project and its distribution files.
type Release struct {
	Version pep440.Version
	Files   []File
}

// File is one distribution file (a wheel or an sdist) of a release.
type File struct {
	Filename       string
	URL            string
	Hashes         map[string]string
	RequiresPython string // the index's data-requires-python / requires-python
	Yanked         bool
	YankedReason   string
	Uploaded       time.Time // zero when the index does not say (PEP 700)
	Size           int64     // bytes, when the index says (PEP 700); 0 when unknown
}

// Dist is what the resolver needs from a release's core metadata.
type Dist struct {
	Requires       []*pep508.Requirement // Requires-Dist
	RequiresPython string                // Requires-Python ("" when none)
	ProvidesExtra  []string              // Provides-Extra, normalized
}

// Prereleases selects which pre-releases (and development releases) may be
// chosen.
type Prereleases int

const (
	// PrereleasesPip follows pip: the version chosen for a project is its
	// newest final release that fits, or a pre-release when a requirement on
	// the project mentions one with an inclusive operator (packaging's rule)
	// or when no final release fits. Where a pre-release is the only way out
	// of a conflict it is taken, where pip would report the conflict.
	PrereleasesPip Prereleases = iota
	// PrereleasesIfNecessaryOrExplicit is uv's default: a project's
	// pre-releases may be chosen when it has only pre-releases, or when a
	// requirement given to Resolve (not a transitive one) mentions one.
	PrereleasesIfNecessaryOrExplicit
	// PrereleasesAllow admits every pre-release (pip's --pre).
	PrereleasesAllow
)

// Options configure a resolution.
type Options struct {
	// Provider supplies releases and metadata (required).
	Provider Provider
	// Env is the target marker environment (default pep508.DefaultEnv("3.12",
	// "linux")). Its python_full_version is checked against every candidate's
	// Requires-Python.
	Env pep508.Env
	// Tags are the wheel tags the target accepts, most preferred first
	// (default Tags(Env)).
	Tags []string
	// Prereleases is the pre-release rule (default PrereleasesPip).
	Prereleases Prereleases
	// Constraints restrict versions without requiring a project (pip's -c).
	Constraints []*pep508.Requirement
	// NoBinary and NoBuild name projects whose wheels (NoBinary) or sdists
	// (NoBuild) may not be used; ":all:" names every project.
	NoBinary, NoBuild []string
	// UploadedPriorTo, when set, leaves out files uploaded at or after it
	// (pip's --uploaded-prior-to, uv's exclude-newer). Files whose upload
	// time the index does not give are kept.
	UploadedPriorTo time.Time
}

// Graph is a complete resolution: one version of every package the root
// requirements bring in for the target environment, with the requirement
// behind every edge.
type Graph struct {
	// Root holds the edges from the root requirements (From is "").
	Root []Edge
	// Packages are the selected packages sorted by name.
	Packages []*Node
	byName   map[string]*Node
}

// Node is one selected package.
type Node struct {
	Name    string // normalized
	Version pep440.Version
	Extras  []string // extras some requirement asked for, sorted
	// Dependencies are the edges to the packages this one requires in the
	// target environment (with its selected extras).
	Dependencies []Edge
	// Files are the release's files the target can install.
	Files []File
}

// Edge is one requirement that was followed.
type Edge struct {
	From        string // normalized name of the requiring package ("" for the root)
	To          string // normalized name of the required package
	Requirement *pep508.Requirement
}

// Package returns the node of a normalized name, or nil.
func (g *Graph) Package(name string) *Node { return g.byName[pep508.NormalizeName(name)] }

// Path returns a shortest chain of edges from the root requirements to name
// (nil when name is not in the graph), so a finding can say how a package
// came in: "django 3.2.0 → sqlparse 0.4.1".
func (g *Graph) Path(name string) []Edge {
	target := pep508.NormalizeName(name)
	if g.byName[target] == nil {
		return nil
	}
	prev := map[string]Edge{}
	var queue []string
	for _, e := range g.Root {
		if _, ok := prev[e.To]; !ok {
			prev[e.To] = e
			queue = append(queue, e.To)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == target {
			break
		}
		for _, e := range g.byName[n].Dependencies {
			if _, ok := prev[e.To]; !ok {
				prev[e.To] = e
				queue = append(queue, e.To)
			}
		}
	}
	var path []Edge
	for n := target; n != ""; {
		e, ok := prev[n]
		if !ok {
			return nil
		}
		path = append(path, e)
		n = e.From
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// FormatPath renders a path as "django 3.2.0 → sqlparse 0.4.1".
func (g *Graph) FormatPath(path []Edge) string {
	parts := make([]string, 0, len(path))
	for _, e := range path {
		s := e.To
		if n := g.byName[e.To]; n != nil {
			s += " " + n.Version.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " → ")
}

// NoSolutionError is returned when the requirements cannot be satisfied
// together. Explanation derives the conflict from the requirements that
// cause it, in the style of uv and Poetry.
type NoSolutionError struct {
	Explanation string
}

func (e *NoSolutionError) Error() string {
	return "no solution: " + e.Explanation
}

// IncompleteError is returned when the index could not be read for some
// projects (offline without a cached copy, the index unreachable): the
// resolver cannot tell what it would have chosen, so it gives no graph.
type IncompleteError struct {
	// Projects maps each project that could not be read to the reason.
	Projects map[string]error
}

// Names returns the projects that could not be read, sorted.
func (e *IncompleteError) Names() []string {
	out := make([]string, 0, len(e.Projects))
	for n := range e.Projects {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Unwrap returns why each project could not be read (sorted by name), so
// errors.Is finds a network failure among them.
func (e *IncompleteError) Unwrap() []error {
	out := make([]error, 0, len(e.Projects))
	for _, n := range e.Names() {
		out = append(out, e.Projects[n])
	}
	return out
}

func (e *IncompleteError) Error() string {
	names := e.Names()
	var b strings.Builder
	fmt.Fprintf(&b, "resolution incomplete: %d project(s) could not be read from the index: ", len(names))
	for i, n := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%v)", n, e.Projects[n])
	}
	return b.String()
}

// Resolve selects one version of every package reqs bring in for the target
// environment of opts: newest versions first, backtracking when a choice
// leads to a conflict. Requirements whose markers are false in the target
// environment are left out. It returns a *NoSolutionError when no set of
// versions satisfies every requirement and an *IncompleteError when the
// index could not be read for some projects; it never returns a partial
// graph.
func Resolve(ctx context.Context, reqs []*pep508.Requirement, opts Options) (*Graph, error) {
	if opts.Provider == nil {
		return nil, errors.New("resolve: no provider")
	}
	s, err := newSolver(ctx, reqs, opts)
	if err != nil {
		return nil, err
	}
	return s.solve()
}
