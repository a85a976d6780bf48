package typosquat

import "strings"

// squash removes the separators PEP 503 treats as equivalent and that users
// confuse: "python-dateutil" and "pythondateutil" squash to the same string.
func squash(n string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return -1
		}
		return r
	}, n)
}

// homoglyphs are the multi-letter look-alikes replaced before the single ones.
var homoglyphs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")

// skeleton maps a name to its visual skeleton: separators dropped, look-alike
// letters and digits folded (1/l/i/I, 0/o, rn/m, vv/w, cl/d, 5/s).
func skeleton(n string) string {
	s := homoglyphs.Replace(squash(n))
	return strings.Map(func(r rune) rune {
		switch r {
		case '1', 'i', 'l', '|', '!':
			return 'l'
		case '0':
			return 'o'
		case '5':
			return 's'
		}
		return r
	}, s)
}

// affixes people add to or drop from a project name.
var (
	prefixes = []string{"python-", "python", "py-", "py"}
	suffixes = []string{"-python", "-py", "-py3", "py", "3"}
)

// minCore is the shortest name left after removing an affix that still counts:
// "py" + "x" is not a confusion of "x".
const minCore = 4

// core returns n with one python/py prefix or suffix removed.
func core(n string) (string, bool) {
	for _, p := range prefixes {
		if c, ok := strings.CutPrefix(n, p); ok && len(squash(c)) >= minCore {
			return strings.Trim(c, "-"), true
		}
	}
	for _, s := range suffixes {
		if c, ok := strings.CutSuffix(n, s); ok && len(squash(c)) >= minCore {
			return strings.Trim(c, "-"), true
		}
	}
	return "", false
}

// distance returns the optimal-string-alignment Damerau-Levenshtein distance
// between a and b (insertions, deletions, substitutions and transpositions of
// adjacent bytes), or max+1 as soon as it must exceed max. Only the band of
// cells within max of the diagonal is computed. buf is scratch space of at
// least 3*(len(b)+1) ints (nil: allocate).
func distance(a, b string, max int, buf []int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	if a == b {
		return 0
	}
	inf := max + 1
	n := len(b) + 1
	if len(buf) < 3*n {
		buf = make([]int, 3*n)
	}
	pp, prev, cur := buf[:n], buf[n:2*n], buf[2*n:3*n]
	for j := range prev {
		prev[j] = min(j, inf)
		pp[j] = inf
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := i-max, i+max
		if lo < 1 {
			lo = 1
		}
		if hi > len(b) {
			hi = len(b)
		}
		// Only the band and the cells just outside it are read later.
		cur[0] = min(i, inf)
		cur[lo-1] = min(cur[lo-1], inf)
		if lo > 1 {
			cur[lo-1] = inf
		}
		if hi < len(b) {
			cur[hi+1] = inf
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, pp[j-2]+1)
			}
			v = min(v, inf)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return inf
		}
		pp, prev, cur = prev, cur, pp
	}
	return min(prev[len(b)], inf)
}

// deletes returns s and every distinct string made by deleting one byte of it.
// Two strings within one edit (or one adjacent transposition) of each other
// always share an element of their deletes.
func deletes(s string) []string {
	out := make([]string, 0, len(s)+1)
	out = append(out, s)
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i] == s[i-1] {
			continue // same result as deleting s[i-1]
		}
		out = append(out, s[:i]+s[i+1:])
	}
	return out
}
