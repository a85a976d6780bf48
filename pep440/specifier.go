package pep440

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidSpecifier is wrapped by every error ParseSpecifier and
// ParseSpecifierSet return.
var ErrInvalidSpecifier = errors.New("invalid specifier")

// Specifier is one version clause such as ">=1.2" or "==1.4.*".
type Specifier struct {
	op       string // "~=", "==", "!=", "<=", ">=", "<", ">", "==="
	version  string // as written, surrounding whitespace removed
	v        Version
	wildcard bool
	// prefix holds the split, canonical prefix a wildcard "==" / "!=" or a
	// "~=" compares against (packaging's _version_split of the prefix).
	prefix []string
	// pre reports whether the specifier itself admits pre-releases
	// (packaging's Specifier.prereleases); preErr is set when computing it
	// raises in packaging ("===" with an unparsable version).
	pre    bool
	preErr bool
	// lowerVersion is the version lower-cased, for "===".
	lowerVersion string
}

// Operator returns the comparison operator, for example ">=".
func (s Specifier) Operator() string { return s.op }

// Version returns the version of the clause as written (without
// surrounding whitespace), for example "1.4.*".
func (s Specifier) Version() string { return s.version }

// String returns operator and version, as packaging's str(Specifier).
func (s Specifier) String() string { return s.op + s.version }

// ParseSpecifier parses a single clause such as ">= 1.0" or "==1.2.*",
// accepting exactly what packaging's Specifier accepts: "~=" needs at least
// two release components, wildcards and local labels only go with "==" and
// "!=", and "===" takes any string without whitespace, ";" or ")".
func ParseSpecifier(s string) (Specifier, error) {
	sp, ok := parseSpecifier(s)
	if !ok {
		return Specifier{}, fmt.Errorf("%w: %q", ErrInvalidSpecifier, s)
	}
	return sp, nil
}

var operators = [...]string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

func parseSpecifier(s string) (Specifier, bool) {
	s = trimPySpace(s)
	var sp Specifier
	for _, op := range operators {
		if strings.HasPrefix(s, op) {
			sp.op = op
			break
		}
	}
	if sp.op == "" {
		return sp, false
	}
	ver := trimPySpace(s[len(sp.op):])
	sp.version = ver
	switch sp.op {
	case "===":
		if strings.ContainsFunc(ver, func(r rune) bool { return r == ';' || r == ')' || isPySpace(r) }) {
			return sp, false
		}
		sp.lowerVersion = pyLower(ver)
		v, err := Parse(ver)
		if err != nil {
			sp.preErr = true
		} else {
			sp.pre = v.IsPrerelease()
		}
		return sp, true
	case "==", "!=":
		if strings.HasSuffix(ver, ".*") {
			if !validWildcardPrefix(ver[:len(ver)-2]) {
				return sp, false
			}
			sp.wildcard = true
			sp.prefix = versionSplit(canonicalize(ver[:len(ver)-2], false))
			return sp, true
		}
	}
	v, err := Parse(ver)
	if err != nil {
		return sp, false
	}
	sp.v = v
	switch sp.op {
	case "==", "!=":
	case "~=":
		if v.flags&flagLocal != 0 || !hasTwoReleaseParts(ver) {
			return sp, false
		}
		sp.prefix = compatiblePrefix(ver)
	default:
		if v.flags&flagLocal != 0 {
			return sp, false
		}
	}
	switch sp.op {
	case "==", ">=", "<=", "~=":
		sp.pre = v.IsPrerelease()
	}
	return sp, true
}

// validWildcardPrefix reports whether s matches v?(N!)?N(.N)*.
func validWildcardPrefix(s string) bool {
	if s != "" && s[0]|0x20 == 'v' {
		s = s[1:]
	}
	d := digits(s)
	if d == 0 {
		return false
	}
	if d < len(s) && s[d] == '!' {
		s = s[d+1:]
		d = digits(s)
		if d == 0 {
			return false
		}
	}
	s = s[d:]
	for len(s) > 0 {
		if s[0] != '.' {
			return false
		}
		d = digits(s[1:])
		if d == 0 {
			return false
		}
		s = s[1+d:]
	}
	return true
}

