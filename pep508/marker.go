package pep508

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pyvet/pyvet/pep440"
)

// Marker is a parsed PEP 508 environment marker such as
// `python_version < "3.11" and sys_platform == "linux"`.
type Marker struct {
	list markerList
}

// markerList mirrors packaging's MarkerList: atoms separated by "and"/"or".
type markerList struct {
	atoms []markerAtom
	ops   []string // len(atoms)-1 boolean operators
}

// markerAtom is either a comparison or a parenthesized list.
type markerAtom struct {
	sub *markerList
	lhs markerVar
	op  string
	rhs markerVar
	// When the left side is a variable the right side is fixed, so whether
	// op+rhs is a version specifier is decided once, by prepare.
	prepared bool
	spec     *pep440.Specifier // nil: op+rhs is not a specifier
}

// markerVar is a variable name or a string value.
type markerVar struct {
	isVar bool
	value string
}

// serialize writes v as packaging does: a value in double quotes, as is.
// With escape, a double quote, a backslash and the control characters are
// written as \xNN escapes, so that the text parses back to the same value.
func (v markerVar) serialize(escape bool) string {
	if v.isVar {
		return v.value
	}
	if !escape || !strings.ContainsFunc(v.value, needsEscape) {
		return `"` + v.value + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v.value); i++ {
		c := v.value[i]
		if needsEscape(rune(c)) {
			fmt.Fprintf(&b, `\x%02x`, c)
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// needsEscape reports whether the ASCII character r cannot be written as is
// inside a double-quoted marker value.
func needsEscape(r rune) bool { return r == '"' || r == '\\' || r < 0x20 || r == 0x7f }

// Parentheses nest at most this deep. packaging's recursive descent parser
// runs out of Python's default recursion limit (1000 frames) just beyond
// these depths, so deeper markers are rejected there too.
const (
	maxMarkerDepth      = 493 // Marker(...)
	maxRequirementDepth = 491 // Requirement(...)
)

// ErrInvalidMarker is wrapped by every error ParseMarker returns.
var ErrInvalidMarker = errors.New("invalid marker")

// ParseMarker parses a marker expression. As packaging does, parsing stops
// after the last complete expression, so trailing text that cannot continue
// it is ignored ("os_name == 'nt' junk" parses).
func ParseMarker(s string) (*Marker, error) {
	t := &tokenizer{src: s, maxDepth: maxMarkerDepth}
	list, err := t.parseMarker()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMarker, err)
	}
	normalizeExtraValues(&list)
	prepare(&list)
	return &Marker{list: list}, nil
}

// normalizeExtraValues is packaging's _normalize_extra_values: the value
// compared with "extra" in the first item of the top-level list is
// PEP 503-normalized.
func normalizeExtraValues(l *markerList) {
	a := &l.atoms[0]
	if a.sub != nil {
		return
	}
	switch {
	case a.lhs.isVar && a.lhs.value == "extra":
		a.rhs = markerVar{value: NormalizeName(a.rhs.value)}
	case a.rhs.isVar && a.rhs.value == "extra":
		a.lhs = markerVar{value: NormalizeName(a.lhs.value)}
	}
}

// marker = marker_atom (BOOLOP marker_atom)*
func (t *tokenizer) parseMarker() (markerList, error) {
	var l markerList
	a, err := t.parseMarkerAtom()
	if err != nil {
		return l, err
	}
	l.atoms = append(l.atoms, a)
	for {
		op := ""
		if n := t.wordLen("or"); n > 0 {
			op = "or"
		} else if n := t.wordLen("and"); n > 0 {
			op = "and"
		}
		if op == "" {
			return l, nil
		}
		t.pos += len(op)
		a, err := t.parseMarkerAtom()
		if err != nil {
			return l, err
		}
		l.ops = append(l.ops, op)
		l.atoms = append(l.atoms, a)
	}
}

// marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS?
func (t *tokenizer) parseMarkerAtom() (markerAtom, error) {
	t.ws()
	var a markerAtom
	if t.peekByte('(') {
		open := t.pos
		if t.depth++; t.depth > t.maxDepth {
			return a, t.errorf(open, "parentheses nested too deeply")
		}
		defer func() { t.depth-- }()
		t.pos++
		t.ws()
		sub, err := t.parseMarker()
		if err != nil {
			return a, err
		}
		t.ws()
		if !t.consumeByte(')') {
			return a, t.errorf(open, "expected closing ')'")
		}
		a.sub = &sub
	} else {
		var err error
		if a, err = t.parseMarkerItem(); err != nil {
			return a, err
		}
	}
	t.ws()
	return a, nil
}

// marker_item = WS? marker_var WS? marker_op WS? marker_var WS?
func (t *tokenizer) parseMarkerItem() (markerAtom, error) {
	var a markerAtom
	var err error
	t.ws()
	if a.lhs, err = t.parseMarkerVar(); err != nil {
		return a, err
	}
	t.ws()
	if a.op, err = t.parseMarkerOp(); err != nil {
		return a, err
	}
	t.ws()
	if a.rhs, err = t.parseMarkerVar(); err != nil {
		return a, err
	}
	t.ws()
	return a, nil
}

func (t *tokenizer) parseMarkerVar() (markerVar, error) {
	if n := t.variableLen(); n > 0 {
		name := strings.ReplaceAll(t.src[t.pos:t.pos+n], ".", "_")
		t.pos += n
		if name == "python_implementation" {
			name = "platform_python_implementation"
		}
		return markerVar{isVar: true, value: name}, nil
	}
	if n := t.quotedLen(); n > 0 {
		v, err := pyStringLiteral(t.src[t.pos : t.pos+n])
		if err != nil {
			return markerVar{}, t.errorf(t.pos, "%v", err)
		}
		t.pos += n
		return markerVar{value: v}, nil
	}
	return markerVar{}, t.errorf(t.pos, "expected a marker variable or quoted string")
}

func (t *tokenizer) parseMarkerOp() (string, error) {
	if n := t.wordLen("in"); n > 0 {
		t.pos += n
		return "in", nil
	}
	if n := t.wordLen("not"); n > 0 {
		t.pos += n
		if !t.ws() {
			return "", t.errorf(t.pos, "expected whitespace after 'not'")
		}
		if n := t.wordLen("in"); n > 0 {
			t.pos += n
			return "not in", nil
		}
		return "", t.errorf(t.pos, "expected 'in' after 'not'")
	}
	if n := t.opLen(); n > 0 {
		op := t.src[t.pos : t.pos+n]
		t.pos += n
		return op, nil
	}
	return "", t.errorf(t.pos, "expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

// pyStringLiteral evaluates a quoted Python string literal the way
// ast.literal_eval does: backslash escapes are processed; a newline inside
// the quotes or a trailing lone backslash is an error.
func pyStringLiteral(lit string) (string, error) {
	body := lit[1 : len(lit)-1]
	if !strings.ContainsAny(body, "\\\n\r\x00") {
		return body, nil
	}
	if strings.ContainsAny(body, "\n\r") {
		return "", errors.New("newline in string literal")
	}
	if strings.ContainsRune(body, 0) {
		return "", errors.New("null byte in string literal")
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", errors.New("unterminated string literal")
		}
		c = body[i]
		switch c {
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(body[i:j], 8, 32)
			b.WriteRune(rune(n))
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+width >= len(body) || !isHex(body[i+1:i+1+width]) {
				return "", fmt.Errorf("truncated \\%c escape", c)
			}
			n, _ := strconv.ParseUint(body[i+1:i+1+width], 16, 32)
			if n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
				return "", fmt.Errorf("illegal Unicode character in \\%c escape", c)
			}
			b.WriteRune(rune(n))
			i += width
		case 'N':
			return "", errors.New("\\N{...} escapes are not supported")
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// String returns the marker in packaging's normalized form: single spaces
// around operators, values in double quotes, redundant parentheses dropped.
func (m *Marker) String() string { return m.format(false) }

func (m *Marker) format(escape bool) string {
	if m == nil {
		return ""
	}
	return formatList(&m.list, true, escape)
}

func formatList(l *markerList, first, escape bool) string {
	if len(l.atoms) == 1 {
		return formatAtom(&l.atoms[0], true, escape)
	}
	var b strings.Builder
	if !first {
		b.WriteByte('(')
	}
	for i := range l.atoms {
		if i > 0 {
			b.WriteByte(' ')
			b.WriteString(l.ops[i-1])
			b.WriteByte(' ')
		}
		b.WriteString(formatAtom(&l.atoms[i], false, escape))
	}
	if !first {
		b.WriteByte(')')
	}
	return b.String()
}

func formatAtom(a *markerAtom, first, escape bool) string {
	if a.sub != nil {
		return formatList(a.sub, first, escape)
	}
	lhs, rhs := a.lhs, a.rhs
	if escape {
		// Evaluation normalizes both sides of a comparison with "extra";
		// packaging's parser normalizes only the first, so the text form
		// writes every such value normalized, and parses back to itself.
		switch {
		case lhs.isVar && lhs.value == "extra" && !rhs.isVar:
			rhs.value = NormalizeName(rhs.value)
		case rhs.isVar && rhs.value == "extra" && !lhs.isVar:
			lhs.value = NormalizeName(lhs.value)
		}
	}
	return lhs.serialize(escape) + " " + a.op + " " + rhs.serialize(escape)
}

// Evaluate reports whether the marker holds in env. A nil marker is true.
// "extra" is read from env["extra"] (missing means ""). Where packaging
// raises (a variable missing from env, a version comparison with a value
// that is not a PEP 440 version, "~=" on non-versions), Evaluate returns
// false; EvaluateErr reports the error instead.
func (m *Marker) Evaluate(env Env) bool {
	ok, err := m.EvaluateErr(env)
	return ok && err == nil
}

// EvaluateErr is Evaluate with the error packaging would raise.
func (m *Marker) EvaluateErr(env Env) (bool, error) {
	if m == nil {
		return true, nil
	}
	return evalList(&m.list, env)
}

// evalList evaluates every item (as packaging does, without short cuts) and
// combines them: "and" binds tighter than "or".
func evalList(l *markerList, env Env) (bool, error) {
	result := false
	group := true
	for i := range l.atoms {
		if i > 0 && l.ops[i-1] == "or" {
			result = result || group
			group = true
		}
		v, err := evalAtom(&l.atoms[i], env)
		if err != nil {
			return false, err
		}
		group = group && v
	}
	return result || group, nil
}

func lookup(env Env, key string) (string, error) {
	v, ok := env[key]
	if !ok {
		if key == "extra" {
			return "", nil
		}
		return "", fmt.Errorf("marker variable %q is not set in the environment", key)
	}
	return v, nil
}

func evalAtom(a *markerAtom, env Env) (bool, error) {
	if a.sub != nil {
		return evalList(a.sub, env)
	}
	var key, lhs, rhs string
	var err error
	if a.lhs.isVar {
		key = a.lhs.value
		if lhs, err = lookup(env, key); err != nil {
			return false, err
		}
		rhs = a.rhs.value
	} else {
		lhs = a.lhs.value
		key = a.rhs.value
		if rhs, err = lookup(env, key); err != nil {
			return false, err
		}
	}
	if key == "extra" {
		lhs, rhs = NormalizeName(lhs), NormalizeName(rhs)
	}
	if a.prepared {
		return evalWith(lhs, a.op, rhs, a.spec)
	}
	return evalOp(lhs, a.op, rhs)
}

// prepare parses, for every comparison with a variable on the left, the
// specifier its operator and (normalized) value form, so that evaluation
// does not parse it again.
func prepare(l *markerList) {
	for i := range l.atoms {
		a := &l.atoms[i]
		if a.sub != nil {
			prepare(a.sub)
			continue
		}
		if !a.lhs.isVar {
			continue
		}
		rhs := a.rhs.value
		if a.lhs.value == "extra" {
			rhs = NormalizeName(rhs)
		}
		if spec, err := pep440.ParseSpecifier(a.op + rhs); err == nil {
			a.spec = &spec
		}
		a.prepared = true
	}
}

// evalOp is packaging's _eval_op: when operator and right-hand side form a
// valid version specifier, the left-hand side is compared as a version
// (pre-releases included); otherwise as strings.
func evalOp(lhs, op, rhs string) (bool, error) {
	if spec, err := pep440.ParseSpecifier(op + rhs); err == nil {
		return evalWith(lhs, op, rhs, &spec)
	}
	return evalWith(lhs, op, rhs, nil)
}

// evalWith is evalOp with the specifier op+rhs already parsed (nil when it
// is not one).
func evalWith(lhs, op, rhs string, spec *pep440.Specifier) (bool, error) {
	if spec != nil {
		v, err := pep440.Parse(lhs)
		if err != nil {
			return false, err
		}
		return spec.ContainsPrereleases(v, true), nil
	}
	switch op {
	case "in":
		return strings.Contains(rhs, lhs), nil
	case "not in":
		return !strings.Contains(rhs, lhs), nil
	case "<":
		return lhs < rhs, nil
	case "<=":
		return lhs <= rhs, nil
	case "==":
		return lhs == rhs, nil
	case "!=":
		return lhs != rhs, nil
	case ">=":
		return lhs >= rhs, nil
	case ">":
		return lhs > rhs, nil
	}
	return false, fmt.Errorf("undefined comparison %s on %q and %q", op, lhs, rhs)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(s[i] >= '0' && s[i] <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
