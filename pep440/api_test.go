package pep440

import (
	"encoding/json"
	"errors"
	"math/rand"
	"slices"
	"testing"
)

func TestCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1", "1"},
		{"1.0", "1"},
		{"1.0.0", "1"},
		{"v1.00.000", "1"},
		{"0", "0"},
		{"0.0.0", "0"},
		{"1.10", "1.10"},
		{"1.10.0", "1.10"},
		{"1.0.1", "1.0.1"},
		{"2020.0", "2020"},
		{"1.99999999999999999999999", "1.99999999999999999999999"},
		{"1.99999999999999999999999.0.0", "1.99999999999999999999999"},
		{"1.0099999999999999999999990.0", "1.99999999999999999999990"},
		{"99999999999999999999999999999999!1.0", "99999999999999999999999999999999!1"},
		{"0!1.0", "1"},
		{"1!0.0", "1!0"},
		{"1!2.0.0rc1.post0.dev0+Ubuntu.01", "1!2rc1.post0.dev0+ubuntu.1"},
		{"1.0a", "1a0"},
		{"1.0.0-alpha.1", "1a1"},
		{"1.0c2", "1rc2"},
		{"1.0-1", "1.post1"},
		{"1.0.rev2", "1.post2"},
		{"1.0.0.dev", "1.dev0"},
		{"1.0+local.0", "1+local.0"},
		{"1.0+LOCAL-007_x", "1+local.7.x"},
		{"1.0poſt1", "1.poſt1"},
		{"1.0prev\u0130ew+X.0", "1prev\u0130ew0+x.0"},
	} {
		v, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if got := v.Canonical(); got != c.want {
			t.Errorf("Canonical(%q) = %q, want %q", c.in, got, c.want)
		}
		back, err := Parse(v.Canonical())
		if err != nil || !back.Equal(v) {
			t.Errorf("Canonical(%q) = %q does not parse back to an equal version (%v)", c.in, v.Canonical(), err)
		}
	}
	if got := (Version{}).Canonical(); got != "" {
		t.Errorf("zero Version Canonical = %q", got)
	}
}

// TestCanonicalDistinguishes checks that versions that differ only far
// beyond the range of a machine integer, or only in a segment other than
// the release, get different keys.
func TestCanonicalDistinguishes(t *testing.T) {
	groups := [][]string{
		{"1.99999999999999999999999", "1.99999999999999999999999.0"},
		{"1.99999999999999999999998"},
		{"1.9223372036854775807"},
		{"1.9223372036854775808"},
		{"1!1.0", "1!1"},
		{"1"},
		{"1rc1", "1.0rc1"},
		{"1.0.post1", "1-1"},
		{"1.0poſt1"},
		{"1.0.dev0"},
		{"1.0+1", "1.0+01"},
		{"1.0+1.0"},
		{"1.0+a"},
	}
	seen := map[string]int{}
	for g, group := range groups {
		for _, s := range group {
			k := MustParse(s).Canonical()
			if prev, ok := seen[k]; ok && prev != g {
				t.Errorf("%q has key %q, as group %v", s, k, groups[prev])
			}
			seen[k] = g
		}
		if k := MustParse(group[0]).Canonical(); seen[k] != g {
			t.Errorf("group %v has no key of its own", group)
		}
	}
	if len(seen) != len(groups) {
		t.Errorf("%d keys for %d groups of equal versions", len(seen), len(groups))
	}
}

// TestCanonicalOrderVectors checks Canonical against packaging's own
// equality: two versions of order.json have the same key exactly when
// packaging ranks them equal.
func TestCanonicalOrderVectors(t *testing.T) {
	var file struct {
		Versions []string
		Ranks    []int
	}
	loadVectors(t, "order.json", &file)
	rankOf := map[string]int{}
	bad := 0
	for i, s := range file.Versions {
		v := MustParse(s)
		k := v.Canonical()
		if r, ok := rankOf[k]; ok && r != file.Ranks[i] {
			bad++
			t.Errorf("%q has key %q, as a version of another rank", s, k)
		}
		rankOf[k] = file.Ranks[i]
		if back, err := Parse(k); err != nil || !back.Equal(v) {
			bad++
			t.Errorf("Canonical(%q) = %q does not parse back to an equal version", s, k)
		}
	}
	ranks := map[int]bool{}
	for _, r := range file.Ranks {
		ranks[r] = true
	}
	if len(rankOf) != len(ranks) {
		t.Errorf("%d distinct keys for %d distinct ranks", len(rankOf), len(ranks))
	}
	t.Logf("%d versions, %d ranks, %d disagreements", len(file.Versions), len(ranks), bad)
}

