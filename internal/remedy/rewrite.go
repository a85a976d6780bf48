package remedy

import (
	"bytes"
	"strconv"
	"strings"
)

// Change is the upgrade to apply to one package.
type Change struct {
	Name string // normalized
	To   string // target version
	// Hashes are the "algo:hex" hashes of the target version's files. Nil
	// means unknown (offline, or the index failed): a hashed pin is then
	// left as it is, since the old version's hashes would make pip refuse
	// the file, and the edit says why.
	Hashes []string
	// Lines, when set, limits the change to the declarations on these
	// (1-based) lines: another declaration of the same package in the file
	// has its own target, or none. In TOML files, where the inventory's
	// line is approximate, the nearest declaration is taken.
	Lines []int
}

// changeSet holds the changes of one file, by normalized name, and
// remembers which of them a declaration in the file matched.
type changeSet struct {
	byName map[string][]Change
	seen   map[string]bool // name + "\x00" + line of the matched change
}

func newChangeSet() *changeSet {
	return &changeSet{byName: map[string][]Change{}, seen: map[string]bool{}}
}

func toChangeSet(changes map[string]Change) *changeSet {
	cs := newChangeSet()
	for n, c := range changes {
		cs.add(n, c)
	}
	return cs
}

func (cs *changeSet) add(name string, c Change) {
	n := normalize(name)
	cs.byName[n] = append(cs.byName[n], c)
}

// matched reports whether a declaration matched the change of name at line.
func (cs *changeSet) matched(name string, line int) bool {
	return cs.seen[normalize(name)+"\x00"+strconv.Itoa(line)]
}

// find returns the change of the declaration of name on line. exact
// requires the line to match (requirements files).
func (cs *changeSet) find(name string, line int, exact bool) (Change, bool) {
	n := normalize(name)
	list := cs.byName[n]
	if len(list) == 0 {
		return Change{}, false
	}
	mark := func(c Change) (Change, bool) {
		l := 0
		if len(c.Lines) > 0 {
			l = c.Lines[0]
			for _, x := range c.Lines {
				if x == line {
					l = x
				}
			}
		}
		cs.seen[n+"\x00"+strconv.Itoa(l)] = true
		return c, true
	}
	for _, c := range list {
		if c.Lines == nil {
			return mark(c)
		}
		for _, l := range c.Lines {
			if l == line {
				return mark(c)
			}
		}
	}
	if exact {
		return Change{}, false
	}
	best, dist := 0, -1
	for i, c := range list {
		for _, l := range c.Lines {
			d := l - line
			if d < 0 {
				d = -d
			}
			if dist < 0 || d < dist {
				best, dist = i, d
			}
		}
	}
	return mark(list[best])
}

// Edit is one declaration a rewrite changed (or could not change).
type Edit struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Name string `json:"name"`
	Old  string `json:"old"` // the declaration's specifier before
	New  string `json:"new"` // and after
	// HashesRefreshed is set when the --hash options were replaced.
	HashesRefreshed bool `json:"hashes_refreshed,omitempty"`
	// Skipped says why a declaration of a package to upgrade was left alone.
	Skipped string `json:"skipped,omitempty"`
}

// logicalLine is one requirements-file line with its continuations.
type logicalLine struct {
	start, end int // byte range in the file, including the final newline
	line       int // 1-based number of its first physical line
}

