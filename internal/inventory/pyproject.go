package inventory

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep440"
)

// pyprojectFormat is a project's pyproject.toml: PEP 621 [project], PEP 735
// [dependency-groups], Poetry and PDM tables.
var pyprojectFormat = FileFormat{
	Name: FormatPyproject,
	Kind: KindManifest,
	Match: func(p string) bool {
		return baseIs(p, "pyproject.toml") || strings.HasSuffix(filepath.Base(p), ".pyproject.toml")
	},
	Sniff: func(t []byte) bool {
		return !jsonHead(t) && (bytes.Contains(t, []byte("[project]")) || bytes.Contains(t, []byte("[tool.")) || bytes.Contains(t, []byte("[build-system]")))
	},
	SniffStrength:  35,
	Examples:       []string{"pyproject.toml"},
	ProjectFiles:   func(dir string) []string { return existing(dir, "pyproject.toml") },
	MarksProject:   []string{"pyproject.toml"},
	DeclaresDirect: true,
	Parse:          ParsePyproject,
	Python:         pyprojectPython,
}

// pyprojectPython reads requires-python and Poetry's python dependency.
func pyprojectPython(data []byte) []PythonBound {
	var doc struct {
		Project struct {
			RequiresPython string `toml:"requires-python"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if decodeTOML("", data, &doc) != nil {
		return nil
	}
	var out []PythonBound
	if doc.Project.RequiresPython != "" {
		out = append(out, PythonBound{What: "requires-python " + doc.Project.RequiresPython, Specs: []string{doc.Project.RequiresPython}})
	}
	if c := poetryPython(doc.Tool.Poetry.Dependencies["python"]); c != "" {
		if spec, err := PoetryConstraint(c); err == nil && spec != "" {
			out = append(out, PythonBound{What: "python " + c, Specs: []string{spec}})
		}
	}
	return out
}

// poetryPython is the constraint of Poetry's python dependency (a string or
// a table with a version).
func poetryPython(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if s, ok := t["version"].(string); ok {
			return s
		}
	}
	return ""
}

type pyprojectDoc struct {
	Project struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		Dynamic              []string            `toml:"dynamic"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Name            string                    `toml:"name"`
			Dependencies    map[string]any            `toml:"dependencies"`
			DevDependencies map[string]any            `toml:"dev-dependencies"`
			Group           map[string]poetryGroupDef `toml:"group"`
			Source          []pyprojectIndex          `toml:"source"`
		} `toml:"poetry"`
		PDM struct {
			DevDependencies map[string][]string `toml:"dev-dependencies"`
			Source          []pyprojectIndex    `toml:"source"`
		} `toml:"pdm"`
		UV struct {
			DevDependencies []string         `toml:"dev-dependencies"`
			Index           []pyprojectIndex `toml:"index"`
		} `toml:"uv"`
	} `toml:"tool"`
}

// pyprojectIndex is a package index a tool section configures
// ([[tool.poetry.source]], [[tool.uv.index]], [[tool.pdm.source]]).
type pyprojectIndex struct {
	Name     string `toml:"name"`
	URL      string `toml:"url"`
	Priority string `toml:"priority"` // Poetry: primary, supplemental, explicit
	Default  bool   `toml:"default"`  // uv: replaces PyPI
}

// recordIndexes adds tool-configured indexes to the inventory's index
// options: a default / primary index replaces PyPI, the others are extra.
// It returns the URL of each index by name.
func recordIndexes(file string, lf lineFinder, inv *Inventory, section string, idx []pyprojectIndex) map[string]string {
	byName := map[string]string{}
	for _, ix := range idx {
		if ix.URL == "" {
			continue
		}
		byName[ix.Name] = RedactURL(ix.URL)
		if ix.Default || ix.Priority == "primary" || ix.Priority == "default" {
			inv.Index.IndexURL = RedactURL(ix.URL)
		} else {
			inv.Index.ExtraIndexURLs = append(inv.Index.ExtraIndexURLs, RedactURL(ix.URL))
		}
		inv.Index.Locations = append(inv.Index.Locations, Location{File: file, Line: lf.findString(section, ix.URL)})
	}
	return byName
}