// hasTwoReleaseParts reports whether the release segment of the version
// string s (known to be valid) has at least two components.
func hasTwoReleaseParts(s string) bool {
	if s != "" && s[0]|0x20 == 'v' {
		s = s[1:]
	}
	d := digits(s)
	if d < len(s) && s[d] == '!' {
		s = s[d+1:]
		d = digits(s)
	}
	return d+1 < len(s) && s[d] == '.' && isDigit(s[d+1])
}

// canonicalize is packaging.utils.canonicalize_version: the normalized
// version, optionally with trailing ".0" release components removed; a
// string that is not a valid version is returned unchanged.
func canonicalize(s string, stripTrailingZero bool) string {
	v, err := Parse(s)
	if err != nil {
		return s
	}
	return canonicalString(v, stripTrailingZero)
}

func canonicalString(v Version, stripTrailingZero bool) string {
	s := v.String()
	if !stripTrailingZero {
		return s
	}
	end := releaseEnd(s)
	start := strings.IndexByte(s, '!') + 1
	cut := end
	for cut-2 >= start && s[cut-2:cut] == ".0" {
		cut -= 2
	}
	if cut == end {
		return s
	}
	return s[:cut] + s[end:]
}

// versionSplit is packaging.specifiers._version_split: split on "." and
// separate a trailing pre-release from its release number ("4rc1" gives
// "4", "rc1").
func versionSplit(s string) []string {
	out := make([]string, 0, strings.Count(s, ".")+2)
	for rest, more := s, true; more; {
		var item string
		item, rest, more = strings.Cut(rest, ".")
		if n, ok := splitPrefixPre(item); ok {
			out = append(out, item[:n], item[n:])
		} else {
			out = append(out, item)
		}
	}
	return out
}

// splitPrefixPre matches ^([0-9]+)((?:a|b|c|rc)[0-9]+)$ and returns the
// length of the first group.
func splitPrefixPre(item string) (int, bool) {
	d := digits(item)
	if d == 0 {
		return 0, false
	}
	rest := item[d:]
	switch {
	case strings.HasPrefix(rest, "rc"):
		rest = rest[2:]
	case strings.HasPrefix(rest, "a"), strings.HasPrefix(rest, "b"), strings.HasPrefix(rest, "c"):
		rest = rest[1:]
	default:
		return 0, false
	}
	if rest == "" || digits(rest) != len(rest) {
		return 0, false
	}
	return d, true
}

// isNotSuffix is packaging.specifiers._is_not_suffix.
func isNotSuffix(seg string) bool {
	for _, p := range [...]string{"dev", "a", "b", "rc", "post"} {
		if strings.HasPrefix(seg, p) {
			return false
		}
	}
	return true
}

// compatiblePrefix computes the wildcard prefix "~=" compares against, as
// packaging's _compare_compatible builds it from the version as written.
func compatiblePrefix(ver string) []string {
	items := versionSplit(ver)
	n := 0
	for n < len(items) && isNotSuffix(items[n]) {
		n++
	}
	if n > 0 {
		n--
	}
	prefix := strings.Join(items[:n], ".")
	return versionSplit(canonicalize(prefix, false))
}

func isDigits(s string) bool { return s != "" && digits(s) == len(s) }

// matchPrefix is packaging's wildcard equality: the canonical public form
// of v (release without trailing zeros), split as _version_split does and
// padded with zeros, must start with the prefix items. It works on a stack
// buffer and does not allocate for ordinary versions.
func matchPrefix(v Version, prefix []string) bool {
	s := v.String()
	if k := strings.IndexByte(s, '+'); k >= 0 {
		s = s[:k]
	}
	ep := strings.IndexByte(s, '!') + 1
	end := releaseEnd(s)
	cut := end
	for cut-2 > ep && s[cut-2:cut] == ".0" {
		cut -= 2
	}
	var buf [64]byte
	canon := append(append(buf[:0], s[:cut]...), s[end:]...)

	type span struct{ start, end int }
	var arr [24]span
	left := arr[:0]
	for start := 0; start <= len(canon); {
		stop := start
		for stop < len(canon) && canon[stop] != '.' {
			stop++
		}
		if n, ok := splitPrefixPre(string(canon[start:stop])); ok {
			left = append(left, span{start, start + n}, span{start + n, stop})
		} else {
			left = append(left, span{start, stop})
		}
		start = stop + 1
	}
	item := func(i int) string { return string(canon[left[i].start:left[i].end]) }
	leftRel := 0
	for leftRel < len(left) && isDigits(item(leftRel)) {
		leftRel++
	}
	rightRel := 0
	for rightRel < len(prefix) && isDigits(prefix[rightRel]) {
		rightRel++
	}
	pad := max(0, rightRel-leftRel)
	if len(left)+pad < len(prefix) {
		return false
	}
	for i, want := range prefix {
		switch {
		case i < leftRel:
			if item(i) != want {
				return false
			}
		case i < leftRel+pad:
			if want != "0" {
				return false
			}
		default:
			if item(i-pad) != want {
				return false
			}
		}
	}
	return true
}