// splitLogical splits a requirements file into logical lines (a trailing
// backslash joins the next physical line).
func splitLogical(data []byte) []logicalLine {
	var out []logicalLine
	line := 1
	for start := 0; start < len(data); {
		end, phys := start, 0
		for {
			nl := bytes.IndexByte(data[end:], '\n')
			if nl < 0 {
				end = len(data)
				phys++
				break
			}
			content := bytes.TrimRight(data[end:end+nl], "\r")
			end += nl + 1
			phys++
			if !bytes.HasSuffix(content, []byte(`\`)) || isCommentLine(content) {
				break
			}
		}
		out = append(out, logicalLine{start: start, end: end, line: line})
		line += phys
		start = end
	}
	return out
}

func isCommentLine(b []byte) bool {
	t := bytes.TrimLeft(b, " \t")
	return len(t) > 0 && t[0] == '#'
}

// RewriteRequirements applies changes to a requirements file and returns the
// new content and the edits made. Lines of packages not in changes are
// copied byte for byte.
func RewriteRequirements(file string, data []byte, changes map[string]Change) ([]byte, []Edit) {
	return rewriteRequirements(file, data, toChangeSet(changes))
}

func rewriteRequirements(file string, data []byte, changes *changeSet) ([]byte, []Edit) {
	var out bytes.Buffer
	out.Grow(len(data) + 64)
	var edits []Edit
	for _, ll := range splitLogical(data) {
		text := string(data[ll.start:ll.end])
		newText, e, ok := rewriteRequirementLine(text, ll.line, changes)
		if ok {
			e.File, e.Line = file, ll.line
			edits = append(edits, e)
		}
		out.WriteString(newText)
	}
	return out.Bytes(), edits
}

// rewriteRequirementLine rewrites one logical line when it declares a package
// in changes.
func rewriteRequirementLine(text string, line int, changes *changeSet) (string, Edit, bool) {
	// Continuations become spaces of the same length, so offsets in the
	// masked text are offsets in the line.
	first := maskContinuations(text)
	if i := strings.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	t := strings.TrimLeft(first, " \t")
	if t == "" || t[0] == '#' || t[0] == '-' || strings.Contains(strings.SplitN(t, " ", 2)[0], "://") {
		return text, Edit{}, false
	}
	// pip strips "#" comments that follow whitespace.
	body := first
	if i := commentStart(first); i >= 0 {
		body = first[:i]
	}
	body = strings.TrimSuffix(strings.TrimRight(body, " \t"), `\`)
	r, ok := scanRequirement(body)
	if !ok {
		return text, Edit{}, false
	}
	ch, want := changes.find(r.name, line, true)
	if !want {
		return text, Edit{}, false
	}
	e := Edit{Name: ch.Name, Old: body[r.specStart:r.specEnd]}
	if r.url {
		e.Skipped = "direct URL reference"
		return text, e, true
	}
	newSpec, ok := rewriteSpec(e.Old, ch.To)
	if !ok {
		e.Skipped = "the declared constraints exclude " + ch.To
		return text, e, true
	}
	e.New = newSpec
	if e.New == e.Old {
		return text, Edit{}, false
	}
	out := text[:r.specStart] + newSpec + text[r.specEnd:]
	if strings.Contains(out, "--hash") {
		// Never a pin with another version's hashes: pip refuses the file.
		if ch.Hashes == nil {
			e.New = ""
			e.Skipped = "its --hash options name the files of " + strings.TrimLeft(e.Old, "=") + " and the hashes of " + ch.To + " could not be fetched from the index; the line is left unchanged"
			return text, e, true
		}
		replaced, ok := replaceHashes(out, ch.Hashes)
		if !ok {
			e.New = ""
			e.Skipped = "its --hash options are laid out in a way that cannot be rewritten safely; the line is left unchanged"
			return text, e, true
		}
		out = replaced
		e.HashesRefreshed = true
	}
	return out, e, true
}

// maskContinuations replaces each backslash-newline with spaces.
func maskContinuations(s string) string {
	if !strings.Contains(s, "\\\n") && !strings.Contains(s, "\\\r\n") {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			b[i], b[i+1] = ' ', ' '
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			b[i], b[i+1], b[i+2] = ' ', ' ', ' '
		}
	}
	return string(b)
}

// commentStart returns the index of a "#" comment (at the start or after
// whitespace), or -1.
func commentStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// replaceHashes replaces the --hash options of a logical line with hashes,
// keeping the separator the line uses between them (" \\\n    " for the
// usual one-per-line layout). It gives up (ok false) when anything other than
// hash options and separators sits between the first and the last one.
func replaceHashes(line string, hashes []string) (string, bool) {
	type span struct{ start, end int }
	var spans []span
	for i := 0; i < len(line); {
		k := strings.Index(line[i:], "--hash")
		if k < 0 {
			break
		}
		s := i + k
		e := s
		for e < len(line) && line[e] != ' ' && line[e] != '\t' && line[e] != '\\' && line[e] != '\r' && line[e] != '\n' {
			e++
		}
		if s+6 < len(line) && line[s+6] == ' ' { // "--hash sha256:..." form
			e2 := skipSpace(line, s+6)
			e = e2
			for e < len(line) && line[e] != ' ' && line[e] != '\t' && line[e] != '\\' && line[e] != '\r' && line[e] != '\n' {
				e++
			}
		}
		spans = append(spans, span{s, e})
		i = e
	}
	if len(spans) == 0 || len(hashes) == 0 {
		return line, false
	}
	sep := " "
	if len(spans) > 1 {
		sep = line[spans[0].end:spans[1].start]
	} else if p := strings.LastIndexByte(line[:spans[0].start], '\n'); p >= 0 {
		// The only hash is on a continuation line: reuse that layout.
		bs := strings.LastIndexByte(line[:p], '\\')
		if bs < 0 {
			return line, false
		}
		sep = line[len(strings.TrimRight(line[:bs], " \t")):spans[0].start]
	}
	for i := 1; i < len(spans); i++ {
		between := strings.TrimSpace(strings.NewReplacer(`\`, "", "\r", "", "\n", "").Replace(line[spans[i-1].end:spans[i].start]))
		if between != "" {
			return line, false
		}
	}
	tokens := make([]string, len(hashes))
	for i, h := range hashes {
		tokens[i] = "--hash=" + h
	}
	return line[:spans[0].start] + strings.Join(tokens, sep) + line[spans[len(spans)-1].end:], true
}
