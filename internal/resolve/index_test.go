package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep508"
)

// The test index of this package is pypitest's universe.
type served = pypitest.Release

type indexMode = pypitest.Mode

const (
	modeJSON    = pypitest.ModeJSON
	modeHTML    = pypitest.ModeHTML
	modeJSONAPI = pypitest.ModeJSONAPI
)

func writeIndex(t testing.TB, projects map[string]map[string]*served, mode indexMode) pypitest.Layout {
	return pypitest.WriteUniverse(t, projects, mode)
}

func wheelName(name, version, tag string) string { return pypitest.Wheel(name, version, tag) }

func sdistName(name, version string) string { return pypitest.Sdist(name, version) }

func TestIndexProvider(t *testing.T) {
	projects := map[string]map[string]*served{
		"web": {
			"1.0": {Requires: []string{"util>=1"}, Files: []string{wheelName("web", "1.0", "py3-none-any"), sdistName("web", "1.0")}},
			"2.0": {Requires: []string{"util>=2", "old; python_version < '3'"}, Extras: map[string][]string{"fast": {"speed"}},
				Files: []string{wheelName("web", "2.0", "py3-none-any")}},
			"3.0": {Yanked: true, Files: []string{sdistName("web", "3.0")}},
		},
		"util": {
			"1.5": {Files: []string{sdistName("util", "1.5")}, UploadTime: "2020-01-02T03:04:05.123456Z"},
			"2.1": {RequiresPython: ">=3.8", Files: []string{wheelName("util", "2.1", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")}},
		},
		"speed":         {"0.1": {Files: []string{wheelName("speed", "0.1", "py3-none-any")}}},
		"other-project": {"1.0": {Files: []string{"unrelated-1.0.tar.gz", sdistName("other-project", "1.0")}}},
	}
	for _, mode := range []indexMode{modeJSON, modeHTML, modeJSONAPI} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			srv := pypitest.New(t, writeIndex(t, projects, mode))
			cache := t.TempDir()
			client := pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: cache})
			ix := NewIndex(client, Tags(pep508.DefaultEnv("3.12", "linux")))
			g, err := Resolve(context.Background(), reqs(t, "web[fast]", "other-project"), Options{Provider: ix})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := solved(g), "other-project==1.0 speed==0.1 util==2.1 web[fast]==2.0"; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
			if got := g.FormatPath(g.Path("speed")); got != "web 2.0 → speed 0.1" {
				t.Errorf("path %q", got)
			}
			if n := g.Package("other-project"); len(n.Files) != 1 || n.Files[0].Filename != "other_project-1.0.tar.gz" {
				t.Errorf("files of another project kept: %+v", n.Files)
			}
			if mode != modeHTML { // PEP 503 HTML has no upload times
				g, err := Resolve(context.Background(), reqs(t, "util<2"), Options{Provider: ix})
				if err != nil {
					t.Fatal(err)
				}
				if up := g.Package("util").Files[0].Uploaded; up.Format(time.RFC3339Nano) != "2020-01-02T03:04:05.123456Z" {
					t.Errorf("upload time %v", up)
				}
			}
			// Offline from the cache gives the same answer.
			off := NewIndex(pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: cache, Offline: true}), nil)
			g2, err := Resolve(context.Background(), reqs(t, "web[fast]", "other-project"), Options{Provider: off})
			if err != nil || solved(g2) != solved(g) {
				t.Fatalf("offline: %v, %v", g2, err)
			}
			// Offline with a project never fetched: an error naming it, no graph.
			g3, err := Resolve(context.Background(), reqs(t, "web", "speed", "never-seen"), Options{Provider: off})
			var ie *IncompleteError
			if !errors.As(err, &ie) || g3 != nil || strings.Join(ie.Names(), ",") != "never-seen" {
				t.Fatalf("offline, uncached: %v, %v", g3, err)
			}
		})
	}
}

func TestIndexExtraIndexes(t *testing.T) {
	primary := pypitest.New(t, writeIndex(t, map[string]map[string]*served{
		"app": {"1.0": {Requires: []string{"internal-lib"}, Files: []string{wheelName("app", "1.0", "py3-none-any")}}},
		"six": {"1.0": {Files: []string{sdistName("six", "1.0")}}},
	}, modeJSON))
	extra := pypitest.New(t, writeIndex(t, map[string]map[string]*served{
		"internal-lib": {"2.0": {Files: []string{wheelName("internal-lib", "2.0", "py3-none-any")}}},
		"six":          {"2.0": {Files: []string{sdistName("six", "2.0")}}},
	}, modeHTML))
	ix := NewIndex(pypi.New(pypi.Options{SimpleURL: primary.URL + "/simple"}), nil)
	if _, err := Resolve(context.Background(), reqs(t, "app"), Options{Provider: ix}); err == nil {
		t.Fatal("internal-lib resolved without its index")
	}
	both := ix.WithExtraIndexes(extra.URL + "/simple")
	g, err := Resolve(context.Background(), reqs(t, "app", "six"), Options{Provider: both})
	if err != nil {
		t.Fatal(err)
	}
	// Candidates from every index compete, as with pip: six 2.0 comes from the extra index.
	if got, want := solved(g), "app==1.0 internal-lib==2.0 six==2.0"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if u := g.Package("six").Files[0].URL; !strings.HasPrefix(u, extra.URL) {
		t.Errorf("six's file from %s", u)
	}
	// An extra index that cannot be read is an error naming the project, not a shorter list.
	extra.Close()
	_, err = Resolve(context.Background(), reqs(t, "six"), Options{Provider: NewIndex(pypi.New(pypi.Options{SimpleURL: primary.URL + "/simple", Retries: -1}), nil).WithExtraIndexes(extra.URL + "/simple")})
	var ie *IncompleteError
	if !errors.As(err, &ie) || strings.Join(ie.Names(), ",") != "six" {
		t.Errorf("closed extra index: %v", err)
	}
}
