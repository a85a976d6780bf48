// Package pypitest serves package-index responses from directories of files
// through a real net/http/httptest server, for tests of the index client and
// the checks built on it.
package pypitest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// Layout names the directories a Server reads. Empty fields serve nothing.
type Layout struct {
	ProjectJSON string // NAME.json served at /pypi/NAME/json
	ReleaseJSON string // NAME/VERSION.json served at /pypi/NAME/VERSION/json
	SimpleJSON  string // NAME.json (PEP 691) served at /simple/NAME/ when JSON is accepted
	SimpleHTML  string // NAME.html (PEP 503) served at /simple/NAME/ otherwise
	Metadata    string // FILE.metadata served at /files/FILE.metadata
	// CacheControl is sent with every 200 response when set (e.g. "max-age=0").
	CacheControl string
}

// Server is a running index. Requests counts the requests that reached the
// handler; NotModified counts 304 answers.
type Server struct {
	*httptest.Server
	Requests    atomic.Int64
	NotModified atomic.Int64
	layout      Layout
}

// filesHost matches file URLs of the public index, rewritten to /files/FILE.
var filesHost = regexp.MustCompile(`https://files\.pythonhosted\.org/packages/(?:[^"'#\s]*/)?([^/"'#\s]+)`)

// New starts a server for l; it is closed when the test ends.
func New(t testing.TB, l Layout) *Server {
	s := &Server{layout: l}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var file, ctype string
	switch {
	case len(parts) == 3 && parts[0] == "pypi" && parts[2] == "json":
		file, ctype = join(s.layout.ProjectJSON, parts[1]+".json"), "application/json"
	case len(parts) == 4 && parts[0] == "pypi" && parts[3] == "json":
		file, ctype = join(s.layout.ReleaseJSON, parts[1], parts[2]+".json"), "application/json"
	case len(parts) == 2 && parts[0] == "simple":
		if j := join(s.layout.SimpleJSON, parts[1]+".json"); j != "" && strings.Contains(r.Header.Get("Accept"), "json") && exists(j) {
			file, ctype = j, "application/vnd.pypi.simple.v1+json"
		} else {
			file, ctype = join(s.layout.SimpleHTML, parts[1]+".html"), "text/html"
		}
	case len(parts) == 2 && parts[0] == "files":
		file, ctype = join(s.layout.Metadata, parts[1]), "text/plain"
	}
	b, err := os.ReadFile(file)
	if file == "" || err != nil {
		http.NotFound(w, r)
		return
	}
	b = filesHost.ReplaceAll(b, []byte(s.URL+"/files/$1"))
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		s.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", ctype)
	if s.layout.CacheControl != "" {
		w.Header().Set("Cache-Control", s.layout.CacheControl)
	}
	_, _ = w.Write(b)
}

func join(dir string, elem ...string) string {
	if dir == "" {
		return ""
	}
	for _, e := range elem {
		if e == "" || e == "." || e == ".." || strings.ContainsAny(e, `/\`) {
			return ""
		}
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Corpus returns the layout of the shared test corpus's pypi-json folder, or
// skips the test when PYVET_CORPUS is not set.
func Corpus(t testing.TB) Layout {
	t.Helper()
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	d := filepath.Join(root, "pypi-json")
	return Layout{
		ProjectJSON: filepath.Join(d, "poetry-2022-09", "json"),
		ReleaseJSON: filepath.Join(d, "poetry", "json"),
		SimpleJSON:  filepath.Join(d, "poetry", "json"),
		SimpleHTML:  filepath.Join(d, "poetry", "simple"),
		Metadata:    filepath.Join(d, "poetry", "metadata"),
	}
}