// contains is packaging's Specifier.contains(v, prereleases=pre).
func (s *Specifier) contains(v Version, pre bool) bool {
	if !pre && v.IsPrerelease() {
		return false
	}
	switch s.op {
	case "===":
		return pyLower(v.String()) == s.lowerVersion
	case "==":
		return s.equal(v)
	case "!=":
		return !s.equal(v)
	case "~=":
		return v.comparePublic(s.v) >= 0 && matchPrefix(v, s.prefix)
	case "<=":
		return v.comparePublic(s.v) <= 0
	case ">=":
		return v.comparePublic(s.v) >= 0
	case "<":
		if v.Compare(s.v) >= 0 {
			return false
		}
		return s.v.IsPrerelease() || !v.IsPrerelease() || !v.sameBase(s.v)
	case ">":
		if v.Compare(s.v) <= 0 {
			return false
		}
		if !s.v.IsPostrelease() && v.IsPostrelease() && v.sameBase(s.v) {
			return false
		}
		return v.flags&flagLocal == 0 || !v.sameBase(s.v)
	}
	return false
}

func (s *Specifier) equal(v Version) bool {
	if s.wildcard {
		return matchPrefix(v, s.prefix)
	}
	if s.v.flags&flagLocal == 0 {
		return v.comparePublic(s.v) == 0
	}
	return v.Equal(s.v)
}

// Contains reports whether v satisfies this single specifier, with
// packaging's default pre-release handling.
func (s Specifier) Contains(v Version) bool { return s.contains(v, s.pre) }

// ContainsPrereleases is packaging's Specifier.contains(v, prereleases=pre).
func (s Specifier) ContainsPrereleases(v Version, pre bool) bool { return s.contains(v, pre) }

// SpecifierSet is a comma-separated set of specifiers; a version is
// contained when every specifier contains it. The zero value is the empty
// set, which contains every final release.
type SpecifierSet struct {
	specs []Specifier
	// pre is packaging's SpecifierSet.prereleases: some specifier mentions
	// a pre-release. preErr: computing it raises in packaging.
	pre    bool
	preErr bool
}

// ParseSpecifierSet parses a comma-separated list of specifiers such as
// ">=1.0, !=1.3.*, <2". Empty items are ignored, so "" is the empty set.
// Duplicates (by operator and canonical version) are kept once, and the set
// is kept sorted by its string form, as packaging does.
func ParseSpecifierSet(s string) (SpecifierSet, error) {
	var set SpecifierSet
	type canon struct{ op, v string }
	var seen []canon
	for rest, more := s, true; more; {
		var item string
		item, rest, more = strings.Cut(rest, ",")
		item = trimPySpace(item)
		if item == "" {
			continue
		}
		sp, ok := parseSpecifier(item)
		if !ok {
			return SpecifierSet{}, fmt.Errorf("%w: %q", ErrInvalidSpecifier, item)
		}
		c := canon{sp.op, canonicalize(sp.version, sp.op != "~=")}
		if slices.Contains(seen, c) {
			continue
		}
		seen = append(seen, c)
		set.specs = append(set.specs, sp)
		set.pre = set.pre || sp.pre
		set.preErr = set.preErr || sp.preErr
	}
	slices.SortFunc(set.specs, func(a, b Specifier) int {
		return strings.Compare(a.String(), b.String())
	})
	return set, nil
}

// MustParseSpecifierSet is like ParseSpecifierSet but panics on error.
func MustParseSpecifierSet(s string) SpecifierSet {
	set, err := ParseSpecifierSet(s)
	if err != nil {
		panic(err)
	}
	return set
}

