package advisory

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/pep440"
)

const fixtureDir = "testdata/osv"

// zipDir writes the advisory files of dir into a flat zip, as OSV exports them.
func zipDir(t testing.TB, dir string) string {
	t.Helper()
	src, err := openDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range src.names {
		data, err := src.read(n)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(n))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(es []*Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	slices.Sort(out)
	return out
}

func openFixture(t testing.TB) *DB {
	t.Helper()
	db, err := Open(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOpenDirSkipsNonAdvisories(t *testing.T) {
	db := openFixture(t)
	if got := db.Len(); got != 6 {
		t.Fatalf("Len = %d, want 6 (%v)", got, db.IDs())
	}
	m := db.Meta()
	if m.Skipped != 1 || m.Withdrawn != 1 || m.Format != "dir" || m.Count != 6 {
		t.Errorf("meta = %+v", m)
	}
	if got, want := db.Packages(), []string{"evil-pkg", "foo-bar", "rangey"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Packages = %v, want %v", got, want)
	}
}

func TestQuerySemantics(t *testing.T) {
	db := openFixture(t)
	cases := []struct {
		name, version string
		want          []string
	}{
		{"foo-bar", "1.0", []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"}},
		{"Foo_Bar", "1.0.0", []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"}},
		{"FOO.bar", "1.4.9", []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"}},
		{"foo-bar", "1.5", nil},
		{"foo-bar", "1.5.0", nil},
		{"foo-bar", "1.9", nil},
		{"foo-bar", "2.0", []string{"PYSEC-2099-2"}},
		{"foo-bar", "2.1.0", []string{"PYSEC-2099-2"}},
		{"foo-bar", "2.3", []string{"PYSEC-2099-2"}},
		{"foo-bar", "2.3.0", []string{"PYSEC-2099-2"}},
		{"foo-bar", "2.3.post1", nil},
		{"foo-bar", "2.3.1", nil},
		{"evil_pkg", "0.1", []string{"MAL-2099-7"}},
		{"evil-pkg", "0.2.0", []string{"MAL-2099-7"}},
		{"evil-pkg", "0.3", nil},
		{"rangey", "0.4", []string{"PYSEC-2099-4"}},
		{"rangey", "0.5", nil},
		{"rangey", "1.0.dev1", nil},
		{"rangey", "1.0", []string{"PYSEC-2099-4"}},
		{"rangey", "2.0rc1", []string{"PYSEC-2099-4"}},
		{"rangey", "2.0", nil},
		{"rangey", "2.5", nil},
		{"rangey", "3.0a1", []string{"PYSEC-2099-4"}},
		{"rangey", "3.0b2", []string{"PYSEC-2099-4"}},
		{"rangey", "3.0.1", []string{"PYSEC-2099-4"}},
		{"rangey", "3.0.2", nil},
		{"other", "1.0", nil},
		{"unknown", "1.0", nil},
	}
	for _, c := range cases {
		got := ids(db.Query(c.name, c.version))
		want := c.want
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Query(%q, %q) = %v, want %v", c.name, c.version, got, want)
		}
		if qi := append([]string{}, db.QueryIDs(c.name, c.version)...); !reflect.DeepEqual(append([]string{}, slices.Sorted(slices.Values(qi))...), want) {
			t.Errorf("QueryIDs(%q, %q) = %v, want %v", c.name, c.version, qi, want)
		}
		refs := db.QueryRefs(c.name, c.version)
		if len(refs) != len(want) {
			t.Errorf("QueryRefs(%q, %q) = %v, want %v", c.name, c.version, refs, want)
		}
		for _, r := range refs {
			if e, ok := db.Get(r.ID); !ok || e.Modified != r.Modified || r.Modified == "" {
				t.Errorf("QueryRefs(%q, %q): %+v does not match the advisory", c.name, c.version, r)
			}
		}
		for _, id := range want {
			e, _ := db.Get(id)
			if !Affects(e, c.name, c.version) {
				t.Errorf("Affects(%s, %q, %q) = false", id, c.name, c.version)
			}
		}
	}
}

func TestMatchNonPEP440Version(t *testing.T) {
	db := openFixture(t)
	es, err := db.Match("foo-bar", "not a version")
	if err == nil || len(es) != 0 {
		t.Fatalf("Match = %v, %v; want no entries and an error", ids(es), err)
	}
}

func TestWithdrawnAndGet(t *testing.T) {
	db := openFixture(t)
	e, ok := db.Get("PYSEC-2099-3")
	if !ok || e.Withdrawn == "" {
		t.Fatalf("Get withdrawn = %v, %v", e, ok)
	}
	if Affects(e, "foo-bar", "0.1") {
		t.Error("withdrawn advisory affects a version")
	}
	for _, id := range []string{"cve-2099-0002", "PYSEC-2099-2"} {
		e, ok := db.Get(id)
		if !ok || e.ID != "PYSEC-2099-2" {
			t.Errorf("Get(%q) = %v, %v", id, e, ok)
		}
	}
	if _, ok := db.Get("CVE-1999-0001"); ok {
		t.Error("Get of an unknown id succeeded")
	}
	if refs := db.QueryRefs("Foo.Bar", ""); len(refs) != 3 {
		t.Errorf("QueryRefs of every foo-bar advisory = %v, want the 3 not withdrawn", refs)
	}
	// YAML timestamps keep their text.
	e, _ = db.Get("PYSEC-2099-2")
	if e.Modified != "2099-02-01T10:00:00.123456Z" {
		t.Errorf("Modified = %q", e.Modified)
	}
}

func TestRaw(t *testing.T) {
	db := openFixture(t)
	b, ok := db.Raw("GHSA-aaaa-bbbb-cccc")
	if !ok {
		t.Fatal("Raw not found")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["id"] != "GHSA-aaaa-bbbb-cccc" || m["database_specific"].(map[string]any)["severity"] != "HIGH" {
		t.Errorf("Raw = %s", b)
	}
	b, ok = db.Raw("PYSEC-2099-2")
	if !ok || !bytes.Contains(b, []byte(`"published":"2099-02-01T10:00:00Z"`)) {
		t.Errorf("Raw of YAML advisory = %s", b)
	}
}

func TestFixVersionsAndRate(t *testing.T) {
	db := openFixture(t)
	e, _ := db.Get("PYSEC-2099-4")
	if got := FixVersions(e, "Rangey"); !reflect.DeepEqual(got, []string{"2.0", "3.0.2"}) {
		t.Errorf("FixVersions = %v", got)
	}
	if got := FixVersions(e, "other"); got != nil {
		t.Errorf("FixVersions of a non-PyPI package = %v", got)
	}
	cases := []struct {
		id    string
		level finding.Severity
		score float64
	}{
		{"PYSEC-2099-1", finding.SeverityCritical, 9.8},
		{"GHSA-aaaa-bbbb-cccc", finding.SeverityHigh, 0},
		{"PYSEC-2099-2", finding.SeverityHigh, 8.7},
		{"PYSEC-2099-4", finding.SeverityMedium, 0},
		{"MAL-2099-7", finding.SeverityMalicious, 0},
		{"PYSEC-2099-3", finding.SeverityUnknown, 0},
	}
	for _, c := range cases {
		e, _ := db.Get(c.id)
		r := Rate(e, "")
		if r.Level != c.level || r.Score != c.score {
			t.Errorf("Rate(%s) = %+v, want %v %v", c.id, r, c.level, c.score)
		}
	}
}

func TestQuerySpec(t *testing.T) {
	db := openFixture(t)
	cases := []struct {
		name, spec string
		want       []string
	}{
		{"foo-bar", "", []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1", "PYSEC-2099-2"}},
		{"foo-bar", ">=1.5,<2", nil},
		{"foo-bar", ">=2.2", []string{"PYSEC-2099-2"}},
		{"foo-bar", "==1.2", []string{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"}},
		{"foo-bar", ">=3", nil},
		{"rangey", "~=1.4", []string{"PYSEC-2099-4"}},
		{"rangey", ">=2.0,<3", nil},
		{"rangey", ">=2.0,<3.0.1", []string{"PYSEC-2099-4"}},
		{"rangey", ">=3.0.2", nil},
		{"rangey", "<1", []string{"PYSEC-2099-4"}},
		{"foo-bar", ">2.2,!=2.3", []string{"PYSEC-2099-2"}},
		{"foo-bar", "==2.*", []string{"PYSEC-2099-2"}},
	}
	for _, c := range cases {
		spec, err := pep440.ParseSpecifierSet(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(db.QuerySpec(c.name, spec))
		want := c.want
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("QuerySpec(%q, %q) = %v, want %v", c.name, c.spec, got, want)
		}
	}
}

func TestZipDirAndIndexAgree(t *testing.T) {
	dirDB := openFixture(t)
	zipPath := zipDir(t, fixtureDir)
	cache := t.TempDir()
	zipDB, err := OpenWith(zipPath, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if zipDB.Meta().Format != "zip" {
		t.Errorf("format = %q", zipDB.Meta().Format)
	}
	cached, _ := filepath.Glob(filepath.Join(cache, "advisories", "by-hash", "*.idx"))
	if len(cached) != 1 || !strings.Contains(cached[0], zipDB.Meta().ContentSHA256) {
		t.Fatalf("cached index files = %v", cached)
	}
	// The second open reads the cached index; so does opening it directly.
	again, err := OpenWith(zipPath, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if again.Meta().Path != cached[0] {
		t.Errorf("second open did not use the cache: %+v", again.Meta())
	}
	idxDB, err := Open(cached[0])
	if err != nil {
		t.Fatal(err)
	}
	defer idxDB.Close()
	defer again.Close()
	for _, db := range []*DB{zipDB, again, idxDB} {
		if !reflect.DeepEqual(db.IDs(), dirDB.IDs()) {
			t.Errorf("ids differ: %v vs %v", db.IDs(), dirDB.IDs())
		}
		for _, q := range [][2]string{{"foo-bar", "1.0"}, {"rangey", "3.0b1"}, {"evil-pkg", "0.1"}} {
			if a, b := ids(db.Query(q[0], q[1])), ids(dirDB.Query(q[0], q[1])); !reflect.DeepEqual(a, b) {
				t.Errorf("Query%v = %v, dir gives %v", q, a, b)
			}
		}
		a, _ := db.Raw("PYSEC-2099-1")
		b, _ := dirDB.Raw("PYSEC-2099-1")
		if !bytes.Equal(a, b) {
			t.Errorf("Raw differs")
		}
		checkGetMatchesRaw(t, db, 1)
	}
}

// checkGetMatchesRaw checks that every stride-th advisory Get returns
// (decoded from the lite JSON and the index) equals its full JSON.
func checkGetMatchesRaw(t *testing.T, db *DB, stride int) {
	t.Helper()
	for n, id := range db.IDs() {
		if n%stride != 0 {
			continue
		}
		got, ok := db.Get(id)
		raw, ok2 := db.Raw(id)
		if !ok || !ok2 {
			t.Fatalf("%s: Get %v, Raw %v", id, ok, ok2)
		}
		var want Entry
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		// Compare as JSON: an empty list in the file and an absent one are the same.
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(&want)
		if !bytes.Equal(g, w) {
			t.Fatalf("%s: Get differs from Raw:\n got %s\nwant %s", id, g, w)
		}
	}
}

func TestBadInputNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "PYSEC-1.json"), []byte("{\n  \"id\": \"PYSEC-1\",\n  \"affected\": [\n    {,}\n  ]\n}\n"), 0o644)
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "PYSEC-1.json") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("err = %v", err)
	}
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "A.yaml"), []byte("id: A\naffected: [\n"), 0o644)
	if _, err := Open(dir2); err == nil || !strings.Contains(err.Error(), "A.yaml") || !strings.Contains(err.Error(), "line") {
		t.Errorf("yaml err = %v", err)
	}
	dir3 := t.TempDir()
	os.WriteFile(filepath.Join(dir3, "A.json"), []byte(`{"id":"A"}`), 0o644)
	os.WriteFile(filepath.Join(dir3, "B.json"), []byte(`{"id":"A"}`), 0o644)
	if _, err := Open(dir3); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate err = %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no OSV advisories") {
		t.Errorf("empty dir err = %v", err)
	}
	notZip := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(notZip, []byte("this is not a zip"), 0o644)
	if _, err := Open(notZip); err == nil || !strings.Contains(err.Error(), "x.zip") {
		t.Errorf("not-zip err = %v", err)
	}
}

func TestCorruptIndexIsRejected(t *testing.T) {
	zipPath := zipDir(t, fixtureDir)
	cache := t.TempDir()
	if _, err := OpenWith(zipPath, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	cached, _ := filepath.Glob(filepath.Join(cache, "advisories", "by-hash", "*.idx"))
	data, err := os.ReadFile(cached[0])
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string][]byte{
		"truncated": data[:len(data)/2],
		"empty":     data[:len(indexMagic)],
		"flipped":   append(append([]byte{}, data[:len(data)-200]...), append([]byte{data[len(data)-200] ^ 0xff}, data[len(data)-199:]...)...),
	}
	// Flip a byte of the match section: the checksum catches it.
	hdrEnd := len(indexMagic) + 4 + int(uint32(data[len(indexMagic)])|uint32(data[len(indexMagic)+1])<<8)
	m := append([]byte{}, data...)
	m[hdrEnd+10] ^= 0x55
	variants["match"] = m
	for name, b := range variants {
		p := filepath.Join(t.TempDir(), name+".idx")
		os.WriteFile(p, b, 0o644)
		db, err := Open(p)
		if name == "flipped" {
			// Damage in one advisory's raw block shows when it is read.
			if err != nil {
				continue
			}
			for _, id := range db.IDs() {
				db.Raw(id)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
