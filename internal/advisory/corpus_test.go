package advisory

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/pep440"
)

// corpusZip returns the corpus advisory snapshot, or skips.
func corpusZip(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	m, _ := filepath.Glob(filepath.Join(dir, "advisories", "*.zip"))
	if len(m) != 1 {
		t.Fatalf("want exactly one advisory zip in %s/advisories, found %v", dir, m)
	}
	return m[0]
}

func BenchmarkOpenZip(b *testing.B) {
	p := corpusZip(b)
	for b.Loop() {
		if _, err := Open(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenIndex(b *testing.B) {
	p := corpusZip(b)
	cache := b.TempDir()
	db, err := OpenWith(p, Options{CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	idx, _ := filepath.Glob(filepath.Join(cache, "advisories", "by-hash", "*.idx"))
	st, _ := os.Stat(idx[0])
	for b.Loop() {
		db, err := Open(idx[0])
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	b.ReportMetric(float64(st.Size()), "index-bytes")
	db.Close()
}

// pins returns one listed version of each of the first n packages.
func pins(b *testing.B, db *DB, n int) [][2]string {
	var out [][2]string
	for _, name := range db.Packages() {
		for _, e := range db.Query(name, "") {
			if len(e.Affected) > 0 && len(e.Affected[0].Versions) > 0 {
				vs := e.Affected[0].Versions
				out = append(out, [2]string{name, vs[len(vs)/2]})
				break
			}
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// BenchmarkMatch1000 is the matching an audit of 1,000 pins does on a
// freshly opened index: match and decode every affecting advisory.
func BenchmarkMatch1000(b *testing.B) {
	p := corpusZip(b)
	cache := b.TempDir()
	db, err := OpenWith(p, Options{CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	ps := pins(b, db, 1000)
	idx := db.Meta().Path
	if idx == "" {
		idx = filepath.Join(cache, "advisories", "by-hash", db.Meta().ContentSHA256+".idx")
	}
	n := 0
	for b.Loop() {
		fresh, err := Open(idx)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for _, pin := range ps {
			n += len(fresh.Query(pin[0], pin[1]))
		}
		fresh.Close()
	}
	b.ReportMetric(float64(n), "advisories")
}

// BenchmarkQueryIDs matches without decoding, on a warm database.
func BenchmarkQueryIDs(b *testing.B) {
	db, err := Open(corpusZip(b))
	if err != nil {
		b.Fatal(err)
	}
	ps := pins(b, db, 1000)
	for b.Loop() {
		for _, pin := range ps {
			db.QueryIDs(pin[0], pin[1])
		}
	}
}

var corpus struct {
	once sync.Once
	db   *DB
	err  error
}

// corpusDB opens the corpus snapshot once for all tests.
func corpusDB(t *testing.T) *DB {
	p := corpusZip(t)
	corpus.once.Do(func() { corpus.db, corpus.err = Open(p) })
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.db
}

func TestCorpusSnapshot(t *testing.T) {
	db := corpusDB(t)
	// Facts stated by the corpus manifest.
	m := db.Meta()
	if m.Count != 7080 || m.Withdrawn != 269 || m.Packages != 1532 {
		t.Fatalf("meta = %+v, want 7080 advisories, 269 withdrawn, 1532 packages", m)
	}
	checkGetMatchesRaw(t, db, 3)
	// Every version an advisory lists is affected, however it is spelled:
	// with trailing zeros added and the name in another PEP 503 spelling.
	checked := 0
	for n, id := range db.IDs() {
		if n%10 != 0 {
			continue
		}
		e, ok := db.Get(id)
		if !ok {
			t.Fatalf("Get(%s) failed", id)
		}
		for _, a := range e.Affected {
			for i, v := range a.Versions {
				if i%4 != 0 {
					continue
				}
				want := e.Withdrawn == ""
				spellings := []string{v}
				if !strings.ContainsAny(v, "+!") {
					spellings = append(spellings, strings.ToUpper(v))
				}
				if _, err := pep440.Parse(v); err == nil && !strings.ContainsAny(v, "abrcdevpost+!-_") {
					spellings = append(spellings, v+".0")
				}
				for _, s := range spellings {
					name := strings.ReplaceAll(strings.ToUpper(a.Package.Name), "-", "_.")
					got := slices.Contains(db.QueryIDs(name, s), e.ID)
					if got != want {
						t.Errorf("%s: Query(%q, %q) includes it = %v, want %v", e.ID, name, s, got, want)
					}
					checked++
				}
			}
		}
	}
	if checked < 5000 {
		t.Errorf("only %d version spellings checked", checked)
	}
}

// TestCorpusHandVerified checks advisories read by hand from the snapshot.
func TestCorpusHandVerified(t *testing.T) {
	db := corpusDB(t)
	cases := []struct {
		name, version, id string
		affected          bool
		fixes             []string
		score             float64
	}{
		// introduced 0.10.0, fixed 1.2.5; CVSS 3.1 .../UI:R/S:U/C:H/I:H/A:H = 8.8
		{"dulwich", "1.2.1", "PYSEC-2026-2463", true, []string{"1.2.5"}, 8.8},
		{"dulwich", "1.2.5", "PYSEC-2026-2463", false, []string{"1.2.5"}, 8.8},
		// introduced 0, fixed 2.0.0: the pre-release 1.0.0a5 is inside the range
		{"cleo", "1.0.0a5", "PYSEC-2022-43178", true, []string{"2.0.0"}, 7.5},
		{"cleo", "2.0.0rc1", "PYSEC-2022-43178", true, []string{"2.0.0"}, 7.5},
		// events listed out of order: introduced 2.0.0, fixed 2.0.6, introduced 0, fixed 1.26.17
		{"urllib3", "1.26.12", "PYSEC-2023-192", true, []string{"1.26.17", "2.0.6"}, 8.1},
		{"urllib3", "1.26.17", "PYSEC-2023-192", false, []string{"1.26.17", "2.0.6"}, 8.1},
		{"urllib3", "2.0.5", "PYSEC-2023-192", true, []string{"1.26.17", "2.0.6"}, 8.1},
		// introduced 2017.11.5, fixed 2022.12.7, no severity vector
		{"certifi", "2022.9.14", "PYSEC-2022-42986", true, []string{"2022.12.7"}, 0},
		{"certifi", "2017.7.27", "PYSEC-2022-42986", false, []string{"2022.12.7"}, 0},
		// introduced 3.0 ... the versions list holds "3.2", a pin says 3.2.0
		{"Django", "3.2.0", "PYSEC-2021-98", true, []string{"2.2.24", "3.1.12", "3.2.4"}, 0},
	}
	for _, c := range cases {
		e, ok := db.Get(c.id)
		if !ok {
			t.Fatalf("%s missing", c.id)
		}
		got := slices.ContainsFunc(db.Query(c.name, c.version), func(x *Entry) bool { return x.ID == c.id })
		if got != c.affected {
			t.Errorf("Query(%s, %s) includes %s = %v, want %v", c.name, c.version, c.id, got, c.affected)
		}
		if fx := FixVersions(e, c.name); !slices.Equal(fx, c.fixes) {
			t.Errorf("FixVersions(%s) = %v, want %v", c.id, fx, c.fixes)
		}
		if r := Rate(e, c.name); r.Score != c.score {
			t.Errorf("Rate(%s) = %+v, want score %v", c.id, r, c.score)
		}
	}
}

// BenchmarkMatchHits1000 is what an audit of 1,000 pins asks of a freshly
// opened index: open it, match every pin and get the prepared hits.
func BenchmarkMatchHits1000(b *testing.B) { benchMatchHits(b, 1000) }

// BenchmarkMatchHits1 is the same for one pin.
func BenchmarkMatchHits1(b *testing.B) { benchMatchHits(b, 1) }

func benchMatchHits(b *testing.B, n int) {
	p := corpusZip(b)
	cache := b.TempDir()
	db, err := OpenWith(p, Options{CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	ps := pins(b, db, n)
	idx := filepath.Join(cache, "advisories", "by-hash", db.Meta().ContentSHA256+".idx")
	hits := 0
	for b.Loop() {
		fresh, err := Open(idx)
		if err != nil {
			b.Fatal(err)
		}
		hits = 0
		for _, pin := range ps {
			hs, _ := fresh.MatchHits(pin[0], pin[1])
			hits += len(hs)
		}
		fresh.Close()
	}
	b.ReportMetric(float64(hits), "hits")
}

// BenchmarkBuild builds the index of the snapshot (what `db update --from`
// does besides hashing and writing the file).
func BenchmarkBuild(b *testing.B) {
	p := corpusZip(b)
	size := 0
	for b.Loop() {
		data, err := buildFrom(p, Meta{})
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "index-bytes")
}