// String returns the specifiers sorted and joined with ",", as packaging's
// str(SpecifierSet).
func (s SpecifierSet) String() string {
	parts := make([]string, len(s.specs))
	for i, sp := range s.specs {
		parts[i] = sp.String()
	}
	return strings.Join(parts, ",")
}

// IsEmpty reports whether the set has no specifiers.
func (s SpecifierSet) IsEmpty() bool { return len(s.specs) == 0 }

// Specifiers returns the specifiers of the set in String order.
func (s SpecifierSet) Specifiers() []Specifier { return slices.Clone(s.specs) }

// AllowsPrereleases reports whether some specifier of the set mentions a
// pre-release with an inclusive operator (packaging's
// SpecifierSet.prereleases), which makes Contains accept pre-releases.
func (s SpecifierSet) AllowsPrereleases() bool { return s.pre }

// Contains is packaging's SpecifierSet.contains(v): pre-releases (and
// development releases) are contained only when a specifier of the set
// mentions one. Where packaging raises (no clause mentions a pre-release and
// an "===" clause's version is not PEP 440, so deciding whether it mentions
// one fails), Contains returns false.
func (s SpecifierSet) Contains(v Version) bool {
	if s.preErr && !s.pre {
		return false
	}
	return s.ContainsPrereleases(v, s.pre)
}

// ContainsPrereleases is packaging's SpecifierSet.contains(v,
// prereleases=pre).
func (s SpecifierSet) ContainsPrereleases(v Version, pre bool) bool {
	if !pre && v.IsPrerelease() {
		return false
	}
	for i := range s.specs {
		if !s.specs[i].contains(v, pre) {
			return false
		}
	}
	return true
}

// Filter returns the versions of vs the set contains, with packaging's
// SpecifierSet.filter(vs) semantics: pre-releases are kept when a specifier
// mentions one; an empty set keeps final releases, or the leading
// pre-releases when the list holds nothing else.
func (s SpecifierSet) Filter(vs []Version) []Version {
	var out []Version
	if len(s.specs) > 0 {
		if s.preErr && !s.pre {
			return nil
		}
		for _, v := range vs {
			if s.ContainsPrereleases(v, s.pre) {
				out = append(out, v)
			}
		}
		return out
	}
	var found []Version
	for _, v := range vs {
		if v.IsPrerelease() {
			if len(out) == 0 {
				found = append(found, v)
			}
		} else {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return found
	}
	return out
}

// ExactVersion returns the pinned version when the set is exactly one
// "==X" clause without wildcard (X normalized) or one "===X" clause (X as
// written).
func (s SpecifierSet) ExactVersion() (string, bool) {
	if len(s.specs) != 1 {
		return "", false
	}
	sp := s.specs[0]
	switch {
	case sp.op == "===":
		return sp.version, true
	case sp.op == "==" && !sp.wildcard:
		return sp.v.String(), true
	}
	return "", false
}

// MatchSpecifierPrefix returns the length of the specifier clause that
// starts s, matched the way packaging's requirement tokenizer matches its
// SPECIFIER token (unanchored, so "==1.0abc" gives the length of "==1.0a"),
// or 0 when no clause starts s. Whitespace between operator and version is
// part of the clause; whitespace before the operator is not.
func MatchSpecifierPrefix(s string) int {
	for _, op := range [...]string{"~=", "==", "!=", "<=", ">=", "<", ">", "==="} {
		if !strings.HasPrefix(s, op) {
			continue
		}
		rest := s[len(op):]
		ws := len(rest) - len(strings.TrimLeftFunc(rest, isPySpace))
		rest = rest[ws:]
		base := len(op) + ws
		var c components
		switch op {
		case "===":
			end := strings.IndexFunc(rest, func(r rune) bool { return r == ';' || r == ')' || isPySpace(r) })
			if end < 0 {
				end = len(rest)
			}
			return base + end
		case "==", "!=":
			if n := c.scan(rest, true, true); n > 0 {
				return base + n
			}
		case "~=":
			if n := c.scan(rest, false, false); n > 0 && c.relN >= 2 {
				return base + n
			}
		default:
			if n := c.scan(rest, false, false); n > 0 {
				return base + n
			}
		}
	}
	return 0
}
