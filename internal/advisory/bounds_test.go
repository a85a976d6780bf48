package advisory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep440"
)

func TestReadBound(t *testing.T) {
	cases := []struct {
		in   string
		want string // the version read, "" when unusable
		how  int
	}{
		{"2.6.0", "2.6.0", boundVersion},
		{"2.9.0-beta1", "2.9.0b1", boundVersion},
		{"8.3.0-11", "8.3.0.post11", boundVersion},
		{"2.6.0-cu124", "2.6.0", boundBuild},
		{"2.6.0-NA", "2.6.0", boundBuild},
		{"3.0.3-NA", "3.0.3", boundBuild},
		{"8.3.0-11.1", "8.3.0", boundBuild},
		{"0.2.0-n653", "0.2.0", boundBuild},
		{" 4.1.0-NA ", "4.1.0", boundBuild},
		{"2024-09-25", "", boundUnusable},
		{"2019-09-12", "", boundUnusable},
		{"2018-04-22b", "", boundUnusable},
		{"4.6.0.stable11", "", boundUnusable},
		{`0.2.0-alpha\.33`, "", boundUnusable},
		{"1.0-rc.x", "", boundUnusable},    // a pre-release tag: reading it as 1.0 would widen
		{"1.0-alpha.x", "", boundUnusable}, // likewise
		{"1.0-dev.x", "", boundUnusable},
		{"v1.0-foo", "", boundUnusable},
		{"1.0-", "", boundUnusable},
		{"1..0-x", "", boundUnusable},
		{"1.0-a b", "", boundUnusable},
		{"", "", boundUnusable},
		{"-x", "", boundUnusable},
	}
	for _, c := range cases {
		v, how := readBound(c.in)
		if how != c.how {
			t.Errorf("readBound(%q) kind = %d, want %d", c.in, how, c.how)
			continue
		}
		if c.want != "" && v.String() != c.want {
			t.Errorf("readBound(%q) = %s, want %s", c.in, v, c.want)
		}
	}
}

// boundAdvisory is an advisory of package "p" with one ECOSYSTEM range.
func boundAdvisory(id string, events []Event, versions ...string) *Entry {
	return &Entry{ID: id, Modified: "2024-01-01T00:00:00Z", Affected: []Affected{{
		Package:  Package{Ecosystem: "PyPI", Name: "p"},
		Ranges:   []Range{{Type: "ECOSYSTEM", Events: events}},
		Versions: versions,
	}}}
}

