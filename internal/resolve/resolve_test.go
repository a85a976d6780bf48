package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/pep508"
)

func TestNewestFirstAndTransitive(t *testing.T) {
	u := newUniverse()
	u.add("django", "3.2.0", "asgiref>=3.3.2,<4", "sqlparse>=0.2.2", "pytz")
	u.add("django", "4.2.0", "asgiref>=3.6,<4", "sqlparse>=0.3.1", "backports.zoneinfo; python_version<'3.9'")
	u.add("asgiref", "3.3.2")
	u.add("asgiref", "3.7.2")
	u.add("asgiref", "4.0.0")
	u.add("sqlparse", "0.4.1")
	u.add("sqlparse", "0.4.4")
	u.add("pytz", "2023.3")
	g := mustResolve(t, u, Options{}, "django==3.2.0")
	if got, want := solved(g), "asgiref==3.7.2 django==3.2.0 pytz==2023.3 sqlparse==0.4.4"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := g.FormatPath(g.Path("sqlparse")); got != "django 3.2.0 → sqlparse 0.4.4" {
		t.Errorf("path = %q", got)
	}
	p := g.Path("sqlparse")
	if p[1].Requirement.String() != "sqlparse>=0.2.2" || p[1].From != "django" {
		t.Errorf("edge = %+v", p[1])
	}
	// Markers: backports.zoneinfo is left out on 3.12, needed on 3.8.
	g = mustResolve(t, u, Options{}, "django")
	if got := solved(g); got != "asgiref==3.7.2 django==4.2.0 sqlparse==0.4.4" {
		t.Errorf("3.12: %s", got)
	}
	u.add("backports.zoneinfo", "0.2.1")
	g = mustResolve(t, u, Options{Env: pep508.DefaultEnv("3.8", "linux")}, "django")
	if g.Package("backports-zoneinfo") == nil {
		t.Errorf("3.8: %s lacks backports-zoneinfo", solved(g))
	}
}