type poetryGroupDef struct {
	Dependencies map[string]any `toml:"dependencies"`
}

// ParsePyproject reads the dependencies a pyproject.toml declares: PEP 621
// [project] dependencies and optional-dependencies (groups named after the
// extra), PEP 735 [dependency-groups] with include-group, Poetry's
// dependencies, dev-dependencies and groups (constraints translated to PEP 440
// specifiers), and PDM / uv dev-dependencies. Every declaration is direct.
func ParsePyproject(file string, data []byte, opts Options) (*Inventory, error) {
	var doc pyprojectDoc
	if err := decodeTOML(file, data, &doc); err != nil {
		return nil, err
	}
	lf := newLineFinder(data)
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "pyproject.toml"}}}
	self := ""
	if doc.Project.Name != "" {
		self = canonicalName(doc.Project.Name)
	}
	add := func(section, group, s string) error {
		line := lf.findString(section, s)
		p, err := parseRequirementString(file, line, s)
		if err != nil {
			return err
		}
		if self != "" && p.Name == self {
			return nil // "project[extra]" in an extra or group: the project itself
		}
		p.Direct = true
		if group != "" {
			p.Groups = []string{group}
		}
		if p.Source.Kind == SourcePath && p.Source.Path != "" {
			p.Source.Path = relDir(file, p.Source.Path)
		}
		inv.Packages = append(inv.Packages, p)
		return nil
	}
	for _, d := range doc.Project.Dynamic {
		if d == "dependencies" || d == "optional-dependencies" {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: [project] %s are dynamic (computed by the build backend); they are not in the inventory", file, d))
		}
	}
	for _, s := range doc.Project.Dependencies {
		if err := add("[project]", "", s); err != nil {
			return nil, err
		}
	}
	for _, g := range sortedKeys(doc.Project.OptionalDependencies) {
		for _, s := range doc.Project.OptionalDependencies[g] {
			if err := add("[project.optional-dependencies]", g, s); err != nil {
				return nil, err
			}
		}
	}
	groups := newGroupExpander(file, lf, doc.DependencyGroups)
	for _, g := range sortedKeys(doc.DependencyGroups) {
		reqs, err := groups.expand(g, "")
		if err != nil {
			return nil, err
		}
		for _, s := range reqs {
			if err := add("[dependency-groups]", g, s); err != nil {
				return nil, err
			}
		}
	}
	for _, g := range sortedKeys(doc.Tool.PDM.DevDependencies) {
		for _, s := range doc.Tool.PDM.DevDependencies[g] {
			if err := add("[tool.pdm.dev-dependencies]", g, s); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range doc.Tool.UV.DevDependencies {
		if err := add("[tool.uv]", "dev", s); err != nil {
			return nil, err
		}
	}
	recordIndexes(file, lf, inv, "[[tool.uv.index]]", doc.Tool.UV.Index)
	recordIndexes(file, lf, inv, "[[tool.pdm.source]]", doc.Tool.PDM.Source)
	poetry := doc.Tool.Poetry
	poetrySources := recordIndexes(file, lf, inv, "[[tool.poetry.source]]", poetry.Source)
	sections := []struct {
		header, group string
		deps          map[string]any
	}{
		{"[tool.poetry.dependencies]", "", poetry.Dependencies},
		{"[tool.poetry.dev-dependencies]", "dev", poetry.DevDependencies},
	}
	for _, g := range sortedKeys(poetry.Group) {
		sections = append(sections, struct {
			header, group string
			deps          map[string]any
		}{"[tool.poetry.group." + g + ".dependencies]", g, poetry.Group[g].Dependencies})
	}
	for _, sec := range sections {
		for _, name := range sortedKeys(sec.deps) {
			if strings.EqualFold(name, "python") {
				continue
			}
			line := lf.findKey(sec.header, name)
			pkgs, warns, err := poetryDependency(file, line, name, sec.deps[name], poetrySources)
			if err != nil {
				return nil, err
			}
			inv.Warnings = append(inv.Warnings, warns...)
			for _, p := range pkgs {
				p.Direct = true
				if sec.group != "" {
					p.Groups = []string{sec.group}
				}
				if p.Source.Kind == SourcePath {
					p.Source.Path = relDir(file, p.Source.Path)
				}
				inv.Packages = append(inv.Packages, p)
			}
		}
	}
	markProjectPaths(file, inv.Packages, false)
	return finish(inv, opts), nil
}

// maxGroupExpansion caps the requirements all dependency groups hold once
// their include-group entries are expanded: far above any real project, far
// below what groups including each other many times could ask for.
const maxGroupExpansion = 1 << 20

// groupExpander resolves PEP 735 dependency groups. Each group is expanded
// once, into a list without duplicates, however often it is included; an
// include cycle is an error naming its line.
type groupExpander struct {
	file     string
	lf       lineFinder
	groups   map[string][]any
	byNorm   map[string]string   // normalized group name -> name as written
	done     map[string][]string // expanded groups
	visiting map[string]bool     // groups being expanded (the include stack)
	stack    []string
	total    int
}

func newGroupExpander(file string, lf lineFinder, groups map[string][]any) *groupExpander {
	e := &groupExpander{file: file, lf: lf, groups: groups, byNorm: map[string]string{}, done: map[string][]string{}, visiting: map[string]bool{}}
	for _, k := range sortedKeys(groups) {
		if _, ok := e.byNorm[canonicalName(k)]; !ok {
			e.byNorm[canonicalName(k)] = k
		}
	}
	return e
}

// line is the line that declares group name, else the section's header.
func (e *groupExpander) line(name string) int {
	if l := e.lf.findKey("[dependency-groups]", name); l > 0 {
		return l
	}
	return e.lf.sectionLine("[dependency-groups]")
}

// expand returns the requirements of group name; from is the group whose
// include-group entry asks for it ("" for a top-level group).
func (e *groupExpander) expand(name, from string) ([]string, error) {
	key := name
	if _, ok := e.groups[key]; !ok {
		// Group names compare normalized.
		if key, ok = e.byNorm[canonicalName(name)]; !ok {
			return nil, errf(e.file, e.lf.findString("[dependency-groups]", name), "dependency group %s: include-group %s: no such dependency group", clipName(from), safeio.Excerpt(name))
		}
	}
	if out, ok := e.done[key]; ok {
		return out, nil
	}
	if e.visiting[key] {
		cycle := append(append([]string(nil), e.stack[slices.Index(e.stack, key):]...), key)
		return nil, errf(e.file, e.line(from), "dependency group include cycle %s", safeio.Excerpt(strings.Join(cycle, " -> ")))
	}
	e.visiting[key] = true
	e.stack = append(e.stack, key)
	defer func() {
		delete(e.visiting, key)
		e.stack = e.stack[:len(e.stack)-1]
	}()
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, entry := range e.groups[key] {
		switch v := entry.(type) {
		case string:
			add(v)
		case map[string]any:
			inc, _ := v["include-group"].(string)
			if inc == "" {
				return nil, errf(e.file, e.line(key), "dependency group %s: table without include-group", clipName(key))
			}
			sub, err := e.expand(inc, key)
			if err != nil {
				return nil, err
			}
			for _, s := range sub {
				add(s)
			}
		default:
			return nil, errf(e.file, e.line(key), "dependency group %s: unexpected entry %s", clipName(key), safeio.Excerpt(fmt.Sprint(entry)))
		}
	}
	if e.total += len(out); e.total > maxGroupExpansion {
		return nil, errf(e.file, e.line(key), "dependency groups expand to more than %d requirements", maxGroupExpansion)
	}
	e.done[key] = out
	return out, nil
}

// poetryDependency converts one Poetry dependency (string, table or list of
// tables) into packages.
func poetryDependency(file string, line int, name string, v any, sources map[string]string) ([]*Package, []string, error) {
	var warns []string
	one := func(spec map[string]any) (*Package, error) {
		p := newPackage(name)
		p.Locations = []Location{{File: file, Line: line}}
		str := func(k string) string { s, _ := spec[k].(string); return s }
		switch {
		case str("git") != "":
			ref := str("rev")
			for _, k := range []string{"tag", "branch"} {
				if str(k) != "" {
					ref = str(k)
				}
			}
			p.Source = Source{Kind: SourceVCS, VCS: "git", URL: str("git"), Ref: ref}
			if isCommit(ref) {
				p.Source.Commit = ref
			}
		case str("path") != "":
			dev, _ := spec["develop"].(bool)
			p.Source = Source{Kind: SourcePath, Path: str("path"), Editable: dev}
		case str("url") != "":
			p.Source = Source{Kind: SourceURL, URL: str("url")}
			if _, ver, ok := DistFilename(str("url")); ok {
				p.Version = ver
			}
		case str("source") != "":
			p.Index = sources[str("source")]
			p.Source.URL = p.Index
		}
		if c := str("version"); c != "" {
			spec, err := PoetryConstraint(c)
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s:%d: %s: %s", file, line, clipName(name), boundedError(err)))
			}
			setSpecifier(p, spec)
		}
		if ex, ok := spec["extras"].([]any); ok {
			for _, e := range ex {
				if s, ok := e.(string); ok {
					p.Extras = append(p.Extras, s)
				}
			}
		}
		var markers []string
		if m := str("markers"); m != "" {
			markers = append(markers, m)
		}
		if py := str("python"); py != "" {
			if spec, err := PoetryConstraint(py); err == nil && spec != "" {
				for _, part := range strings.Split(spec, ",") {
					op, ver := splitOperator(part)
					markers = append(markers, fmt.Sprintf("python_version %s %q", op, ver))
				}
			}
		}
		if pl := str("platform"); pl != "" {
			markers = append(markers, fmt.Sprintf("sys_platform == %q", pl))
		}
		if len(markers) == 1 {
			p.Marker = markers[0]
		} else if len(markers) > 1 {
			p.Marker = "(" + strings.Join(markers, ") and (") + ")"
		}
		return p, nil
	}
	var out []*Package
	switch t := v.(type) {
	case string:
		p, err := one(map[string]any{"version": t})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p)
	case map[string]any:
		p, err := one(t)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p)
	case []any:
		for _, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, nil, errf(file, line, "dependency %s: expected a table in the list, got %s", clipName(name), safeio.Excerpt(fmt.Sprint(e)))
			}
			p, err := one(m)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, p)
		}
	default:
		return nil, nil, errf(file, line, "dependency %s: unexpected value %s", clipName(name), safeio.Excerpt(fmt.Sprint(v)))
	}
	return out, warns, nil
}

