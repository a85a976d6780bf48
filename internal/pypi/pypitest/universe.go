package pypitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep508"
)

// Release is one release of a test universe: its requirements, extras
// (extra name -> requirements), files (names; see Wheel and Sdist) and the
// index attributes of every file.
type Release struct {
	Requires       []string
	RequiresPython string
	Extras         map[string][]string
	Yanked         bool
	Files          []string // file names
	UploadTime     string   // PEP 700 upload-time of every file ("" for none)
}

// Mode says how a test index publishes metadata.
type Mode int

const (
	ModeJSON    Mode = iota // PEP 691 JSON pages with PEP 658/714 metadata files
	ModeHTML                // PEP 503 HTML pages with data-core-metadata
	ModeJSONAPI             // PEP 691 pages without metadata files; /pypi/NAME/VERSION/json instead
)

// WriteUniverse lays out projects (name -> version -> release) in the
// directories a Server serves, under a temporary directory of t. Serve it
// with New(t, layout); the index URL is server.URL + "/simple".
func WriteUniverse(t testing.TB, projects map[string]map[string]*Release, mode Mode) Layout {
	t.Helper()
	root := t.TempDir()
	l := Layout{SimpleJSON: filepath.Join(root, "simple-json"), SimpleHTML: filepath.Join(root, "simple-html"),
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
			Size           int64             `json:"size"`
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
				digest := FileHash(f)
				jf := jfile{Filename: f, URL: u, Hashes: map[string]string{"sha256": digest}, Size: FileSize(f), Yanked: r.Yanked, CoreMetadata: mode != ModeJSONAPI, UploadTime: r.UploadTime}
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
				fmt.Fprintf(&links, "<a href=\"%s#sha256=%s\"%s>%s</a><br/>\n", u, digest, attrs, f)
				if mode != ModeJSONAPI {
					write(filepath.Join(l.Metadata, f+".metadata"), []byte(md))
				}
			}
			if mode == ModeJSONAPI {
				info := map[string]any{"name": n, "version": v, "requires_dist": r.Requires, "requires_python": r.RequiresPython, "summary": "", "license": "", "classifiers": []string{}}
				info["requires_dist"] = requiresDist(r)
				b, _ := json.Marshal(map[string]any{"info": info, "urls": []any{}})
				write(filepath.Join(l.ReleaseJSON, n, v+".json"), b)
			}
		}
		switch mode {
		case ModeHTML:
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
func metadataText(name, version string, r *Release) string {
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
func requiresDist(r *Release) []string {
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

// Wheel is the file name of a wheel of a release with one tag
// ("py3-none-any").
func Wheel(name, version, tag string) string {
	return strings.ReplaceAll(pep508.NormalizeName(name), "-", "_") + "-" + version + "-" + tag + ".whl"
}

// Sdist is the file name of a release's sdist.
func Sdist(name, version string) string {
	return strings.ReplaceAll(pep508.NormalizeName(name), "-", "_") + "-" + version + ".tar.gz"
}

// FileHash is the sha256 (hex) a universe's index gives for a file: that of
// its name, so a test can compute what a lockfile should record.
func FileHash(filename string) string {
	sum := sha256.Sum256([]byte(filename))
	return hex.EncodeToString(sum[:])
}

// FileSize is the size a universe's index gives for a file (PEP 700).
func FileSize(filename string) int64 { return int64(1000 + len(filename)) }
