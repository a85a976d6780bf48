package remedy

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// stringKind says how a TOML string in pyproject.toml declares a dependency.
type stringKind int

const (
	notDependency stringKind = iota
	pep508String             // "requests>=2.0; python_version<'3.9'"
	poetryString             // requests = "^2.0" (the key names the package)
	pipfileString            // requests = "==2.0" or "*" in a Pipfile
)

// classifyPipfile finds the version strings of a Pipfile's [packages] and
// [dev-packages] (and other category) tables.
func classifyPipfile(path []string) (stringKind, string) {
	if len(path) < 2 || path[0] == "source" || path[0] == "requires" || path[0] == "scripts" || path[0] == "pipenv" {
		return notDependency, ""
	}
	if len(path) == 2 || len(path) == 3 && path[2] == "version" {
		return pipfileString, path[1]
	}
	return notDependency, ""
}

// classify decides what a string at a key path holds. path is the full key
// path of the string (array elements add no element).
func classify(path []string) (stringKind, string) {
	n := len(path)
	switch {
	case n == 2 && path[0] == "project" && path[1] == "dependencies",
		n == 3 && path[0] == "project" && path[1] == "optional-dependencies",
		n == 2 && path[0] == "dependency-groups",
		n == 4 && path[0] == "tool" && path[1] == "pdm" && path[2] == "dev-dependencies",
		n == 3 && path[0] == "tool" && path[1] == "uv" && (path[2] == "dev-dependencies" || path[2] == "constraint-dependencies" || path[2] == "override-dependencies"):
		return pep508String, ""
	}
	if n >= 4 && path[0] == "tool" && path[1] == "poetry" {
		var rest []string
		switch {
		case path[2] == "dependencies" || path[2] == "dev-dependencies":
			rest = path[3:]
		case n >= 6 && path[2] == "group" && path[4] == "dependencies":
			rest = path[5:]
		default:
			return notDependency, ""
		}
		if len(rest) == 1 || len(rest) == 2 && rest[1] == "version" {
			if normalize(rest[0]) == "python" {
				return notDependency, ""
			}
			return poetryString, rest[0]
		}
	}
	return notDependency, ""
}

// textEdit replaces data[start:end] with repl.
type textEdit struct {
	start, end int
	repl       string
}

// RewritePyproject applies changes to a pyproject.toml (PEP 621 dependency
// arrays, PEP 735 groups, PDM/uv dev dependencies and Poetry dependency
// tables). Only the specifier text inside the affected strings changes; the
// TOML is never re-serialized.
func RewritePyproject(file string, data []byte, changes map[string]Change) ([]byte, []Edit, error) {
	return rewriteTOML(file, data, toChangeSet(changes), classify)
}

// RewritePipfile applies changes to a Pipfile's package tables, with the same
// minimal edits as RewritePyproject.
func RewritePipfile(file string, data []byte, changes map[string]Change) ([]byte, []Edit, error) {
	return rewriteTOML(file, data, toChangeSet(changes), classifyPipfile)
}

func rewriteTOML(file string, data []byte, changes *changeSet, classify func([]string) (stringKind, string)) ([]byte, []Edit, error) {
	var p unstable.Parser
	p.Reset(data)
	var table []string
	var tedits []textEdit
	var edits []Edit
	var visit func(n *unstable.Node, path []string)
	visit = func(n *unstable.Node, path []string) {
		switch n.Kind {
		case unstable.String:
			kind, pkg := classify(path)
			if kind == notDependency {
				return
			}
			line := 1 + bytes.Count(data[:n.Raw.Offset], []byte("\n"))
			te, e, ok := rewriteTOMLString(data, n, kind, pkg, line, changes)
			if !ok {
				return
			}
			e.File, e.Line = file, line
			edits = append(edits, e)
			if e.Skipped == "" {
				tedits = append(tedits, te)
			}
		case unstable.Array:
			it := n.Children()
			for it.Next() {
				visit(it.Node(), path)
			}
		case unstable.InlineTable:
			it := n.Children()
			for it.Next() {
				kv := it.Node()
				visit(kv.Value(), append(append([]string(nil), path...), keyParts(kv)...))
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e)
		case unstable.KeyValue:
			visit(e.Value(), append(append([]string(nil), table...), keyParts(e)...))
		}
	}
	if err := p.Error(); err != nil {
		var pe *unstable.ParserError
		line := 0
		if errors.As(err, &pe) && pe.Highlight != nil {
			if off := cap(data) - cap(pe.Highlight); off >= 0 && off <= len(data) {
				line = 1 + bytes.Count(data[:off], []byte("\n"))
			}
		}
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if line > 0 {
			return nil, nil, fmt.Errorf("%s:%d: invalid TOML: %s", file, line, msg)
		}
		return nil, nil, fmt.Errorf("%s: invalid TOML: %s", file, msg)
	}
	return applyEdits(data, tedits), edits, nil
}

func keyParts(n *unstable.Node) []string {
	var parts []string
	it := n.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// rewriteTOMLString computes the edit of one dependency string.
func rewriteTOMLString(data []byte, n *unstable.Node, kind stringKind, pkg string, line int, changes *changeSet) (textEdit, Edit, bool) {
	raw := string(data[n.Raw.Offset : n.Raw.Offset+n.Raw.Length])
	value := string(n.Data)
	var span reqSpan
	switch kind {
	case pep508String:
		r, ok := scanRequirement(value)
		if !ok {
			return textEdit{}, Edit{}, false
		}
		span = r
	case poetryString, pipfileString:
		span = reqSpan{name: pkg, specStart: 0, specEnd: len(value)}
	}
	ch, want := changes.find(span.name, line, false)
	if !want {
		return textEdit{}, Edit{}, false
	}
	e := Edit{Name: ch.Name, Old: value[span.specStart:span.specEnd]}
	if span.url {
		e.Skipped = "direct URL reference"
		return textEdit{}, e, true
	}
	var ok bool
	switch {
	case kind == poetryString:
		e.New, ok = rewritePoetry(e.Old, ch.To)
	case kind == pipfileString && strings.TrimSpace(e.Old) == "*":
		e.New, ok = ">="+ch.To, true
	default:
		e.New, ok = rewriteSpec(e.Old, ch.To)
	}
	if !ok {
		e.Skipped = "the declared constraints exclude " + ch.To
		return textEdit{}, e, true
	}
	if e.New == e.Old {
		return textEdit{}, Edit{}, false
	}
	// Edit inside the quotes when the literal holds the value unescaped
	// (every single-line string without escapes); otherwise give up rather
	// than re-encode the string.
	if len(raw) < 2 || strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, `'''`) || raw[1:len(raw)-1] != value {
		e.Skipped = "string with escapes or on several lines"
		return textEdit{}, e, true
	}
	if strings.ContainsAny(e.New, `"'\`) {
		e.Skipped = "unexpected characters in the new specifier"
		return textEdit{}, e, true
	}
	base := int(n.Raw.Offset) + 1
	return textEdit{start: base + span.specStart, end: base + span.specEnd, repl: e.New}, e, true
}

// applyEdits applies non-overlapping edits.
func applyEdits(data []byte, edits []textEdit) []byte {
	if len(edits) == 0 {
		return append([]byte(nil), data...)
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	prev := 0
	for _, e := range edits {
		if e.start < prev {
			continue
		}
		out.Write(data[prev:e.start])
		out.WriteString(e.repl)
		prev = e.end
	}
	out.Write(data[prev:])
	return out.Bytes()
}