// setSpecifier records spec as an exact version when it is one `==X`.
func setSpecifier(p *Package, spec string) {
	if v, ok := strings.CutPrefix(spec, "=="); ok && !strings.ContainsAny(v, ",*") {
		p.Version = v
		return
	}
	if v, ok := strings.CutPrefix(spec, "==="); ok {
		p.Version = v
		return
	}
	p.Specifier = spec
}

var poetryOpRE = regexp.MustCompile(`^(\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*(.*)$`)

func splitOperator(s string) (string, string) {
	m := poetryOpRE.FindStringSubmatch(strings.TrimSpace(s))
	return m[1], strings.TrimSpace(m[2])
}

// PoetryConstraint translates a Poetry version constraint (caret, tilde,
// wildcard, bare version, comma- or space-separated ranges) into PEP 440
// specifier text. "*" and "" give "". Unions ("||") cannot be expressed in
// PEP 440: the result is "" with an error saying so.
func PoetryConstraint(c string) (string, error) {
	c = strings.TrimSpace(c)
	if c == "" || c == "*" {
		return "", nil
	}
	if strings.Contains(c, "|") {
		return "", fmt.Errorf("constraint %s is a union, which PEP 440 cannot express; treated as any version", safeio.Excerpt(c))
	}
	// Split on commas, and on spaces between complete constraints.
	var parts []string
	for _, chunk := range strings.Split(c, ",") {
		fields := strings.Fields(chunk)
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if op, ver := splitOperator(f); ver == "" && op != "" && i+1 < len(fields) {
				f += fields[i+1]
				i++
			}
			parts = append(parts, f)
		}
	}
	var out []string
	for _, part := range parts {
		op, ver := splitOperator(part)
		if ver == "" {
			return "", fmt.Errorf("constraint %s: operator without a version", safeio.Excerpt(c))
		}
		if strings.Trim(ver, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.*+!_-") != "" {
			return "", fmt.Errorf("constraint %s: %s is not a version", safeio.Excerpt(c), safeio.Excerpt(ver))
		}
		switch op {
		case "^":
			out = append(out, ">="+ver, "<"+caretUpper(ver))
		case "~":
			out = append(out, ">="+ver, "<"+tildeUpper(ver))
		case "", "=":
			if ver == "*" {
				continue
			}
			out = append(out, "=="+ver)
		default:
			out = append(out, op+ver)
		}
	}
	return strings.Join(out, ","), nil
}

