package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep508"
)

// served is one release of a test index.
type served struct {
	Requires       []string
	RequiresPython string
	Extras         map[string][]string
	Yanked         bool
	Files          []string // file names
	UploadTime     string   // PEP 700 upload-time of every file ("" for none)
}

// indexMode says how a test index publishes metadata.
type indexMode int

const (
	modeJSON    indexMode = iota // PEP 691 JSON pages with PEP 658/714 metadata files
	modeHTML                     // PEP 503 HTML pages with data-core-metadata
	modeJSONAPI                  // PEP 691 pages without metadata files; /pypi/NAME/VERSION/json instead
)

// writeIndex lays out a universe in the directories pypitest serves.
func writeIndex(t testing.TB, projects map[string]map[string]*served, mode indexMode) pypitest.Layout {
	t.Helper()
	root := t.TempDir()
	l := pypitest.Layout{SimpleJSON: filepath.Join(root, "simple-json"), SimpleHTML: filepath.Join(root, "simple-html"),
		Metadata: filepath.Join(root, "files"), ReleaseJSON: filepath.Join(root, "release")}
	for _, d := range []string{l.SimpleJSON, l.SimpleHTML, l.Metadata, l.ReleaseJSON} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, versions := range projects {
		n := pep508.NormalizeName(name)
		type jfile struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python,omitempty"`
			Yanked         any               `json:"yanked"`
			CoreMetadata   any               `json:"core-metadata"`
			UploadTime     string            `json:"upload-time,omitempty"`
		}
		var files []jfile
		var links strings.Builder
		vs := make([]string, 0, len(versions))
		for v := range versions {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		for _, v := range vs {
			r := versions[v]
			md := metadataText(n, v, r)
			for _, f := range r.Files {
				u := "https://files.pythonhosted.org/packages/ab/cd/" + f
				jf := jfile{Filename: f, URL: u, Hashes: map[string]string{}, Yanked: r.Yanked, CoreMetadata: mode != modeJSONAPI, UploadTime: r.UploadTime}
				if r.RequiresPython != "" {
					jf.RequiresPython = &r.RequiresPython
				}
				files = append(files, jf)
				attrs := ""
				if r.RequiresPython != "" {
					attrs += ` data-requires-python="` + html.EscapeString(r.RequiresPython) + `"`
				}
				if r.Yanked {
					attrs += ` data-yanked=""`
				}
				attrs += ` data-core-metadata="true"`
				fmt.Fprintf(&links, "<a href=\"%s\"%s>%s</a><br/>\n", u, attrs, f)
				if mode != modeJSONAPI {
					write(filepath.Join(l.Metadata, f+".metadata"), []byte(md))
				}
			}
			if mode == modeJSONAPI {
				info := map[string]any{"name": n, "version": v, "requires_dist": r.Requires, "requires_python": r.RequiresPython, "summary": "", "license": "", "classifiers": []string{}}
				info["requires_dist"] = requiresDist(r)
				b, _ := json.Marshal(map[string]any{"info": info, "urls": []any{}})
				write(filepath.Join(l.ReleaseJSON, n, v+".json"), b)
			}
		}
		switch mode {
		case modeHTML:
			write(filepath.Join(l.SimpleHTML, n+".html"), []byte("<!DOCTYPE html><html><body>\n"+links.String()+"</body></html>\n"))
		default:
			if files == nil {
				files = []jfile{}
			}
			b, _ := json.Marshal(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": n, "files": files})
			write(filepath.Join(l.SimpleJSON, n+".json"), b)
		}
	}
	return l
}

// metadataText is the core-metadata file of one release.
func metadataText(name, version string, r *served) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.3\nName: %s\nVersion: %s\n", name, version)
	if r.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", r.RequiresPython)
	}
	for _, e := range sortedKeys(r.Extras) {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
	}
	for _, q := range requiresDist(r) {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", q)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// requiresDist is the Requires-Dist list of a release: its requirements,
// then each extra's with the extra added to the marker.
func requiresDist(r *served) []string {
	out := append([]string(nil), r.Requires...)
	for _, e := range sortedKeys(r.Extras) {
		for _, q := range r.Extras[e] {
			if base, marker, ok := strings.Cut(q, ";"); ok {
				out = append(out, fmt.Sprintf("%s ; (%s) and extra == %q", strings.TrimSpace(base), strings.TrimSpace(marker), e))
			} else {
				out = append(out, fmt.Sprintf("%s ; extra == %q", q, e))
			}
		}
	}
	return out
}

func wheelName(name, version, tag string) string {
	return strings.ReplaceAll(pep508.NormalizeName(name), "-", "_") + "-" + version + "-" + tag + ".whl"
}

func sdistName(name, version string) string {
	return strings.ReplaceAll(pep508.NormalizeName(name), "-", "_") + "-" + version + ".tar.gz"
}

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
