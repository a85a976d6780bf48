package inventory

import (
	"bytes"
	"path/filepath"
	"strings"
)

// scriptFormat is a Python script with PEP 723 inline metadata: the
// dependencies and requires-python of its `# /// script` block. A project
// scan reads no scripts; a script is read when it is named.
var scriptFormat = FileFormat{
	Name:          FormatScript,
	Kind:          KindManifest,
	Match:         func(p string) bool { return strings.EqualFold(filepath.Ext(p), ".py") },
	Sniff:         func(t []byte) bool { return !jsonHead(t) && hasScriptOpener(t) },
	SniffStrength: 65,
	Parse:         ParseScript,
	Python:        scriptPython,
}

// FormatScript is a Python script with a PEP 723 `# /// script` block.
const FormatScript Format = "script"

// scriptOpener is the line that opens a PEP 723 script block.
const scriptOpener = "# /// script"

// hasScriptOpener reports whether head holds a `# /// script` line.
func hasScriptOpener(head []byte) bool {
	for len(head) > 0 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		if string(bytes.TrimSuffix(line, []byte("\r"))) == scriptOpener {
			return true
		}
		head = rest
	}
	return false
}

// scriptBlock is one PEP 723 metadata block of a script.
type scriptBlock struct {
	Type    string   // the block's TYPE ("script")
	Open    int      // line of `# /// TYPE`
	Close   int      // line of the closing `# ///`
	content [][]byte // the lines between them, as in the file
}

// toml returns the block's content with the comment prefix of each line
// removed ("# " or "#"), preceded by one empty line for each line of the
// file before the content, so that its line numbers are the file's.
func (b scriptBlock) toml() []byte {
	n := b.Open
	for _, l := range b.content {
		n += len(l) + 1
	}
	out := make([]byte, b.Open, n)
	for i := range out {
		out[i] = '\n'
	}
	for _, l := range b.content {
		if bytes.HasPrefix(l, []byte("# ")) {
			l = l[2:]
		} else {
			l = l[1:]
		}
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

// scriptBlocks returns the PEP 723 metadata blocks of a script, in order,
// as the specification's regular expression
//
//	(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$
//
// finds them: a block opens with `# /// TYPE`, holds at least one comment
// line (`#` alone or `# ` and text) and ends at the last `# ///` line
// before the next line that is not one. A line's trailing CR is dropped, as
// Python's text mode reads CRLF files. Time is linear in the script.
func scriptBlocks(data []byte) []scriptBlock {
	lines := splitScriptLines(data)
	var out []scriptBlock
	for i := 0; i < len(lines); {
		typ, ok := blockType(lines[i])
		if !ok {
			i++
			continue
		}
		// The run of comment lines after the opener; the block closes at
		// the last `# ///` of the run that leaves one content line.
		end, last := i+1, -1
		for end < len(lines) && isMetaComment(lines[end]) {
			if string(lines[end]) == "# ///" && end >= i+2 {
				last = end
			}
			end++
		}
		if last < 0 {
			// No opener later in the run can close either: its closer
			// would be the same last `# ///`, and the run ends here.
			i = end
			continue
		}
		out = append(out, scriptBlock{Type: typ, Open: i + 1, Close: last + 1, content: lines[i+1 : last]})
		i = last + 1
	}
	return out
}

// splitScriptLines splits a script into its lines, without their line
// ends (LF, or CRLF).
func splitScriptLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		out = append(out, bytes.TrimSuffix(line, []byte("\r")))
		data = rest
	}
	return out
}

// blockType returns TYPE of a `# /// TYPE` line ([a-zA-Z0-9-]+).
func blockType(line []byte) (string, bool) {
	t, ok := bytes.CutPrefix(line, []byte("# /// "))
	if !ok || len(t) == 0 {
		return "", false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", false
		}
	}
	return string(t), true
}

// isMetaComment reports whether a line is a comment line of a metadata
// block: `#` alone or `# ` followed by anything.
func isMetaComment(line []byte) bool {
	return len(line) == 1 && line[0] == '#' || bytes.HasPrefix(line, []byte("# "))
}

// scriptMetadata returns the `# /// script` block of a script, an error
// naming the file (and line) when it has none or more than one.
func scriptMetadata(file string, data []byte) (scriptBlock, error) {
	var found []scriptBlock
	for _, b := range scriptBlocks(data) {
		if b.Type == "script" {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return scriptBlock{}, errf(file, 0, "the file has no `# /// script` block (PEP 723 inline script metadata)")
	case 1:
		return found[0], nil
	}
	return scriptBlock{}, errf(file, found[1].Open, "a second `# /// script` block (the first is at line %d); PEP 723 allows one", found[0].Open)
}

// scriptDoc is the TOML of a script block.
type scriptDoc struct {
	RequiresPython string   `toml:"requires-python"`
	Dependencies   []string `toml:"dependencies"`
}

// ParseScript reads the dependencies a Python script declares in its PEP
// 723 `# /// script` block. Every dependency is direct; its location is
// its line in the script.
func ParseScript(file string, data []byte, opts Options) (*Inventory, error) {
	b, err := scriptMetadata(file, data)
	if err != nil {
		return nil, err
	}
	doc := b.toml()
	var meta scriptDoc
	if err := decodeTOML(file, doc, &meta); err != nil {
		return nil, err
	}
	lf := newLineFinder(doc)
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: string(FormatScript)}}}
	for _, s := range meta.Dependencies {
		p, err := parseRequirementString(file, lf.findString("", s), s)
		if err != nil {
			return nil, err
		}
		p.Direct = true
		if p.Source.Kind == SourcePath && p.Source.Path != "" {
			p.Source.Path = relDir(file, p.Source.Path)
		}
		inv.Packages = append(inv.Packages, p)
	}
	return finish(inv, opts), nil
}

// scriptPython reads the requires-python of a script's block.
func scriptPython(data []byte) []PythonBound {
	b, err := scriptMetadata("", data)
	if err != nil {
		return nil
	}
	var meta scriptDoc
	if decodeTOML("", b.toml(), &meta) != nil || meta.RequiresPython == "" {
		return nil
	}
	return []PythonBound{{What: "requires-python " + meta.RequiresPython, Specs: []string{meta.RequiresPython}}}
}
