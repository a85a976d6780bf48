package pep440

import (
	"testing"
	"unicode/utf8"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", " v1!2.0a1.post-3.dev_4+UbU.01-x ", "1.0-1", "1.0poſt1", "1+K", "1.0prevİew", "1.0prevİew+x",
		"99999999999999999999999999.0", "1.0+", "1..0", "", "1.0.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		// The normalized form of an ASCII version is a fixed point and equal
		// to it. (packaging keeps some folded non-ASCII letters in labels,
		// which then neither re-parse nor compare equal; so do we.)
		if isASCII(s) {
			w, err := Parse(v.String())
			if err != nil {
				t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, v.String(), err)
			}
			if w.String() != v.String() || w.Compare(v) != 0 {
				t.Fatalf("Parse(%q) = %q, re-parsed as %q", s, v.String(), w.String())
			}
		}
		if v.Compare(v) != 0 || v.Public().Compare(v) > 0 || v.BaseVersion().String() == "" {
			t.Fatalf("inconsistent order for %q", s)
		}
		_ = v.Release()
		_ = v.Local()
		// Canonical parses back to an equal version and is its own key.
		c, err := Parse(v.Canonical())
		if err != nil || !c.Equal(v) || c.Canonical() != v.Canonical() {
			t.Fatalf("Canonical(%q) = %q, which parses back as %q (%v)", s, v.Canonical(), c.String(), err)
		}
		// Canonical is equal exactly for equal versions: compare with the
		// normalized form and the base version.
		for _, w := range []Version{v.Public(), v.BaseVersion(), v.BumpRelease(0)} {
			if (w.Canonical() == v.Canonical()) != w.Equal(v) {
				t.Fatalf("Canonical(%q) = %q, Canonical(%q) = %q, Equal %v", s, v.Canonical(), w.String(), w.Canonical(), w.Equal(v))
			}
		}
		var u Version
		if text, _ := v.MarshalText(); u.UnmarshalText(text) != nil || u != v {
			t.Fatalf("MarshalText(%q) does not round-trip", s)
		}
	})
}

func FuzzParseSpecifierSet(f *testing.F) {
	for _, s := range []string{">=1.0,<2", "==1.0.*", "~=1.4.5a4", "===foo", "!=1.0+local", ",,", "< 1.0 , > 0.5",
		"~=1", "==1.0.*+local", "<1.0.*"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, s, vs string) {
		set, err := ParseSpecifierSet(s)
		if err != nil {
			return
		}
		again, err := ParseSpecifierSet(set.String())
		if err != nil {
			t.Fatalf("ParseSpecifierSet(%q).String() = %q, which does not parse: %v", s, set.String(), err)
		}
		if again.String() != set.String() {
			t.Fatalf("ParseSpecifierSet(%q) = %q, re-parsed as %q", s, set.String(), again.String())
		}
		v, err := Parse(vs)
		if err != nil {
			return
		}
		if again.Contains(v) != set.Contains(v) {
			t.Fatalf("round-tripped set %q disagrees on %q", set.String(), vs)
		}
		if set.ContainsPrereleases(v, false) && !set.ContainsPrereleases(v, true) {
			t.Fatalf("%q contains %q without pre-releases but not with them", s, vs)
		}
		_ = set.Filter([]Version{v})
		_ = MatchSpecifierPrefix(s)
	})
}