// boundDB indexes advisories in memory.
func boundDB(t *testing.T, es ...*Entry) *DB {
	t.Helper()
	var docs []document
	for _, e := range es {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, document{entry: e, raw: raw, name: e.ID + ".json"})
	}
	db, err := openIndexBytesFromDocs(docs)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBoundsThatAreNotVersionsNeverWiden(t *testing.T) {
	intro0 := Event{Introduced: "0"}
	db := boundDB(t,
		boundAdvisory("BUILD-LAST", []Event{intro0, {LastAffected: "2.6.0-cu124"}}),
		boundAdvisory("BUILD-FIXED", []Event{{Introduced: "8.0.0"}, {Fixed: "8.3.0-11.1"}}),
		boundAdvisory("BUILD-LIMIT", []Event{intro0, {Limit: "3.0-NA"}}),
		boundAdvisory("DATE", []Event{intro0, {LastAffected: "2024-09-25"}}),
		boundAdvisory("DATE-LISTED", []Event{intro0, {Fixed: "2019-09-12"}}, "1.0", "1.1"),
		boundAdvisory("STABLE", []Event{intro0, {Fixed: "4.6.0.stable11"}, {Introduced: "4.6.1.dev0"}, {Fixed: "4.6.1.dev138"}}, "4.6.1.dev5"),
	)
	cases := []struct {
		version string
		want    []string
	}{
		{"0.1", []string{"BUILD-LAST", "BUILD-LIMIT"}},
		{"1.0", []string{"BUILD-LAST", "BUILD-LIMIT", "DATE-LISTED"}},
		{"2.6.0", []string{"BUILD-LAST", "BUILD-LIMIT"}},
		{"2.6", []string{"BUILD-LAST", "BUILD-LIMIT"}},
		{"2.6.0+cu124", []string{"BUILD-LAST", "BUILD-LIMIT"}}, // the build the bound names
		{"2.6.0.post1", []string{"BUILD-LIMIT"}},
		{"2.6.1", []string{"BUILD-LIMIT"}},
		{"3.0", []string{"BUILD-LIMIT"}},
		{"3.0+x", []string{"BUILD-LIMIT"}},
		{"3.0.1", nil},
		{"4.6.0", nil},
		{"4.6.1.dev5", []string{"STABLE"}},
		{"4.6.1.dev6", nil}, // the range is not used: only the versions list
		{"7.9", nil},
		{"8.0.0", []string{"BUILD-FIXED"}},
		{"8.3.0", []string{"BUILD-FIXED"}}, // before the fix in a build of 8.3.0
		{"8.3.0+deb1", []string{"BUILD-FIXED"}},
		{"8.3.1", nil},
		{"2024.9.25", nil},
		{"20240101", nil},
		{"99999", nil},
		{"99999.0rc1", nil},
	}
	for _, c := range cases {
		if got := db.QueryIDs("p", c.version); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("QueryIDs(p, %s) = %v, want %v", c.version, got, c.want)
		}
	}
	// Unpinned: the unused ranges do not make every specifier match.
	spec, _ := pep440.ParseSpecifierSet(">=10")
	if got := ids(db.QuerySpec("p", spec)); len(got) != 0 {
		t.Errorf("QuerySpec(>=10) = %v, want none", got)
	}
	var unread []string
	for _, u := range db.UnreadRanges("P") {
		unread = append(unread, u.ID+" "+u.Bound)
	}
	want := []string{`DATE last_affected "2024-09-25"`, `DATE-LISTED fixed "2019-09-12"`, `STABLE fixed "4.6.0.stable11"`}
	if !slices.Equal(unread, want) {
		t.Errorf("UnreadRanges = %q, want %q", unread, want)
	}
	e, _ := db.Get("BUILD-FIXED")
	if got := BoundNotes(e, "p"); len(got) != 1 || got[0] != `fixed "8.3.0-11.1" read as 8.3.0, which stays affected` {
		t.Errorf("BoundNotes(BUILD-FIXED) = %q", got)
	}
	e, _ = db.Get("BUILD-LAST")
	if got := BoundNotes(e, "p"); len(got) != 1 || got[0] != `last_affected "2.6.0-cu124" read as 2.6.0` {
		t.Errorf("BoundNotes(BUILD-LAST) = %q", got)
	}
	e, _ = db.Get("DATE")
	if got := BoundNotes(e, "p"); len(got) != 1 || !strings.Contains(got[0], `"2024-09-25" not used`) {
		t.Errorf("BoundNotes(DATE) = %q", got)
	}
	// Affects, which reads one advisory, agrees with the index.
	for _, id := range db.IDs() {
		e, _ := db.Get(id)
		for _, c := range cases {
			if got, want := Affects(e, "p", c.version), slices.Contains(c.want, id); got != want {
				t.Errorf("Affects(%s, %s) = %v, want %v", id, c.version, got, want)
			}
		}
	}
}

// nonVersionBound is one range bound of the snapshot that is not PEP 440.
type nonVersionBound struct {
	id, pkg, kind, bound string
	withdrawn            bool
	entry                *Entry
	affected             *Affected
	rangeIdx             int
}

// corpusNonVersionBounds finds every ECOSYSTEM range bound in the snapshot
// that is not a PEP 440 version.
func corpusNonVersionBounds(t *testing.T, db *DB) []nonVersionBound {
	var out []nonVersionBound
	for _, id := range db.IDs() {
		e, ok := db.Get(id)
		if !ok {
			t.Fatalf("Get(%s) failed", id)
		}
		for ai := range e.Affected {
			a := &e.Affected[ai]
			for ri, r := range a.Ranges {
				if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
					continue
				}
				for _, ev := range r.Events {
					for kind, b := range map[string]string{"introduced": ev.Introduced, "fixed": ev.Fixed, "last_affected": ev.LastAffected, "limit": ev.Limit} {
						if b == "" || b == "0" {
							continue
						}
						if _, err := pep440.Parse(strings.TrimSpace(b)); err == nil {
							continue
						}
						out = append(out, nonVersionBound{id, a.Package.Name, kind, b, e.Withdrawn != "", e, a, ri})
					}
				}
			}
		}
	}
	return out
}