func TestSortMaxMin(t *testing.T) {
	var file struct {
		Versions []string
		Ranks    []int
	}
	loadVectors(t, "order.json", &file)
	rank := map[string]int{}
	var vs []Version
	spelled := map[string]bool{}
	for i, s := range file.Versions {
		v := MustParse(s)
		rank[v.Canonical()] = file.Ranks[i]
		if !spelled[v.String()] { // one of each normalized spelling, for the stability check
			spelled[v.String()] = true
			vs = append(vs, v)
		}
	}
	rnd := rand.New(rand.NewSource(508))
	rnd.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	shuffled := slices.Clone(vs)
	maxRank, minRank := -1, int(^uint(0)>>1)
	for _, r := range rank {
		maxRank, minRank = max(maxRank, r), min(minRank, r)
	}
	if got := rank[Max(vs).Canonical()]; got != maxRank {
		t.Errorf("Max has rank %d, want %d", got, maxRank)
	}
	if got := rank[Min(vs).Canonical()]; got != minRank {
		t.Errorf("Min has rank %d, want %d", got, minRank)
	}
	Sort(vs)
	for i := 1; i < len(vs); i++ {
		if rank[vs[i-1].Canonical()] > rank[vs[i].Canonical()] {
			t.Fatalf("Sort: %q before %q", vs[i-1], vs[i])
		}
	}
	// Stable: equal versions keep their input order.
	pos := map[Version]int{}
	for i, v := range shuffled {
		pos[v] = i
	}
	for i := 1; i < len(vs); i++ {
		if vs[i-1].Equal(vs[i]) && pos[vs[i-1]] > pos[vs[i]] {
			t.Fatalf("Sort is not stable: %q (input %d) before %q (input %d)", vs[i-1], pos[vs[i-1]], vs[i], pos[vs[i]])
		}
	}
	if Max(nil).IsValid() || Min(nil).IsValid() {
		t.Error("Max or Min of no versions is valid")
	}
	two := []Version{MustParse("1.0"), MustParse("1.0.0")}
	if Max(two).String() != "1.0" || Min(two).String() != "1.0" {
		t.Errorf("Max/Min of equal versions: %q/%q, want the first", Max(two), Min(two))
	}
	huge := []Version{MustParse("1.99999999999999999999999"), MustParse("1.99999999999999999999999.1"), MustParse("1.100000000000000000000000")}
	if got := Max(huge).String(); got != "1.100000000000000000000000" {
		t.Errorf("Max of huge releases = %q", got)
	}
	if got := Min(huge).String(); got != "1.99999999999999999999999" {
		t.Errorf("Min of huge releases = %q", got)
	}
	if Compare(huge[0], huge[1]) != -1 || Compare(huge[1], huge[0]) != 1 || Compare(huge[0], huge[0]) != 0 {
		t.Error("Compare disagrees with the release order")
	}
}

