// Package remedy computes the smallest safe upgrades for vulnerable packages
// and applies them to requirements files, pyproject.toml and Pipfile with minimal text
// edits: only the version specifier (and, for hashed pins, the --hash options)
// of the affected declarations changes; comments, order, markers, extras,
// spacing, line endings and continuations stay as written. Lockfiles are not
// edited: the owning tool's upgrade command is reported instead.
package remedy

import (
	"strings"

	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// reqSpan locates the parts of a PEP 508 requirement string that rewriting
// needs: the name and the byte range of the version specifier.
type reqSpan struct {
	name      string // as written
	specStart int    // start of the specifier (insertion point when empty)
	specEnd   int
	url       bool // "name @ url": nothing to rewrite
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

func isSpecByte(c byte) bool {
	return isNameByte(c) || c == '<' || c == '>' || c == '=' || c == '!' || c == '~' || c == '*' || c == ',' || c == '+' || c == '^' || c == '|'
}

// scanRequirement finds the name and specifier of a requirement string.
func scanRequirement(s string) (reqSpan, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start {
		return reqSpan{}, false
	}
	r := reqSpan{name: s[start:i]}
	j := skipSpace(s, i)
	if j < len(s) && s[j] == '[' {
		k := strings.IndexByte(s[j:], ']')
		if k < 0 {
			return reqSpan{}, false
		}
		i = j + k + 1
		j = skipSpace(s, i)
	}
	if j < len(s) && s[j] == '@' {
		r.url = true
		return r, true
	}
	if j < len(s) && s[j] == '(' {
		k := strings.IndexByte(s[j:], ')')
		if k < 0 {
			return reqSpan{}, false
		}
		r.specStart, r.specEnd = skipSpace(s, j+1), j+k
		for r.specEnd > r.specStart && (s[r.specEnd-1] == ' ' || s[r.specEnd-1] == '\t') {
			r.specEnd--
		}
		return r, true
	}
	if j >= len(s) || !isSpecStart(s[j]) {
		// No specifier: insert right after the name (and extras), unless
		// what follows is not a marker, comment or option.
		if j < len(s) && s[j] != ';' && s[j] != '#' && !(j > i && s[j] == '-') {
			return reqSpan{}, false
		}
		r.specStart, r.specEnd = i, i
		return r, true
	}
	r.specStart = j
	k := j
	for k < len(s) {
		c := s[k]
		if c == ' ' || c == '\t' {
			n := skipSpace(s, k)
			if n >= len(s) || !isSpecByte(s[n]) || s[n] == '-' && !isSpecContinuation(s, k) {
				break
			}
			k = n
			continue
		}
		if !isSpecByte(c) {
			break
		}
		k++
	}
	for k > j && (s[k-1] == ' ' || s[k-1] == '\t') {
		k--
	}
	r.specEnd = k
	return r, true
}

// isSpecContinuation tells "a >= 1.0" (spaces inside a specifier) from
// "a==1.0 --hash=..." (an option after it): options start with "-".
func isSpecContinuation(s string, k int) bool {
	n := skipSpace(s, k)
	return n < len(s) && s[n] != '-'
}

func isSpecStart(c byte) bool {
	return c == '<' || c == '>' || c == '=' || c == '!' || c == '~' || c == '^' || c >= '0' && c <= '9' || c == '*'
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// normalize is the PEP 503 form of a project name.
func normalize(name string) string { return pep508.NormalizeName(strings.TrimSpace(name)) }

// rewriteSpec returns the PEP 440 specifier that moves a declaration to
// version to (unchanged when it already pins or starts at or above it):
// exact pins (== / ===) are re-pinned; lower bounds (>=, >, ~=) are
// replaced by ">=to" (or "~=to"); upper bounds, exclusions and wildcard pins are
// kept, in their written form and order. ok is false when the specifier cannot
// be parsed or the kept clauses exclude to.
func rewriteSpec(old, to string) (string, bool) {
	tv, err := pep440.Parse(to)
	if err != nil {
		return "", false
	}
	trimmed := strings.TrimSpace(old)
	if trimmed == "" {
		return ">=" + to, true
	}
	parts := strings.Split(old, ",")
	sep := ","
	if strings.Contains(old, ", ") {
		sep = ", "
	}
	var kept []string
	insertAt := -1
	replacement := ""
	for _, raw := range parts {
		clause := strings.TrimSpace(raw)
		sp, err := pep440.ParseSpecifier(clause)
		if err != nil {
			return "", false
		}
		op, v := sp.Operator(), sp.Version()
		wild := strings.HasSuffix(v, ".*")
		// Keep the spacing between operator and version as written.
		gap := ""
		if rest := strings.TrimPrefix(clause, op); len(rest) < len(clause) {
			gap = rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]
		}
		// Never move a declaration down: one already at or above the target
		// (a pin for another environment, a newer lower bound) stays.
		if (op == "==" && !wild) || op == "===" || op == ">=" || op == ">" || op == "~=" {
			if cv, err := pep440.Parse(v); err == nil && cv.Compare(tv) >= 0 {
				return old, true
			}
		}
		switch {
		case (op == "==" && !wild) || op == "===":
			if replacement == "" || !strings.HasPrefix(replacement, "=") {
				replacement = op + gap + to
			}
		case op == ">=" || op == ">" || op == "~=":
			if replacement == "" {
				if op == "~=" && len(tv.Release()) >= 2 {
					replacement = "~=" + gap + to
				} else {
					replacement = ">=" + gap + to
				}
			}
		default:
			ks, _ := pep440.ParseSpecifierSet(clause)
			if !ks.ContainsPrereleases(tv, true) {
				return "", false
			}
			kept = append(kept, clause)
			continue
		}
		if insertAt < 0 {
			insertAt = len(kept)
		}
	}
	if replacement == "" {
		replacement = ">=" + to
		insertAt = 0
	}
	out := make([]string, 0, len(kept)+1)
	out = append(out, kept[:insertAt]...)
	out = append(out, replacement)
	out = append(out, kept[insertAt:]...)
	return strings.Join(out, sep), true
}

// rewritePoetry returns the Poetry version constraint that moves a
// declaration to version to, keeping its operator style: "^x" → "^to",
// "~x" → "~to", a bare exact "x" → "to", "*" → ">=to"; anything else is
// treated as a PEP 440 specifier.
func rewritePoetry(old, to string) (string, bool) {
	s := strings.TrimSpace(old)
	if bare := strings.TrimLeft(s, "^~="); bare != "" && !strings.ContainsAny(bare, ",| <>*!") {
		// Never move a declaration down.
		cv, err1 := pep440.Parse(bare)
		tv, err2 := pep440.Parse(to)
		if err1 == nil && err2 == nil && cv.Compare(tv) >= 0 {
			return old, true
		}
	}
	switch {
	case s == "" || s == "*":
		return ">=" + to, true
	case strings.Contains(s, "||"):
		return "^" + to, true
	case strings.HasPrefix(s, "^") && !strings.ContainsAny(s, ", "):
		return "^" + to, true
	case strings.HasPrefix(s, "~") && !strings.HasPrefix(s, "~=") && !strings.ContainsAny(s, ", "):
		return "~" + to, true
	case s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, ",* "):
		return to, true
	}
	// Poetry also separates clauses with spaces: ">=1.0 <2.0".
	if !strings.Contains(s, ",") && strings.Count(strings.TrimSpace(s), " ") > 0 {
		fields := strings.Fields(s)
		if len(fields) > 1 && isSpecStart(fields[1][0]) {
			n, ok := rewriteSpec(strings.Join(fields, ","), to)
			return strings.ReplaceAll(n, ",", " "), ok
		}
	}
	return rewriteSpec(old, to)
}
