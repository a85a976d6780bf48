// Package license turns the license metadata of Python packages (PEP 639
// License-Expression, the free-text License field and trove classifiers) into
// SPDX expressions, classifies them (permissive, weak copyleft, strong
// copyleft, proprietary, unknown) and checks them against allow and deny lists.
package license

//go:generate go run ./gen -spdx ../../../../shared/corpus/spdx -o spdx_table.go

import (
	"fmt"
	"strings"
)

type spdxFlags uint8

const (
	flagDeprecated spdxFlags = 1 << iota
	flagOSI
	flagFSF
)

type spdxEntry struct {
	ID    string
	Name  string
	Flags spdxFlags
}

var (
	licenseByLower   = map[string]*spdxEntry{}
	exceptionByLower = map[string]*spdxEntry{}
)

func init() {
	for i := range spdxLicenses {
		licenseByLower[strings.ToLower(spdxLicenses[i].ID)] = &spdxLicenses[i]
	}
	for i := range spdxExceptions {
		exceptionByLower[strings.ToLower(spdxExceptions[i].ID)] = &spdxExceptions[i]
	}
}

// deprecatedGNU maps the deprecated bare GNU ids to their -only form.
var deprecatedGNU = map[string]string{
	"gpl-1.0": "GPL-1.0-only", "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only",
	"lgpl-2.0": "LGPL-2.0-only", "lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only",
	"agpl-1.0": "AGPL-1.0-only", "agpl-3.0": "AGPL-3.0-only",
	"gfdl-1.1": "GFDL-1.1-only", "gfdl-1.2": "GFDL-1.2-only", "gfdl-1.3": "GFDL-1.3-only",
}

// CanonicalID returns the SPDX spelling of a license id (case-insensitive),
// replacing deprecated GNU ids ("GPL-2.0" -> "GPL-2.0-only", "GPL-2.0+" ->
// "GPL-2.0-or-later"). LicenseRef- ids are kept as written. ok is false for
// ids not on the SPDX list.
func CanonicalID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if isRef(id) {
		return id, true
	}
	lower := strings.ToLower(id)
	if base, plus := strings.CutSuffix(lower, "+"); plus {
		if c, ok := deprecatedGNU[base]; ok {
			return strings.TrimSuffix(c, "-only") + "-or-later", true
		}
		if e, ok := licenseByLower[base]; ok {
			return e.ID + "+", true
		}
		return id, false
	}
	if c, ok := deprecatedGNU[lower]; ok {
		return c, true
	}
	if e, ok := licenseByLower[lower]; ok {
		return e.ID, true
	}
	return id, false
}

func isRef(id string) bool {
	l := strings.ToLower(id)
	return strings.HasPrefix(l, "licenseref-") || (strings.HasPrefix(l, "documentref-") && strings.Contains(l, ":licenseref-"))
}

// Expr is a parsed SPDX license expression.
type Expr struct {
	Op        string // "", "AND", "OR"
	ID        string // license id when Op is ""
	Exception string // WITH exception when Op is ""
	Args      []*Expr
}

// String writes the expression in canonical form with minimal parentheses.
func (e *Expr) String() string {
	if e.Op == "" {
		if e.Exception != "" {
			return e.ID + " WITH " + e.Exception
		}
		return e.ID
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		s := a.String()
		if a.Op != "" && a.Op != e.Op {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, " "+e.Op+" ")
}

// IDs returns the license ids of the expression, in order, without repeats.
func (e *Expr) IDs() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Expr)
	walk = func(x *Expr) {
		if x.Op == "" {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x.ID)
			}
			return
		}
		for _, a := range x.Args {
			walk(a)
		}
	}
	walk(e)
	return out
}

// ParseExpression parses and canonicalizes an SPDX license expression
// (SPDX 2.3 annex D: AND, OR, WITH, parentheses, "+", LicenseRef-). Operators
// are accepted in any case. Unknown license or exception ids are an error.
func ParseExpression(s string) (*Expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty license expression")
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("license expression %q: unexpected %q", s, p.toks[p.pos])
	}
	return e, nil
}

func tokenize(s string) ([]string, error) {
	var toks []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case isIDByte(c):
			j := i
			for j < len(s) && (isIDByte(s[j]) || s[j] == ':') {
				j++
			}
			if j < len(s) && s[j] == '+' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("license expression %q: unexpected character %q", s, c)
		}
	}
	return toks, nil
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) peekOp(op string) bool {
	return p.pos < len(p.toks) && strings.EqualFold(p.toks[p.pos], op)
}

func (p *parser) binary(op string, next func() (*Expr, error)) (*Expr, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	args := []*Expr{first}
	for p.peekOp(op) {
		p.pos++
		a, err := next()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Expr{Op: op, Args: args}, nil
}

func (p *parser) or() (*Expr, error)  { return p.binary("OR", p.and) }
func (p *parser) and() (*Expr, error) { return p.binary("AND", p.with) }

func (p *parser) with() (*Expr, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("license expression ends too early")
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t == "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, fmt.Errorf("license expression: missing \")\"")
		}
		p.pos++
		return e, nil
	case t == ")" || strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR") || strings.EqualFold(t, "WITH"):
		return nil, fmt.Errorf("license expression: unexpected %q", t)
	}
	id, ok := CanonicalID(t)
	if !ok {
		return nil, fmt.Errorf("license expression: %q is not an SPDX license id", t)
	}
	e := &Expr{ID: id}
	if p.peekOp("WITH") {
		p.pos++
		if p.pos >= len(p.toks) {
			return nil, fmt.Errorf("license expression: WITH needs an exception id")
		}
		x, ok := exceptionByLower[strings.ToLower(p.toks[p.pos])]
		if !ok && !isRef(p.toks[p.pos]) {
			return nil, fmt.Errorf("license expression: %q is not an SPDX exception id", p.toks[p.pos])
		}
		e.Exception = p.toks[p.pos]
		if ok {
			e.Exception = x.ID
		}
		p.pos++
	}
	return e, nil
}