func TestBacktracking(t *testing.T) {
	// The newest a needs c<2 while b needs c>=2: a must go back to 1.0.
	u := newUniverse()
	u.add("a", "2.0", "c<2")
	u.add("a", "1.0", "c>=1")
	u.add("b", "1.0", "c>=2")
	u.add("c", "1.0")
	u.add("c", "2.0")
	g := mustResolve(t, u, Options{}, "a", "b")
	if got, want := solved(g), "a==1.0 b==1.0 c==2.0"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Deeper: x's newest versions each need a y that does not exist.
	u = newUniverse()
	for i := 1; i <= 20; i++ {
		v := fmt.Sprintf("%d.0", i)
		if i == 1 {
			u.add("x", v, "y")
		} else {
			u.add("x", v, "y=="+v)
		}
	}
	u.add("y", "1.0")
	g = mustResolve(t, u, Options{}, "x")
	if got, want := solved(g), "x==1.0 y==1.0"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestExtras(t *testing.T) {
	u := newUniverse()
	u.add("requests", "2.31.0", "urllib3<3", "PySocks>=1.5.6,!=1.5.7; extra == 'socks'", "chardet<6; extra == 'use-chardet-on-py3'").extras = []string{"socks", "use-chardet-on-py3"}
	u.add("requests", "2.0.0", "urllib3<2")
	u.add("urllib3", "2.0.0")
	u.add("urllib3", "1.26.0")
	u.add("pysocks", "1.7.1")
	u.add("chardet", "5.2.0")
	g := mustResolve(t, u, Options{}, "requests[socks]")
	if got, want := solved(g), "pysocks==1.7.1 requests[socks]==2.31.0 urllib3==2.0.0"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := g.FormatPath(g.Path("pysocks")); got != "requests 2.31.0 → pysocks 1.7.1" {
		t.Errorf("path %q", got)
	}
	// The same project with and without extras, and with two extras: one version.
	g = mustResolve(t, u, Options{}, "requests<3", "requests[socks]", "requests[use_chardet_on_py3]")
	if got, want := solved(g), "chardet==5.2.0 pysocks==1.7.1 requests[socks,use-chardet-on-py3]==2.31.0 urllib3==2.0.0"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// An extra pinned to a version without it conflicts with nothing: the
	// extra adds nothing there.
	g = mustResolve(t, u, Options{}, "requests[socks]==2.0.0")
	if got, want := solved(g), "requests[socks]==2.0.0 urllib3==1.26.0"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Extras requiring incompatible versions of one project.
	u.add("a", "1.0", "b==1; extra=='x'", "b==2; extra=='y'")
	u.add("b", "1")
	u.add("b", "2")
	mustResolve(t, u, Options{}, "a[x]")
	ns := mustFail(t, u, Options{}, "a[x,y]")
	if !strings.Contains(ns.Explanation, "a[x]==1.0 depends on b==1") || !strings.Contains(ns.Explanation, "a[y]==1.0 depends on b==2") {
		t.Errorf("explanation:\n%s", ns.Explanation)
	}
}

func TestYanked(t *testing.T) {
	u := newUniverse()
	u.add("a", "1.0")
	u.add("a", "2.0").yanked = true
	g := mustResolve(t, u, Options{}, "a")
	if got := solved(g); got != "a==1.0" {
		t.Errorf("unpinned: %s", got)
	}
	g = mustResolve(t, u, Options{}, "a==2.0")
	if got := solved(g); got != "a==2.0" {
		t.Errorf("pinned: %s", got)
	}
	ns := mustFail(t, u, Options{}, "a>1")
	if !strings.Contains(ns.Explanation, "a==2.0 was yanked") {
		t.Errorf("explanation:\n%s", ns.Explanation)
	}
	// A transitive pin does not unlock a yanked release.
	u.add("b", "1.0", "a==2.0")
	mustFail(t, u, Options{}, "b")
}

func TestPrereleases(t *testing.T) {
	u := newUniverse()
	u.add("a", "1.0")
	u.add("a", "2.0b1")
	u.add("only", "1.0a1")
	u.add("dep", "1.0", "a>=2.0b1")
	cases := []struct {
		mode Prereleases
		reqs []string
		want string // "" for no solution
	}{
		{PrereleasesPip, []string{"a"}, "a==1.0"},
		{PrereleasesPip, []string{"a>=2.0b1"}, "a==2.0b1"},
		{PrereleasesPip, []string{"a>1.0"}, "a==2.0b1"}, // packaging: nothing else matches
		{PrereleasesPip, []string{"only"}, "only==1.0a1"},
		{PrereleasesPip, []string{"dep"}, "a==2.0b1 dep==1.0"}, // a transitive specifier mentions it
		{PrereleasesIfNecessaryOrExplicit, []string{"a>1.0"}, ""},
		{PrereleasesIfNecessaryOrExplicit, []string{"a>=2.0b1"}, "a==2.0b1"},
		{PrereleasesIfNecessaryOrExplicit, []string{"only"}, "only==1.0a1"},
		{PrereleasesIfNecessaryOrExplicit, []string{"dep"}, ""},
		{PrereleasesIfNecessaryOrExplicit, []string{"dep", "a>=0.0a0"}, "a==2.0b1 dep==1.0"},
		{PrereleasesAllow, []string{"a"}, "a==2.0b1"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.mode, c.reqs), func(t *testing.T) {
			if c.want == "" {
				mustFail(t, u, Options{Prereleases: c.mode}, c.reqs...)
				return
			}
			if got := solved(mustResolve(t, u, Options{Prereleases: c.mode}, c.reqs...)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestRequiresPythonAndTags(t *testing.T) {
	u := newUniverse()
	u.add("a", "3.0").filePython = ">=3.13"
	u.add("a", "2.0").requiresPython = ">=3.12.1" // only in the metadata
	u.add("a", "1.0")
	g := mustResolve(t, u, Options{Env: pep508.DefaultEnv("3.12", "linux")}, "a")
	if got := solved(g); got != "a==1.0" {
		t.Errorf("3.12.0: %s", got)
	}
	g = mustResolve(t, u, Options{Env: pep508.DefaultEnv("3.12.4", "linux")}, "a")
	if got := solved(g); got != "a==2.0" {
		t.Errorf("3.12.4: %s", got)
	}
	ns := mustFail(t, u, Options{}, "a>=3")
	if !strings.Contains(ns.Explanation, "a==3.0 requires Python >=3.13") {
		t.Errorf("explanation:\n%s", ns.Explanation)
	}

	u = newUniverse()
	u.add("np", "2.0").files = []string{"np-2.0-cp312-cp312-macosx_14_0_arm64.whl"}
	u.add("np", "1.9").files = []string{"np-1.9-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "np-1.9-cp312-cp312-win_amd64.whl"}
	u.add("np", "1.8").files = []string{"np-1.8.tar.gz"}
	if got := solved(mustResolve(t, u, Options{}, "np")); got != "np==1.9" {
		t.Errorf("linux: %s", got)
	}
	if got := solved(mustResolve(t, u, Options{Env: pep508.DefaultEnv("3.12", "darwin")}, "np")); got != "np==2.0" {
		t.Errorf("darwin: %s", got)
	}
	if got := solved(mustResolve(t, u, Options{Env: pep508.DefaultEnv("3.11", "linux")}, "np")); got != "np==1.8" {
		t.Errorf("3.11 (sdist only): %s", got)
	}
	mustFail(t, u, Options{Env: pep508.DefaultEnv("3.11", "linux"), NoBuild: []string{":all:"}}, "np")
	if got := solved(mustResolve(t, u, Options{NoBinary: []string{"np"}}, "np")); got != "np==1.8" {
		t.Errorf("no-binary: %s", got)
	}
}

func TestLocalVersions(t *testing.T) {
	u := newUniverse()
	u.add("torch", "2.1.0")
	u.add("torch", "2.1.0+cpu")
	u.add("torch", "2.0.0+cu118")
	if got := solved(mustResolve(t, u, Options{}, "torch==2.1.0")); got != "torch==2.1.0+cpu" {
		t.Errorf("==2.1.0: %s", got)
	}
	if got := solved(mustResolve(t, u, Options{}, "torch==2.0.0")); got != "torch==2.0.0+cu118" {
		t.Errorf("==2.0.0: %s", got)
	}
	if got := solved(mustResolve(t, u, Options{}, "torch>2.0.0")); got != "torch==2.1.0+cpu" {
		t.Errorf(">2.0.0: %s", got)
	}
	mustFail(t, u, Options{}, "torch==2.1.0+cu118")
}

func TestConflictExplanation(t *testing.T) {
	u := newUniverse()
	u.add("a", "1.0", "c==1.0")
	u.add("a", "2.0", "c==1.0")
	u.add("b", "1.0", "c==2.0")
	u.add("c", "1.0")
	u.add("c", "2.0")
	ns := mustFail(t, u, Options{}, "a", "b")
	for _, want := range []string{"a==1.0 depends on c==1.0", "a==2.0 depends on c==1.0", "b==1.0 depends on c==2.0", "version solving failed"} {
		if !strings.Contains(ns.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, ns.Explanation)
		}
	}
	ns = mustFail(t, u, Options{}, "nope>=1")
	if !strings.Contains(ns.Explanation, "you require nope>=1 (nope is not on the index)") {
		t.Errorf("missing project:\n%s", ns.Explanation)
	}
	ns = mustFail(t, u, Options{}, "c>5")
	if !strings.Contains(ns.Explanation, "you require c>5 (no version of c matches)") {
		t.Errorf("no version:\n%s", ns.Explanation)
	}
	// Constraints restrict without requiring.
	g := mustResolve(t, u, Options{Constraints: reqs(t, "c<2", "zzz==1")}, "a")
	if got := solved(g); got != "a==2.0 c==1.0" {
		t.Errorf("constraints: %s", got)
	}
	// A range constraint keeps the newest version out; one that matches
	// nothing the requirement allows is named in the explanation.
	if got := solved(mustResolve(t, u, Options{Constraints: reqs(t, "c<2")}, "c")); got != "c==1.0" {
		t.Errorf("range constraint: %s, want c==1.0", got)
	}
	if got := solved(mustResolve(t, u, Options{Constraints: reqs(t, "c<2 ; sys_platform == 'win32'")}, "c")); got != "c==2.0" {
		t.Errorf("constraint with a false marker: %s, want c==2.0", got)
	}
	ns = mustFail(t, u, Options{Constraints: reqs(t, "c<2")}, "b")
	if !strings.Contains(ns.Explanation, "excluded by the constraint c<2") {
		t.Errorf("constraint conflict:\n%s", ns.Explanation)
	}
}

// failing fails Releases for one project as an unreachable index would.
type failing struct {
	*universe
	name string
}

func (f failing) Releases(ctx context.Context, name string) ([]Release, error) {
	if name == f.name {
		return nil, errors.New("dial tcp: connection refused")
	}
	return f.universe.Releases(ctx, name)
}

func TestIncomplete(t *testing.T) {
	u := newUniverse()
	u.add("a", "1.0", "b", "c")
	u.add("b", "1.0")
	u.add("c", "1.0")
	g, err := Resolve(context.Background(), reqs(t, "a"), Options{Provider: failing{u, "c"}})
	var ie *IncompleteError
	if !errors.As(err, &ie) || g != nil {
		t.Fatalf("got %v, %v; want *IncompleteError and no graph", g, err)
	}
	if got := ie.Names(); len(got) != 1 || got[0] != "c" || !strings.Contains(err.Error(), "c (dial tcp") {
		t.Errorf("names %v, error %v", got, err)
	}
}

func TestUploadedPriorTo(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	u := newUniverse()
	u.add("a", "1.0").uploaded = day.AddDate(0, 0, -30)
	u.add("a", "1.1").uploaded = day.AddDate(0, 0, -1)
	u.add("a", "1.2").uploaded = day
	u.add("b", "1.0") // no upload time: kept
	if got := solved(mustResolve(t, u, Options{}, "a", "b")); got != "a==1.2 b==1.0" {
		t.Errorf("no cut-off: %s", got)
	}
	if got := solved(mustResolve(t, u, Options{UploadedPriorTo: day}, "a", "b")); got != "a==1.1 b==1.0" {
		t.Errorf("before %s: %s", day, got)
	}
	ns := mustFail(t, u, Options{UploadedPriorTo: day}, "a==1.2")
	if !strings.Contains(ns.Explanation, "a==1.2 was uploaded after 2026-11-01T00:00:00Z") {
		t.Errorf("explanation:\n%s", ns.Explanation)
	}
}