func TestReleaseStrings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"1.02.0", []string{"1", "2", "0"}},
		{"1!2.3rc1+x.4", []string{"2", "3"}},
		{"1.99999999999999999999999", []string{"1", "99999999999999999999999"}},
		{"000.0001", []string{"0", "1"}},
		{"1.0.post1.dev2", []string{"1", "0"}},
	} {
		if got := MustParse(c.in).ReleaseStrings(); !slices.Equal(got, c.want) {
			t.Errorf("ReleaseStrings(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := (Version{}).ReleaseStrings(); got != nil {
		t.Errorf("zero Version ReleaseStrings = %q", got)
	}
	// Release clamps where ReleaseStrings is exact.
	v := MustParse("1.99999999999999999999999")
	w := MustParse("1.99999999999999999999998")
	if !slices.Equal(v.Release(), w.Release()) {
		t.Error("Release no longer clamps; update its doc comment")
	}
	if slices.Equal(v.ReleaseStrings(), w.ReleaseStrings()) {
		t.Error("ReleaseStrings does not tell huge release numbers apart")
	}
}

func TestFromRelease(t *testing.T) {
	for _, c := range []struct {
		epoch string
		rel   []string
		want  string
	}{
		{"", []string{"1", "2"}, "1.2"},
		{"0", []string{"1"}, "1"},
		{"1", []string{"2", "0"}, "1!2.0"},
		{"007", []string{"01", "00"}, "7!1.0"},
		{"", []string{"99999999999999999999999"}, "99999999999999999999999"},
	} {
		v, err := FromRelease(c.epoch, c.rel)
		if err != nil || v.String() != c.want {
			t.Errorf("FromRelease(%q, %q) = %q, %v; want %q", c.epoch, c.rel, v, err, c.want)
		}
	}
	for _, c := range []struct {
		epoch string
		rel   []string
	}{
		{"", nil},
		{"x", []string{"1"}},
		{"-1", []string{"1"}},
		{"", []string{"1", ""}},
		{"", []string{"1a"}},
		{"", []string{"1.2"}},
		{"", []string{" 1"}},
	} {
		if v, err := FromRelease(c.epoch, c.rel); err == nil || !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("FromRelease(%q, %q) = %q, %v; want an ErrInvalidVersion", c.epoch, c.rel, v, err)
		}
	}
	v := MustParse("3!1.2.3rc1.post2+abc")
	w, err := FromRelease(v.Epoch(), v.ReleaseStrings())
	if err != nil || w.String() != "3!1.2.3" || !w.Equal(v.BaseVersion()) {
		t.Errorf("FromRelease(Epoch, ReleaseStrings) of %q = %q, %v; want its base version", v, w, err)
	}
}

func TestBumpRelease(t *testing.T) {
	for _, c := range []struct {
		in   string
		i    int
		want string
	}{
		{"1!1.2.3", 0, "1!2.0.0"},
		{"1!1.2.3", 1, "1!1.3.0"},
		{"1!1.2.3", 2, "1!1.2.4"},
		{"1!1.2.3", 3, "1!1.2.3.1"},
		{"1!1.2.3", 5, "1!1.2.3.0.0.1"},
		{"1.2", 1, "1.3"},
		{"1", 0, "2"},
		{"0.0.3", 2, "0.0.4"},
		{"1.9.9", 1, "1.10.0"},
		{"9.99", 1, "9.100"},
		{"1.99999999999999999999999", 1, "1.100000000000000000000000"},
		{"99999999999999999999999.5", 0, "100000000000000000000000.0"},
		{"1.2.3rc1.post4.dev5+local", 2, "1.2.4"},
		{"1.2.3rc1", 3, "1.2.3.1"},
		{"1.02", 0, "2.0"},
	} {
		got := MustParse(c.in).BumpRelease(c.i)
		if got.String() != c.want {
			t.Errorf("BumpRelease(%q, %d) = %q, want %q", c.in, c.i, got, c.want)
		}
		if got.Compare(MustParse(c.in)) <= 0 {
			t.Errorf("BumpRelease(%q, %d) = %q does not sort after it", c.in, c.i, got)
		}
	}
	if (Version{}).BumpRelease(0).IsValid() {
		t.Error("BumpRelease of the zero Version is valid")
	}
	defer func() {
		if recover() == nil {
			t.Error("BumpRelease(-1) did not panic")
		}
	}()
	MustParse("1.0").BumpRelease(-1)
}

