package pep440

import (
	"fmt"
	"slices"
	"strings"
)

// Canonical returns a canonical spelling of v: two versions PEP 440 says are
// equal have the same canonical spelling, and two versions that differ have
// different ones, so it can key a map or a database column. It is the
// normalized form with trailing zero release components removed ("1",
// "1.0" and "1.0.0" all give "1"; "1!2.0.0rc1.post0.dev0+Ubuntu.01" gives
// "1!2rc1.post0.dev0+ubuntu.1"), as packaging's canonicalize_version.
// Release numbers of any size are kept exactly. Canonical(v) always parses
// back to a version equal to v.
//
// Two rare spellings differ from String, as in MarshalText: packaging
// orders a post-release label written with U+017F LATIN SMALL LETTER LONG S
// ("1.0poſt1") after ".post1" yet prints both as "1.0.post1", so Canonical
// keeps "poſt" and the two keys differ; and packaging lower-cases U+0130
// (İ) in a label to "i" and U+0307, which does not parse again, so
// Canonical writes U+0130. Canonical of the zero Version is "".
func (v Version) Canonical() string {
	if !v.IsValid() {
		return ""
	}
	return v.reparsable(canonicalString(v, true))
}

// reparsable turns s, the normalized form of v or its canonical form, into
// a string that parses back to v. packaging prints the "poſt" label as
// "post", and its str.lower() turns U+0130 into "i" and U+0307, which Parse
// does not accept (U+0307 is accepted nowhere else, so every such pair comes
// from a U+0130).
func (v Version) reparsable(s string) string {
	if v.flags&flagOddPost != 0 {
		// The post segment is the first ".post": release digits, pre
		// labels and the dev segment cannot contain it, and the local
		// label comes later.
		i := strings.Index(s, ".post")
		s = s[:i] + ".po\u017ft" + s[i+len(".post"):]
	}
	if strings.Contains(s, "i\u0307") {
		s = strings.ReplaceAll(s, "i\u0307", "\u0130")
	}
	return s
}

// Compare returns -1, 0 or +1 when a sorts before, equal to or after b in
// PEP 440 order; it is a.Compare(b), in the shape slices.SortFunc and
// slices.BinarySearchFunc take.
func Compare(a, b Version) int { return a.Compare(b) }

// Sort sorts vs in ascending PEP 440 order. The sort is stable: versions
// that are equal but spelled differently (1.0 and 1.0.0) keep their order.
func Sort(vs []Version) { slices.SortStableFunc(vs, Compare) }

// Max returns the greatest version of vs, the first one when several are
// equal, or the zero Version (IsValid false) when vs is empty. Pre-releases
// take part like any other version; use SpecifierSet.Filter first to apply
// packaging's pre-release rule.
func Max(vs []Version) Version {
	if len(vs) == 0 {
		return Version{}
	}
	best := vs[0]
	for _, v := range vs[1:] {
		if v.Compare(best) > 0 {
			best = v
		}
	}
	return best
}

// Min returns the smallest version of vs, the first one when several are
// equal, or the zero Version (IsValid false) when vs is empty.
func Min(vs []Version) Version {
	if len(vs) == 0 {
		return Version{}
	}
	best := vs[0]
	for _, v := range vs[1:] {
		if v.Compare(best) < 0 {
			best = v
		}
	}
	return best
}

// ReleaseStrings returns the components of the release segment of v as
// decimal strings without leading zeros, as written, including trailing
// zeros ("1.02.0" gives ["1" "2" "0"]). Unlike Release it is exact for
// numbers of any size. It returns nil for the zero Version.
func (v Version) ReleaseStrings() []string {
	if !v.IsValid() {
		return nil
	}
	s := v.String()
	start := strings.IndexByte(s, '!') + 1
	return strings.Split(s[start:releaseEnd(s)], ".")
}

// FromRelease returns the final release with the given epoch and release
// components, for example FromRelease("1", []string{"2", "0"}) is 1!2.0.
// Each component and the epoch must be a non-empty string of ASCII digits;
// leading zeros are allowed and dropped. An empty epoch means 0.
func FromRelease(epoch string, release []string) (Version, error) {
	if epoch == "" {
		epoch = "0"
	}
	if !isDigits(epoch) {
		return Version{}, fmt.Errorf("%w: epoch %q is not a number", ErrInvalidVersion, epoch)
	}
	if len(release) == 0 {
		return Version{}, fmt.Errorf("%w: empty release", ErrInvalidVersion)
	}
	for _, r := range release {
		if !isDigits(r) {
			return Version{}, fmt.Errorf("%w: release component %q is not a number", ErrInvalidVersion, r)
		}
	}
	return Parse(epoch + "!" + strings.Join(release, "."))
}

// BumpRelease returns the final release that increments release component
// i (counting from 0) of v, keeps the epoch and the components before i,
// and sets the components after i to zero, keeping the number of
// components. Missing components count as zero, so i may be beyond the last
// component. Pre-release, post-release, development and local segments are
// dropped. For example, with v = 1!1.2.3:
//
//	v.BumpRelease(0) // 1!2.0.0
//	v.BumpRelease(1) // 1!1.3.0
//	v.BumpRelease(3) // 1!1.2.3.1
//
// These are the exclusive upper bounds of Poetry's caret and tilde
// constraints and of "~=". Numbers of any size are incremented exactly.
// BumpRelease of the zero Version is the zero Version; it panics when i is
// negative.
func (v Version) BumpRelease(i int) Version {
	if i < 0 {
		panic("pep440: BumpRelease with a negative index")
	}
	if !v.IsValid() {
		return Version{}
	}
	rel := v.ReleaseStrings()
	out := make([]string, max(len(rel), i+1))
	for k := range out {
		switch {
		case k > i:
			out[k] = "0"
		case k < len(rel) && k < i:
			out[k] = rel[k]
		case k < i:
			out[k] = "0"
		case k < len(rel):
			out[k] = incDecimal(rel[k])
		default:
			out[k] = "1"
		}
	}
	w, err := FromRelease(v.Epoch(), out)
	if err != nil {
		panic("pep440: BumpRelease built an invalid version: " + err.Error())
	}
	return w
}

// incDecimal adds one to a string of decimal digits.
func incDecimal(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// MarshalText implements encoding.TextMarshaler: the normalized form, as
// String, so that the text always parses back to the same version, except
// in the two rare spellings Canonical describes ("poſt" and U+0130), where
// String's form, as packaging's, would not. The zero Version marshals as
// empty text.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.reparsable(v.String())), nil }

// AppendText implements encoding.TextAppender: it appends the text
// MarshalText returns to b.
func (v Version) AppendText(b []byte) ([]byte, error) {
	return append(b, v.reparsable(v.String())...), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse. Empty text
// gives the zero Version, so a missing value round-trips.
func (v *Version) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*v = Version{}
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalText implements encoding.TextMarshaler: operator and version, as
// String. The zero Specifier marshals as empty text.
func (s Specifier) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseSpecifier.
// Empty text gives the zero Specifier.
func (s *Specifier) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*s = Specifier{}
		return nil
	}
	p, err := ParseSpecifier(string(text))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// MarshalText implements encoding.TextMarshaler: the sorted clauses joined
// with ",", as String. The empty set marshals as empty text.
func (s SpecifierSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseSpecifierSet
// (empty text is the empty set).
func (s *SpecifierSet) UnmarshalText(text []byte) error {
	p, err := ParseSpecifierSet(string(text))
	if err != nil {
		return err
	}
	*s = p
	return nil
}