// releaseNumbers returns the numeric release segment of a version string.
func releaseNumbers(v string) []int {
	v = strings.TrimPrefix(strings.ToLower(v), "v")
	if i := strings.IndexByte(v, '!'); i >= 0 {
		v = v[i+1:]
	}
	var nums []int
	for _, part := range strings.Split(v, ".") {
		j := 0
		for j < len(part) && part[j] >= '0' && part[j] <= '9' {
			j++
		}
		if j == 0 || part == "*" {
			break
		}
		n, _ := strconv.Atoi(part[:j])
		nums = append(nums, n)
		if j < len(part) {
			break
		}
	}
	if len(nums) == 0 {
		nums = []int{0}
	}
	return nums
}

func joinRelease(nums []int) string {
	s := make([]string, len(nums))
	for i, n := range nums {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// caretUpper is Poetry's ^ upper bound: bump the first non-zero release
// component, keeping the epoch and the number of components (^1!2.3 gives
// 1!3.0, ^0.2.3 gives 0.3.0).
func caretUpper(v string) string {
	return poetryUpper(v, func(rel []string) int {
		i := 0
		for i < len(rel)-1 && strings.Trim(rel[i], "0") == "" {
			i++
		}
		return i
	})
}

// tildeUpper is Poetry's ~ upper bound: ~1.2.3 -> 1.3.0, ~1.2 -> 1.3, ~1 -> 2
// (the epoch kept).
func tildeUpper(v string) string {
	return poetryUpper(v, func(rel []string) int {
		if len(rel) == 1 {
			return 0
		}
		return 1
	})
}

// poetryUpper bumps the release component of v that bump chooses. A
// version pep440 cannot parse (Poetry accepts a few) is bumped from its
// leading numbers.
func poetryUpper(v string, bump func(rel []string) int) string {
	if pv, err := pep440.Parse(v); err == nil {
		return pv.BumpRelease(bump(pv.ReleaseStrings())).String()
	}
	nums := releaseNumbers(v)
	rel := make([]string, len(nums))
	for k, n := range nums {
		rel[k] = strconv.Itoa(n)
	}
	i := bump(rel)
	up := append([]int(nil), nums[:i+1]...)
	up[i]++
	for len(up) < len(nums) {
		up = append(up, 0)
	}
	return joinRelease(up)
}