// TestCorpusNonVersionBounds checks every advisory of the snapshot whose
// range has a bound that is not a version: none matches every version, a
// version far above every bound matches only when listed, a bound naming a
// build of a release is read as that release, and a range with any other
// bound is not used (the versions list decides alone).
func TestCorpusNonVersionBounds(t *testing.T) {
	db := corpusDB(t)
	bounds := corpusNonVersionBounds(t, db)
	advisories, live, builds, unusable := map[string]bool{}, map[string]bool{}, 0, 0
	for _, b := range bounds {
		advisories[b.id] = true
		if !b.withdrawn {
			live[b.id] = true
		}
		if _, how := readBound(b.bound); how == boundBuild {
			builds++
		} else {
			unusable++
		}
	}
	// Facts of the snapshot (its files are checksummed by the corpus).
	if len(advisories) != 31 || len(live) != 25 || builds != 26 || unusable != 9 {
		t.Fatalf("%d advisories (%d not withdrawn) with %d build and %d unusable bounds; want 31 (25), 26 and 9",
			len(advisories), len(live), builds, unusable)
	}
	checked := 0
	for _, b := range bounds {
		if b.withdrawn {
			if got := db.QueryIDs(b.pkg, "1.0"); slices.Contains(got, b.id) {
				t.Errorf("withdrawn %s matched", b.id)
			}
			continue
		}
		listed := func(v string) bool {
			return slices.ContainsFunc(b.affected.Versions, func(l string) bool { return VersionKey(l) == VersionKey(v) })
		}
		matches := func(v string) bool { return slices.Contains(db.QueryIDs(b.pkg, v), b.id) }
		r := b.affected.Ranges[b.rangeIdx]
		v, how := readBound(b.bound)
		// Far above every bound: never "every version". Far below: affected
		// only through a used range that starts at 0, or when listed.
		fromZero := how != boundUnusable && slices.ContainsFunc(r.Events, func(e Event) bool { return e.Introduced == "0" })
		for _, c := range []struct {
			v       string
			inRange bool
		}{{"99999", false}, {"99999.1.post3", false}, {"100000.0rc1", false}, {"0.0.0.1", fromZero}, {"0.dev0", fromZero}} {
			if got, want := matches(c.v), c.inRange || listed(c.v); got != want {
				t.Errorf("%s (%s %s %q): version %s matches = %v, want %v", b.id, b.pkg, b.kind, b.bound, c.v, got, want)
			}
			checked++
		}
		if how == boundUnusable {
			// The range is not used: every version the range's other bounds
			// name matches only when listed.
			for _, ev := range r.Events {
				for _, s := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
					if _, err := pep440.Parse(s); err != nil || s == "" {
						continue
					}
					if got := matches(s); got != listed(s) && ecoRanges(b.affected) == 1 {
						t.Errorf("%s: unused range: %s matches = %v, listed = %v", b.id, s, got, listed(s))
					}
					checked++
				}
			}
			if !slices.ContainsFunc(db.UnreadRanges(b.pkg), func(u UnreadRange) bool { return u.ID == b.id }) {
				t.Errorf("%s: bound %q not reported by UnreadRanges", b.id, b.bound)
			}
			continue
		}
		// A simple range, [introduced I, fixed or last_affected X-tag]: X and
		// its local builds are affected, the next release is not (unless
		// listed), and I is affected.
		if len(r.Events) != 2 || b.kind == "introduced" || b.kind == "limit" {
			continue
		}
		intro := r.Events[0].Introduced
		if intro == "" {
			continue
		}
		rel := v.String()
		base, err := pep440.FromRelease("", v.ReleaseStrings())
		if err != nil {
			t.Fatal(err)
		}
		next := base.BumpRelease(len(v.ReleaseStrings()) - 1).String()
		for _, c := range []struct {
			v    string
			want bool
		}{{rel, true}, {rel + "+cu124", true}, {next, false}, {next + ".post1", false}} {
			if got := matches(c.v); got != (c.want || listed(c.v)) {
				t.Errorf("%s (%s %q read as %s): %s matches = %v, want %v", b.id, b.kind, b.bound, rel, c.v, got, c.want || listed(c.v))
			}
			checked++
		}
		if intro != "0" && !matches(intro) {
			t.Errorf("%s: introduced %s does not match", b.id, intro)
		}
		e, _ := db.Get(b.id)
		notes := BoundNotes(e, b.pkg)
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, fmt.Sprintf("%q read as %s", b.bound, rel)) }) {
			t.Errorf("%s: BoundNotes = %q, want a reading of %q", b.id, notes, b.bound)
		}
	}
	if checked < 150 {
		t.Errorf("only %d checks made", checked)
	}
	// Current releases of the packages these advisories name match none of
	// them (each matched all of them while such bounds were dropped).
	for _, c := range []struct{ pkg, version string }{
		{"torch", "2.12.1"}, {"apache-airflow", "3.1.0"}, {"pynetbox", "7.4.1"}, {"gdal", "3.11.0"}, {"neutron", "30.0.0"},
	} {
		for _, id := range db.QueryIDs(c.pkg, c.version) {
			if live[id] {
				t.Errorf("%s==%s matches %s, an advisory with a bound that is not a version", c.pkg, c.version, id)
			}
		}
	}
}

// ecoRanges counts the ranges matching uses.
func ecoRanges(a *Affected) int {
	n := 0
	for _, r := range a.Ranges {
		if r.Type == "ECOSYSTEM" || r.Type == "SEMVER" {
			n++
		}
	}
	return n
}
