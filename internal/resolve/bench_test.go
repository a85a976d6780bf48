package resolve

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep508"
)

// project50 is a universe with 50 direct dependencies (20 versions each)
// sharing 30 libraries (30 versions each), every release with two or three
// ranged dependencies, and the requirement lines of the project.
func project50() (map[string]map[string]*served, []string) {
	u := map[string]map[string]*served{}
	var direct []string
	for l := range 30 {
		name := fmt.Sprintf("lib%d", l)
		u[name] = map[string]*served{}
		for v := range 30 {
			ver := fmt.Sprintf("%d.%d", v/10, v%10)
			r := &served{Files: []string{wheelName(name, ver, "py3-none-any"), sdistName(name, ver)}}
			if l < 29 {
				r.Requires = []string{fmt.Sprintf("lib%d>=%d.0", l+1, v/20)}
			}
			u[name][ver] = r
		}
	}
	for p := range 50 {
		name := fmt.Sprintf("pkg%d", p)
		u[name] = map[string]*served{}
		for v := range 20 {
			ver := fmt.Sprintf("%d.0.%d", 1+v/5, v%5)
			u[name][ver] = &served{
				Requires: []string{
					fmt.Sprintf("lib%d>=%d.0,<3", p%30, v/10),
					fmt.Sprintf("lib%d!=2.9", (p*7)%30),
					fmt.Sprintf("lib%d<2.5 ; python_version < '3.8'", (p*3)%30),
				},
				RequiresPython: ">=3.8",
				Files:          []string{wheelName(name, ver, "py3-none-any"), sdistName(name, ver)},
			}
		}
		direct = append(direct, fmt.Sprintf("pkg%d>=1.0", p))
	}
	return u, direct
}

func benchProject(b *testing.B, warm bool) {
	u, direct := project50()
	srv := pypitest.New(b, writeIndex(b, u, modeJSON))
	rs := reqs(b, direct...)
	env := pep508.DefaultEnv("3.12", "linux")
	resolve := func(cache string) *Graph {
		ix := NewIndex(pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: cache, Concurrency: 16}), Tags(env))
		g, err := Resolve(context.Background(), rs, Options{Provider: ix, Env: env})
		if err != nil {
			b.Fatal(err)
		}
		return g
	}
	warmDir := b.TempDir()
	if g := resolve(warmDir); len(g.Packages) != 80 {
		b.Fatalf("resolved %d packages, want 80", len(g.Packages))
	}
	before := srv.Requests.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		dir := warmDir
		if !warm {
			b.StopTimer()
			d, err := os.MkdirTemp(b.TempDir(), "cold")
			if err != nil {
				b.Fatal(err)
			}
			dir = d
			b.StartTimer()
		}
		resolve(dir)
	}
	b.ReportMetric(float64(srv.Requests.Load()-before)/float64(b.N), "requests/op")
}

// BenchmarkResolve50Cold resolves a 50-direct-dependency project against a
// local index with an empty cache (every page and metadata file fetched).
func BenchmarkResolve50Cold(b *testing.B) { benchProject(b, false) }

// BenchmarkResolve50Warm resolves it again from a fresh on-disk cache (no
// requests reach the index).
func BenchmarkResolve50Warm(b *testing.B) { benchProject(b, true) }

// conflictChain builds k packages of n versions where x_i==j needs
// x_{i+1}==j and only the chain at version 0 ends in an existing package:
// every newer version of x_0 is ruled out only after following the whole
// chain, so the resolver learns k·(n-1) incompatibilities.
func conflictChain(k, n int) *universe {
	u := newUniverse()
	for i := range k {
		for j := range n {
			v := fmt.Sprintf("%d.0", j)
			switch {
			case i < k-1:
				u.add(fmt.Sprintf("x%d", i), v, fmt.Sprintf("x%d==%s", i+1, v))
			case j == 0:
				u.add(fmt.Sprintf("x%d", i), v, "end")
			default:
				u.add(fmt.Sprintf("x%d", i), v, "ghost>=1")
			}
		}
	}
	u.add("end", "1.0")
	return u
}

func TestConflictChain(t *testing.T) {
	g := mustResolve(t, conflictChain(8, 6), Options{}, "x0")
	for _, n := range g.Packages {
		if n.Name != "end" && n.Version.String() != "0.0" {
			t.Errorf("%s==%s, want 0.0", n.Name, n.Version)
		}
	}
	// Without the way out, the explanation still names the cause.
	u := conflictChain(4, 3)
	delete(u.projects, "end")
	ns := mustFail(t, u, Options{}, "x0")
	t.Log(ns.Explanation)
	for _, want := range []string{"depends on ghost>=1 (ghost is not on the index)", "depends on end (end is not on the index)", "you require x0"} {
		if !containsLine(ns.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, ns.Explanation)
		}
	}
}

func containsLine(s, sub string) bool { return strings.Contains(s, sub) }

// BenchmarkConflictChain is the resolver's own work on a conflict-heavy
// case: 30 packages × 40 versions, 1,170 learned incompatibilities.
func BenchmarkConflictChain(b *testing.B) {
	u := conflictChain(30, 40)
	rs := reqs(b, "x0")
	b.ReportAllocs()
	for range b.N {
		if _, err := Resolve(context.Background(), rs, Options{Provider: u}); err != nil {
			b.Fatal(err)
		}
	}
}
