package pypi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

func corpusClient(t *testing.T) (*Client, *pypitest.Server) {
	srv := pypitest.New(t, pypitest.Corpus(t))
	return newTestClient(srv.Server, t.TempDir()), srv
}

func TestCorpusJSONAPI(t *testing.T) {
	c, _ := corpusClient(t)
	ctx := context.Background()
	p, err := c.Project(ctx, "Requests")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, fs := range p.Releases {
		files += len(fs)
	}
	if p.Info.Name != "requests" || len(p.Releases) != 132 || files != 181 {
		t.Errorf("requests: name %q, %d releases, %d files; want requests, 132, 181", p.Info.Name, len(p.Releases), files)
	}
	r, err := c.Release(ctx, "isort", "4.3.4")
	if err != nil {
		t.Fatal(err)
	}
	if r.Info.Version != "4.3.4" || len(r.URLs) == 0 {
		t.Errorf("isort 4.3.4: version %q, %d urls", r.Info.Version, len(r.URLs))
	}
	if fs, ok := r.FilesOf("4.3.4"); !ok || len(fs) != len(r.URLs) {
		t.Errorf("FilesOf(4.3.4) = %d files", len(fs))
	}
}

func TestCorpusSimpleJSONAndMetadata(t *testing.T) {
	c, srv := corpusClient(t)
	ctx := context.Background()
	p, err := c.Simple(ctx, "isort")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "isort" || p.APIVersion != "1.4" || len(p.Files) != 3 || p.ProjectStatus != "active" {
		t.Fatalf("isort simple page: %+v", p)
	}
	f := p.Files[0]
	if !f.CoreMetadata || f.MetadataHashes["sha256"] == "" || !strings.HasPrefix(f.URL, srv.URL+"/files/") {
		t.Fatalf("file %+v", f)
	}
	md, err := c.Metadata(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if md.Get("name") != "isort" || md.Get("Version") != "4.3.4" {
		t.Errorf("metadata name/version = %q %q", md.Get("Name"), md.Get("Version"))
	}
	// A tampered hash must be refused.
	f.MetadataHashes = map[string]string{"sha256": strings.Repeat("0", 64)}
	if _, err := c.Metadata(ctx, f); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("tampered metadata hash: err = %v", err)
	}
}

func TestCorpusSimpleHTML(t *testing.T) {
	c, _ := corpusClient(t)
	p, err := c.Simple(context.Background(), "futures-partial-yank")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || !p.Files[0].Yanked || p.Files[1].Yanked {
		t.Fatalf("futures-partial-yank: %+v", p.Files)
	}
	if p.Files[0].RequiresPython != ">=2.6, <3" || p.Files[0].Hashes["sha256"] == "" || strings.Contains(p.Files[0].URL, "#") {
		t.Errorf("file 0 = %+v", p.Files[0])
	}
}

func TestCorpusPipIndexes(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(root, "pypi-json", "pip", "indexes"))))
	defer srv.Close()
	c := New(Options{CacheDir: t.TempDir()})
	ctx := context.Background()
	p, err := c.SimpleAt(ctx, srv.URL+"/yanked", "simple")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 3 || p.Files[2].YankedReason != "test reason message" || p.Files[0].Yanked {
		t.Errorf("yanked index: %+v", p.Files)
	}
	if want := srv.URL + "/packages/simple-3.0.tar.gz"; p.Files[2].URL != want {
		t.Errorf("relative link resolved to %s, want %s", p.Files[2].URL, want)
	}
	p, err = c.SimpleAt(ctx, srv.URL+"/in%20dex", "simple")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || p.Files[0].Hashes["md5"] != "4bdf78ebb7911f215c1972cf71b378f0" {
		t.Errorf("in dex: %+v", p.Files)
	}
	if ok, err := c.Exists(ctx, srv.URL+"/datarequire", "fakepackage"); !ok || err != nil {
		t.Errorf("Exists(fakepackage) = %v, %v", ok, err)
	}
}

func TestParseMetadataFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "METADATA"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMetadata(b, "METADATA")
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("license-expression") != "MIT OR Apache-2.0" || len(m.All("Classifier")) != 2 || !strings.HasPrefix(m.Body, "# demo") {
		t.Errorf("metadata = %+v", m)
	}
	if _, err := ParseMetadata([]byte("Name: x\nthis is not a field\n"), "PKG-INFO"); err == nil || !strings.Contains(err.Error(), "PKG-INFO:2:") {
		t.Errorf("bad line: err = %v, want file:line", err)
	}
}
