package resolve

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// universe is an in-memory Provider: project → version → release.
type universe struct {
	mu       sync.Mutex
	projects map[string]map[string]*memRelease
	fetches  int
	// parsed answers, so benchmarks measure the resolver, not this provider
	releases map[string][]Release
	dists    map[*memRelease]*Dist
}

type memRelease struct {
	requires       []string
	requiresPython string // on the metadata
	filePython     string // on the index's files
	yanked         bool
	files          []string // default: one py3-none-any wheel
	extras         []string
	uploaded       time.Time
}

func newUniverse() *universe { return &universe{projects: map[string]map[string]*memRelease{}} }

// add registers name==version with requirements.
func (u *universe) add(name, version string, requires ...string) *memRelease {
	n := pep508.NormalizeName(name)
	if u.projects[n] == nil {
		u.projects[n] = map[string]*memRelease{}
	}
	r := &memRelease{requires: requires}
	u.projects[n][version] = r
	u.releases, u.dists = nil, nil
	return r
}

func (u *universe) Releases(_ context.Context, name string) ([]Release, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fetches++
	if rs, ok := u.releases[name]; ok {
		return rs, nil
	}
	vs, ok := u.projects[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	var out []Release
	for v, r := range vs {
		files := r.files
		if files == nil {
			files = []string{name + "-" + v + "-py3-none-any.whl"}
		}
		rel := Release{Version: pep440.MustParse(v)}
		for _, f := range files {
			rel.Files = append(rel.Files, File{Filename: f, RequiresPython: r.filePython, Yanked: r.yanked, Uploaded: r.uploaded})
		}
		out = append(out, rel)
	}
	if u.releases == nil {
		u.releases = map[string][]Release{}
	}
	u.releases[name] = out
	return out, nil
}

func (u *universe) Metadata(_ context.Context, name string, rel *Release) (*Dist, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for v, r := range u.projects[name] {
		if pep440.MustParse(v).Equal(rel.Version) {
			if d, ok := u.dists[r]; ok {
				return d, nil
			}
			d := &Dist{RequiresPython: r.requiresPython, ProvidesExtra: r.extras}
			for _, s := range r.requires {
				req, err := pep508.ParseRequirement(s)
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrInvalidMetadata, err)
				}
				d.Requires = append(d.Requires, req)
			}
			if u.dists == nil {
				u.dists = map[*memRelease]*Dist{}
			}
			u.dists[r] = d
			return d, nil
		}
	}
	return nil, ErrNotFound
}

func reqs(t testing.TB, ss ...string) []*pep508.Requirement {
	t.Helper()
	var out []*pep508.Requirement
	for _, s := range ss {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// solved renders a graph as "a==1.0 b==2.0" (sorted by name).
func solved(g *Graph) string {
	var parts []string
	for _, n := range g.Packages {
		s := n.Name + "==" + n.Version.String()
		if len(n.Extras) > 0 {
			s = n.Name + "[" + strings.Join(n.Extras, ",") + "]==" + n.Version.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func mustResolve(t *testing.T, u *universe, opts Options, rs ...string) *Graph {
	t.Helper()
	opts.Provider = u
	g, err := Resolve(context.Background(), reqs(t, rs...), opts)
	if err != nil {
		t.Fatalf("Resolve(%v): %v", rs, err)
	}
	return g
}

func mustFail(t *testing.T, u *universe, opts Options, rs ...string) *NoSolutionError {
	t.Helper()
	opts.Provider = u
	g, err := Resolve(context.Background(), reqs(t, rs...), opts)
	ns, ok := err.(*NoSolutionError)
	if !ok {
		if g != nil {
			t.Fatalf("Resolve(%v) = %s, %v; want no solution", rs, solved(g), err)
		}
		t.Fatalf("Resolve(%v): %v; want *NoSolutionError", rs, err)
	}
	return ns
}
