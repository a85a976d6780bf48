package pep440

import (
	"errors"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"1.0":                        "1.0",
		" v1.0 ":                     "1.0",
		"1.0-1":                      "1.0.post1",
		"1.0_rev_2":                  "1.0.post2",
		"1.0r":                       "1.0.post0",
		"1.0ALPHA1":                  "1.0a1",
		"1.0.beta":                   "1.0b0",
		"1.0-c-3":                    "1.0rc3",
		"1.0preview2":                "1.0rc2",
		"1.0-dev":                    "1.0.dev0",
		"01!002.0030":                "1!2.30",
		"0!1.0":                      "1.0",
		"1.0+Ubuntu-1_02":            "1.0+ubuntu.1.2",
		"1.0.post1.dev2+abc":         "1.0.post1.dev2+abc",
		"123456789012345678901234.1": "123456789012345678901234.1",
	} {
		v, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if v.String() != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, v.String(), want)
		}
	}
	for _, in := range []string{"", "1.0.", "1..0", "a1", "1.0+", "1.0+a..b", "1!", "1.0.*", "1.0 1", "1.0a1b1"} {
		if _, err := Parse(in); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Parse(%q) = %v, want ErrInvalidVersion", in, err)
		}
	}
}

// TestOrder uses the ordering example of PEP 440's "Summary of permitted
// suffixes and relative ordering", extended with epochs and local labels.
func TestOrder(t *testing.T) {
	want := []string{
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
		"1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7",
		"1.0+5", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1!0.1",
	}
	shuffled := slices.Clone(want)
	slices.Reverse(shuffled)
	vs := make([]Version, len(shuffled))
	for i, s := range shuffled {
		vs[i] = MustParse(s)
	}
	slices.SortFunc(vs, Version.Compare)
	for i, v := range vs {
		if v.String() != want[i] {
			t.Fatalf("sorted[%d] = %s, want %s", i, v, want[i])
		}
	}
	equal := [][2]string{{"1.0", "1.0.0"}, {"1.0", "1.0.0.0"}, {"0", "0.0"}, {"1.0+ABC", "1.0+abc"}, {"1.0+01", "1.0+1"}, {"v1.0a", "1.0a0"}}
	for _, p := range equal {
		if c := MustParse(p[0]).Compare(MustParse(p[1])); c != 0 {
			t.Errorf("Compare(%s, %s) = %d, want 0", p[0], p[1], c)
		}
	}
	if MustParse("99999999999999999999999").Compare(MustParse("99999999999999999999998")) != 1 {
		t.Error("big release numbers compare wrong")
	}
}

func TestAccessors(t *testing.T) {
	v := MustParse("2!1.02.3rc1.post4.dev5+Loc.1")
	if !v.IsPrerelease() || !v.IsPostrelease() || !v.IsDevrelease() {
		t.Errorf("flags of %s wrong", v)
	}
	if v.Local() != "loc.1" || v.Public().String() != "2!1.2.3rc1.post4.dev5" || v.BaseVersion().String() != "2!1.2.3" {
		t.Errorf("Local/Public/BaseVersion of %s: %q %q %q", v, v.Local(), v.Public(), v.BaseVersion())
	}
	if !slices.Equal(v.Release(), []int{1, 2, 3}) || v.Epoch() != "2" {
		t.Errorf("Release/Epoch of %s: %v %s", v, v.Release(), v.Epoch())
	}
	if f := MustParse("1.0.post1"); f.IsPrerelease() || !f.IsPostrelease() {
		t.Errorf("flags of %s wrong", f)
	}
}