func TestVersionText(t *testing.T) {
	type doc struct {
		V   Version            `json:"v"`
		P   *Version           `json:"p,omitempty"`
		M   map[string]Version `json:"m,omitempty"`
		S   SpecifierSet       `json:"s"`
		One Specifier          `json:"one"`
	}
	in := doc{
		V:   MustParse("1!2.0.0RC1-1.dev0+Ubuntu-1"),
		P:   new(Version),
		M:   map[string]Version{"huge": MustParse("1.99999999999999999999999")},
		S:   MustParseSpecifierSet(">= 1.0 , !=1.3.*, <2"),
		One: mustSpecifier(t, "~= 2.31"),
	}
	*in.P = MustParse("v1.0-1")
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":"1!2.0.0rc1.post1.dev0+ubuntu.1","p":"1.0.post1","m":{"huge":"1.99999999999999999999999"},"s":"!=1.3.*,\u003c2,\u003e=1.0","one":"~=2.31"}`
	if string(data) != want {
		t.Errorf("json.Marshal = %s\nwant           %s", data, want)
	}
	var out doc
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.V.String() != in.V.String() || !out.V.Equal(in.V) || !out.P.Equal(*in.P) || !out.M["huge"].Equal(in.M["huge"]) {
		t.Errorf("versions did not round-trip: %+v", out)
	}
	if out.S.String() != in.S.String() || out.One.String() != in.One.String() {
		t.Errorf("specifiers did not round-trip: %q %q", out.S, out.One)
	}
	for _, s := range []string{"1.0", "1.5", "2.0", "1.3.1", "2.31.4", "3.0"} {
		v := MustParse(s)
		if out.S.Contains(v) != in.S.Contains(v) || out.One.Contains(v) != in.One.Contains(v) {
			t.Errorf("round-tripped specifiers disagree on %s", s)
		}
	}

	// Zero values are empty text and back.
	data, err = json.Marshal(doc{})
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"v":"","s":"","one":""}` {
		t.Errorf("zero doc = %s", data)
	}
	out = doc{V: MustParse("1"), S: MustParseSpecifierSet(">1"), One: mustSpecifier(t, ">1")}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.V.IsValid() || !out.S.IsEmpty() || out.One.String() != "" {
		t.Errorf("empty text did not give zero values: %+v", out)
	}

	// Bad text is an error naming the value.
	for _, bad := range []string{`{"v":"1.0.x"}`, `{"s":">=1.0,<"}`, `{"one":"~=1"}`, `{"m":{"a":"not a version"}}`} {
		err := json.Unmarshal([]byte(bad), &out)
		if err == nil || !(errors.Is(err, ErrInvalidVersion) || errors.Is(err, ErrInvalidSpecifier)) {
			t.Errorf("json.Unmarshal(%s) = %v, want an invalid version or specifier error", bad, err)
		}
	}

	b, err := MustParse("1.0-1").AppendText([]byte("v="))
	if err != nil || string(b) != "v=1.0.post1" {
		t.Errorf("AppendText = %q, %v", b, err)
	}
}

func mustSpecifier(t *testing.T, s string) Specifier {
	t.Helper()
	sp, err := ParseSpecifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestTextRoundTripVectors marshals every valid version and specifier set
// of the vectors and checks that the text parses back to the same value.
func TestTextRoundTripVectors(t *testing.T) {
	n := 0
	for _, f := range vectorFiles(t, "versions-*.json") {
		var file struct{ Cases []versionCase }
		loadVectors(t, f, &file)
		for _, c := range file.Cases {
			if !c.Valid {
				continue
			}
			v := MustParse(c.In)
			text, err := v.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var w Version
			if err := w.UnmarshalText(text); err != nil {
				t.Errorf("%q: MarshalText %q unmarshals as %q, %v", c.In, text, w, err)
			}
			if w != v {
				t.Errorf("%q: round trip through %q is not equal", c.In, text)
			}
			n++
		}
	}
	var specs struct{ Cases []specifierCase }
	loadVectors(t, "specifiers.json", &specs)
	for _, c := range specs.Cases {
		if !c.Valid {
			continue
		}
		set := MustParseSpecifierSet(c.In)
		text, err := set.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back SpecifierSet
		if err := back.UnmarshalText(text); err != nil || back.String() != set.String() {
			t.Errorf("%q: MarshalText %q unmarshals as %q, %v", c.In, text, back, err)
		}
		n++
	}
	if n < 5000 {
		t.Errorf("only %d values round-tripped", n)
	}
}

// TestPublicOfUnparsableLabel: packaging lower-cases U+0130 in a label to
// "i" and U+0307, which does not parse again; Public must not re-parse.
func TestPublicOfUnparsableLabel(t *testing.T) {
	v := MustParse("1.0prev\u0130ew+Local.1")
	p := v.Public()
	want := MustParse("1.0prev\u0130ew")
	if p != want || p.String() != "1.0previ\u0307ew0" || p.Local() != "" {
		t.Errorf("Public(%q) = %q (local %q), want %q", v, p, p.Local(), want)
	}
	w := MustParse("1!2.0rc1.post2.dev3+abc.4")
	if got := w.Public(); got != MustParse("1!2.0rc1.post2.dev3") {
		t.Errorf("Public(%q) = %q", w, got)
	}
}
