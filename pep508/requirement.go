package pep508

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pyvet/pyvet/pep440"
)

// Requirement is a parsed PEP 508 dependency specifier such as
// `requests[socks] >=2.8, <3 ; python_version >= "3.8"`.
type Requirement struct {
	Name      string              // as written (see NormalizeName)
	Extras    []string            // as written, sorted, without duplicates
	Specifier pep440.SpecifierSet // empty when none (or with a URL)
	URL       string              // the direct reference after "@", "" when none
	Marker    *Marker             // nil when none
}

// ErrInvalidRequirement is wrapped by every error ParseRequirement returns.
var ErrInvalidRequirement = errors.New("invalid requirement")

// ParseRequirement parses a requirement string exactly as packaging's
// Requirement does: name, optional extras, then either "@ URL" or version
// specifiers (optionally in parentheses), then an optional "; marker".
// URLs must have a scheme and a host, except file: URLs, which must be in
// the form urllib would write back unchanged.
func ParseRequirement(s string) (*Requirement, error) {
	r, err := parseRequirement(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequirement, err)
	}
	return r, nil
}

func parseRequirement(s string) (*Requirement, error) {
	t := &tokenizer{src: s, maxDepth: maxRequirementDepth}
	t.ws()
	n := t.identLen()
	if n == 0 {
		return nil, t.errorf(t.pos, "expected package name at the start of dependency specifier")
	}
	r := &Requirement{Name: s[t.pos : t.pos+n]}
	t.pos += n
	t.ws()
	extras, err := t.parseExtras()
	if err != nil {
		return nil, err
	}
	t.ws()
	var specifier string
	var marker *markerList
	if t.consumeByte('@') {
		t.ws()
		urlStart := t.pos
		n := t.urlLen()
		if n == 0 {
			return nil, t.errorf(t.pos, "expected URL after @")
		}
		r.URL = s[t.pos : t.pos+n]
		t.pos += n
		if !t.atEnd() {
			if !t.ws() {
				return nil, t.errorf(t.pos, "expected whitespace after URL")
			}
			if !t.atEnd() {
				if marker, err = t.parseRequirementMarker(urlStart, "URL and whitespace"); err != nil {
					return nil, err
				}
			}
		}
	} else {
		specStart := t.pos
		if specifier, err = t.parseSpecifier(); err != nil {
			return nil, err
		}
		t.ws()
		if !t.atEnd() {
			after := "name and no valid version specifier"
			if specifier != "" {
				after = "version specifier"
			}
			if marker, err = t.parseRequirementMarker(specStart, after); err != nil {
				return nil, err
			}
		}
	}
	if !t.atEnd() {
		return nil, t.errorf(t.pos, "expected end of dependency specifier")
	}
	if r.URL != "" {
		if err := checkURL(r.URL); err != nil {
			return nil, err
		}
	}
	slices.Sort(extras)
	r.Extras = slices.Compact(extras)
	if r.Specifier, err = pep440.ParseSpecifierSet(specifier); err != nil {
		return nil, err
	}
	if marker != nil {
		normalizeExtraValues(marker)
		prepare(marker)
		r.Marker = &Marker{list: *marker}
	}
	return r, nil
}

// extras = ('[' WS? extras_list? WS? ']')?
func (t *tokenizer) parseExtras() ([]string, error) {
	if !t.peekByte('[') {
		return nil, nil
	}
	open := t.pos
	t.pos++
	t.ws()
	var extras []string
	if n := t.identLen(); n > 0 {
		extras = append(extras, t.src[t.pos:t.pos+n])
		t.pos += n
		for {
			t.ws()
			if t.identLen() > 0 {
				return nil, t.errorf(t.pos, "expected comma between extra names")
			}
			if !t.consumeByte(',') {
				break
			}
			t.ws()
			n := t.identLen()
			if n == 0 {
				return nil, t.errorf(t.pos, "expected extra name after comma")
			}
			extras = append(extras, t.src[t.pos:t.pos+n])
			t.pos += n
		}
	}
	t.ws()
	if !t.consumeByte(']') {
		return nil, t.errorf(open, "expected closing ']'")
	}
	return extras, nil
}

// specifier = '(' WS? version_many WS? ')' | WS? version_many WS?
func (t *tokenizer) parseSpecifier() (string, error) {
	open := -1
	if t.peekByte('(') {
		open = t.pos
		t.pos++
	}
	t.ws()
	var b strings.Builder
	for {
		n := pep440.MatchSpecifierPrefix(t.rest())
		if n == 0 {
			break
		}
		b.WriteString(t.src[t.pos : t.pos+n])
		t.pos += n
		t.ws()
		if !t.consumeByte(',') {
			break
		}
		b.WriteByte(',')
		t.ws()
	}
	t.ws()
	if open >= 0 && !t.consumeByte(')') {
		return "", t.errorf(open, "expected closing ')'")
	}
	return b.String(), nil
}

// requirement_marker = ';' marker WS?
func (t *tokenizer) parseRequirementMarker(start int, after string) (*markerList, error) {
	if !t.consumeByte(';') {
		return nil, t.errorf(start, "expected end or semicolon (after %s)", after)
	}
	l, err := t.parseMarker()
	if err != nil {
		return nil, err
	}
	t.ws()
	return &l, nil
}

// String returns the requirement in packaging's normalized form, for
// example "requests[socks]<3,>=2.8; python_version >= \"3.8\"".
func (r *Requirement) String() string { return r.format(false) }

// format writes r as String does; with escape, marker values are written so
// that they parse back (see Marker.MarshalText).
func (r *Requirement) format(escape bool) string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteString("[" + strings.Join(r.Extras, ",") + "]")
	}
	b.WriteString(r.Specifier.String())
	if r.URL != "" {
		b.WriteString("@ " + r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; " + r.Marker.format(escape))
	}
	return b.String()
}

// NormalizeName returns the PEP 503 normalized form of a project or extra
// name: lower case, with every run of "-", "_" and "." replaced by one "-".
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			if !sep {
				b.WriteByte('-')
			}
			sep = true
			continue
		}
		sep = false
		b.WriteByte(c)
	}
	return strings.ToLower(b.String())
}

// ValidName reports whether name is a valid PEP 508 project name: ASCII
// letters and digits, with ".", "_" and "-" allowed inside.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isIdentByte(c) {
			continue
		}
		if (c == '.' || c == '_' || c == '-') && i > 0 && i < len(name)-1 {
			continue
		}
		return false
	}
	return true
}
