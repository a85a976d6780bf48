package pep508

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError describes where a requirement or marker string stops being
// valid.
type SyntaxError struct {
	Message string // what was expected
	Source  string // the whole input
	Pos     int    // byte offset of the problem
}

// Error formats the message with the position and the input.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at position %d in %q", e.Message, e.Pos, e.Source)
}

// tokenizer mirrors packaging._tokenizer: context-sensitive matching of one
// token kind at the current position.
type tokenizer struct {
	src      string
	pos      int
	depth    int // current parenthesis nesting in markers
	maxDepth int
}

func (t *tokenizer) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Message: fmt.Sprintf(format, args...), Source: t.src, Pos: pos}
}

func (t *tokenizer) rest() string { return t.src[t.pos:] }

// isWordRune is Python's \w for str patterns.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// wordBefore reports whether the rune before byte offset i is a word rune.
func (t *tokenizer) wordBefore(i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(t.src[:i])
	return isWordRune(r)
}

// wordAt reports whether the rune at byte offset i is a word rune.
func (t *tokenizer) wordAt(i int) bool {
	if i >= len(t.src) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.src[i:])
	return isWordRune(r)
}

// boundary is Python's \b at byte offset i.
func (t *tokenizer) boundary(i int) bool { return t.wordBefore(i) != t.wordAt(i) }

// ws consumes `[ \t]+` and reports whether anything was consumed.
func (t *tokenizer) ws() bool {
	start := t.pos
	for t.pos < len(t.src) && (t.src[t.pos] == ' ' || t.src[t.pos] == '\t') {
		t.pos++
	}
	return t.pos > start
}

// atEnd is the END rule, Python's `$`: the end of the input or just before
// a final newline.
func (t *tokenizer) atEnd() bool {
	return t.pos == len(t.src) || (t.pos == len(t.src)-1 && t.src[t.pos] == '\n')
}

func (t *tokenizer) peekByte(c byte) bool { return t.pos < len(t.src) && t.src[t.pos] == c }

func (t *tokenizer) consumeByte(c byte) bool {
	if t.peekByte(c) {
		t.pos++
		return true
	}
	return false
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// identLen matches `\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b` at the current position
// and returns its length (0 when there is no match).
func (t *tokenizer) identLen() int {
	i := t.pos
	if i >= len(t.src) || !isIdentByte(t.src[i]) || !t.boundary(i) {
		return 0
	}
	end := i + 1
	for end < len(t.src) && (isIdentByte(t.src[end]) || t.src[end] == '.' || t.src[end] == '_' || t.src[end] == '-') {
		end++
	}
	// Backtrack until the end sits on a word boundary.
	for end > i {
		if t.boundary(end) {
			return end - i
		}
		end--
	}
	return 0
}

// wordLen matches `\bword\b` at the current position.
func (t *tokenizer) wordLen(word string) int {
	if !strings.HasPrefix(t.rest(), word) || !t.boundary(t.pos) || !t.boundary(t.pos+len(word)) {
		return 0
	}
	return len(word)
}

// variables lists the VARIABLE alternatives in the order of packaging's
// regular expression.
var variables = [...]string{
	"python_version", "python_full_version",
	"os_name", "os.name", "sys_platform", "sys.platform",
	"platform_release", "platform_system",
	"platform_version", "platform.version",
	"platform_machine", "platform.machine",
	"platform_python_implementation", "platform.python_implementation",
	"python_implementation",
	"implementation_name", "implementation_version",
	"extra",
}

// variableLen matches the VARIABLE rule at the current position.
func (t *tokenizer) variableLen() int {
	if !t.boundary(t.pos) {
		return 0
	}
	for _, v := range variables {
		if strings.HasPrefix(t.rest(), v) && t.boundary(t.pos+len(v)) {
			return len(v)
		}
	}
	return 0
}

// quotedLen matches `'[^']*'` or `"[^"]*"` at the current position.
func (t *tokenizer) quotedLen() int {
	r := t.rest()
	if r == "" || (r[0] != '\'' && r[0] != '"') {
		return 0
	}
	end := strings.IndexByte(r[1:], r[0])
	if end < 0 {
		return 0
	}
	return end + 2
}

// opLen matches `(===|==|~=|!=|<=|>=|<|>)` at the current position.
func (t *tokenizer) opLen() int {
	for _, op := range [...]string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(t.rest(), op) {
			return len(op)
		}
	}
	return 0
}

// urlLen matches `[^ \t]+` at the current position.
func (t *tokenizer) urlLen() int {
	r := t.rest()
	i := strings.IndexAny(r, " \t")
	if i < 0 {
		return len(r)
	}
	return i
}