func TestContains(t *testing.T) {
	for _, c := range []struct {
		spec, version string
		want          bool
	}{
		{">1.7", "1.7.post1", false},
		{">1.7", "1.7+local", false},
		{">1.7", "1.8", true},
		{">1.7.post1", "1.7.post2", true},
		{"<1.7", "1.7a1", false},
		{"<1.7", "1.6", true},
		{"==1.0", "1.0+local", true},
		{"==1.0+local", "1.0", false},
		{"==1.0+local", "1.0+LOCAL", true},
		{"!=1.0", "1.0+x", false},
		{"==1.1.*", "1.10", false},
		{"==1.1.0.*", "1.1", true},
		{"~=2.2", "2.3", true},
		{"~=2.2", "3.0", false},
		{"~=1.4.5", "1.4.9", true},
		{"~=1.4.5", "1.5.0", false},
		{"~=1.4.5a4", "1.4.5", true},
		{"===1.0", "1.0", true},
		{"===1.0", "1.0.0", false},
		{">=1.0", "2.0a1", false},     // pre-releases only when the set mentions one
		{">=1.0a1", "2.0a1", true},    // ... as this one does
		{"==1.1.*", "1.1.0a1", false}, // wildcards do not mention pre-releases
		{"", "1.0a1", false},
		{"", "1.0", true},
		{">=1.0,!=1.5.*", "1.5.3", false},
		{"<=1.0", "1.0+local", true},
		// packaging's quirks, kept (see the package documentation).
		{"==1!2.0.*", "1!2.0", false},
		{"==1!2.0.*", "1!2.0.1", true},
		{"~=1.4.5c1", "1.4.6", false},
		{"~=1.4.5rc1", "1.4.6", true},
		{"~=1.4.5.pre1", "1.4.5.1", true},
	} {
		s, err := ParseSpecifierSet(c.spec)
		if err != nil {
			t.Fatalf("ParseSpecifierSet(%q): %v", c.spec, err)
		}
		if got := s.Contains(MustParse(c.version)); got != c.want {
			t.Errorf("%q contains %q = %v, want %v", c.spec, c.version, got, c.want)
		}
	}
	s := MustParseSpecifierSet("<1.7a2")
	if s.Contains(MustParse("1.7a1")) || !s.ContainsPrereleases(MustParse("1.7a1"), true) {
		t.Error("explicit pre-release override ignored")
	}
}

func TestSpecifierValidity(t *testing.T) {
	for _, bad := range []string{"~=1", "==1.0.*+local", "<1.0.*", "~=1.0+x", ">=1.0+x", "=1.0", "1.0", ">=", "==1.*.0", "=== a b"} {
		if _, err := ParseSpecifierSet(bad); !errors.Is(err, ErrInvalidSpecifier) {
			t.Errorf("ParseSpecifierSet(%q) = %v, want ErrInvalidSpecifier", bad, err)
		}
	}
	s := MustParseSpecifierSet(" <2 , >= 1.0,,>=1.0.0, == 1.4.* ")
	if s.String() != "<2,==1.4.*,>=1.0" {
		t.Errorf("String() = %q", s.String())
	}
	if got := s.Specifiers(); len(got) != 3 || got[2].Operator() != ">=" || got[2].Version() != "1.0" {
		t.Errorf("Specifiers() = %v", got)
	}
	if v, ok := MustParseSpecifierSet("==v1.0-1").ExactVersion(); !ok || v != "1.0.post1" {
		t.Errorf("ExactVersion = %q %v", v, ok)
	}
	if v, ok := MustParseSpecifierSet("===foo").ExactVersion(); !ok || v != "foo" {
		t.Errorf("ExactVersion = %q %v", v, ok)
	}
	for _, s := range []string{"==1.0.*", ">=1.0", "==1.0,<2", ""} {
		if _, ok := MustParseSpecifierSet(s).ExactVersion(); ok {
			t.Errorf("%q has no exact version", s)
		}
	}
	if !MustParseSpecifierSet("").IsEmpty() || MustParseSpecifierSet("<2").IsEmpty() {
		t.Error("IsEmpty wrong")
	}
}

func TestFilter(t *testing.T) {
	vs := []Version{MustParse("1.0a1"), MustParse("1.0"), MustParse("2.0b1")}
	names := func(vs []Version) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.String())
		}
		return out
	}
	if got := names(MustParseSpecifierSet("").Filter(vs)); !slices.Equal(got, []string{"1.0"}) {
		t.Errorf("empty set filter = %v", got)
	}
	if got := names(MustParseSpecifierSet("").Filter([]Version{vs[0], vs[2]})); !slices.Equal(got, []string{"1.0a1", "2.0b1"}) {
		t.Errorf("empty set filter of pre-releases only = %v", got)
	}
	if got := names(MustParseSpecifierSet(">=1.0a1").Filter(vs)); !slices.Equal(got, []string{"1.0a1", "1.0", "2.0b1"}) {
		t.Errorf(">=1.0a1 filter = %v", got)
	}
	if got := names(MustParseSpecifierSet(">=1.5").Filter(vs)); len(got) != 0 {
		t.Errorf(">=1.5 filter = %v", got)
	}
}

func TestMatchSpecifierPrefix(t *testing.T) {
	for in, want := range map[string]int{
		"==1.0abc":   len("==1.0a"),
		">= 1.0,<2":  len(">= 1.0"),
		"===foo;bar": len("===foo"),
		"~=1":        0,
		"<1.0.*":     len("<1.0"),
		"==1.0.*)":   len("==1.0.*"),
		"foo":        0,
	} {
		if got := MatchSpecifierPrefix(in); got != want {
			t.Errorf("MatchSpecifierPrefix(%q) = %d, want %d", in, got, want)
		}
	}
}
