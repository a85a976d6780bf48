package remedy

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// pythonRange is the set of Python versions a project supports, as the
// intersection of what each of its files declares (requires-python in
// pyproject.toml and uv.lock, Poetry's python constraint, pdm.lock targets,
// Pipfile's python_version). Each clause is a union of specifier sets.
type pythonRange struct {
	clauses [][]pep440.SpecifierSet
	origins []string // "pyproject.toml: requires-python >=3.9"
	extra   []string // versions named in the specifiers, added to the grid
}

// declared reports whether any file constrains the Python version.
func (r *pythonRange) declared() bool { return r != nil && len(r.clauses) > 0 }

// String names the declarations, for messages.
func (r *pythonRange) String() string { return strings.Join(r.origins, ", ") }

// contains reports whether Python version v satisfies every clause.
func (r *pythonRange) contains(v pep440.Version) bool {
	for _, alts := range r.clauses {
		ok := false
		for _, s := range alts {
			if s.Contains(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// add records one file's declaration: specs are alternatives (a union).
func (r *pythonRange) add(origin string, specs ...string) {
	var alts []pep440.SpecifierSet
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" || s == "*" {
			return // any Python: no constraint from this file
		}
		set, err := pep440.ParseSpecifierSet(s)
		if err != nil {
			return // not PEP 440: the inventory reports bad input; no constraint here
		}
		alts = append(alts, set)
		for _, sp := range set.Specifiers() {
			v := strings.TrimSuffix(sp.Version(), ".*")
			if _, err := pep440.Parse(v); err == nil {
				r.extra = append(r.extra, v)
			}
		}
	}
	if len(alts) == 0 {
		return
	}
	r.clauses = append(r.clauses, alts)
	r.origins = append(r.origins, origin)
}

// maxPythonMinor bounds the grid of Python versions markers and ranges are
// evaluated on.
const maxPythonMinor = 40

// pythonGrid lists the Python versions considered, oldest first: 2.0-2.7,
// 3.0-3.40 and every version a declaration names.
func (r *pythonRange) grid() []pep440.Version {
	var out []pep440.Version
	seen := map[string]bool{}
	add := func(s string) {
		v, err := pep440.Parse(s)
		if err != nil || v.IsPrerelease() || seen[v.String()] {
			return
		}
		rel := v.Release()
		if len(rel) == 0 || rel[0] < 2 || rel[0] > 3 {
			return
		}
		seen[v.String()] = true
		out = append(out, v)
	}
	for i := 0; i <= 7; i++ {
		add(fmt.Sprintf("2.%d", i))
	}
	for i := 0; i <= maxPythonMinor; i++ {
		add(fmt.Sprintf("3.%d", i))
	}
	if r != nil {
		for _, s := range r.extra {
			add(s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

// platforms are the environments markers are evaluated in besides Python.
var platforms = []string{"linux", "darwin", "win32"}

// environment is where one declaration applies: the (Python, platform)
// points of the grid its marker and the project's Python range allow.
type environment struct {
	points []bool // len(grid) * len(platforms)
	lowest *pep440.Version
}

// overlaps reports whether two declarations can apply at once.
func (e environment) overlaps(o environment) bool {
	for i := range e.points {
		if e.points[i] && i < len(o.points) && o.points[i] {
			return true
		}
	}
	return false
}

// environmentOf evaluates marker on the grid, within the project's Python
// range. A marker that no point satisfies (an extra, a platform outside the
// grid) or that does not parse is treated as "everywhere", so it never
// hides a constraint. lowest is the oldest Python of the environment when
// the project or the marker bounds it from below, else nil.
func environmentOf(marker string, py *pythonRange, grid []pep440.Version) environment {
	var m *pep508.Marker
	if strings.TrimSpace(marker) != "" {
		if pm, err := pep508.ParseMarker(marker); err == nil {
			m = pm
		}
	}
	eval := func(useMarker bool) environment {
		env := environment{points: make([]bool, len(grid)*len(platforms))}
		for i, v := range grid {
			if py.declared() && !py.contains(v) {
				continue
			}
			for j, plat := range platforms {
				if useMarker && m != nil && !m.Evaluate(pep508.DefaultEnv(v.String(), plat)) {
					continue
				}
				env.points[i*len(platforms)+j] = true
				if env.lowest == nil {
					lv := grid[i]
					env.lowest = &lv
				}
			}
		}
		return env
	}
	env := eval(true)
	if env.lowest == nil {
		env = eval(false)
	}
	if env.lowest == nil {
		// The project's own range admits no grid version: no constraint.
		env = environment{points: make([]bool, len(grid)*len(platforms))}
		for i := range env.points {
			env.points[i] = true
		}
	}
	if env.lowest != nil && len(grid) > 0 && env.lowest.Compare(grid[0]) == 0 {
		env.lowest = nil // not bounded from below
	}
	return env
}

// maxManifestSize bounds the project files read for requires-python.
const maxManifestSize = safeio.MaxTextFile

// projectPython reads the Python versions the project supports from the
// inventory's sources (and pyproject.toml in dir, when given and not one of
// them).
func projectPython(inv *inventory.Inventory, dir string) *pythonRange {
	r := &pythonRange{}
	seen := map[string]bool{}
	var files []inventory.SourceFile
	for _, s := range inv.Sources {
		if strings.Contains(s.Path, "://") || seen[s.Path] {
			continue
		}
		seen[s.Path] = true
		files = append(files, s)
	}
	if dir != "" {
		p := filepath.Join(dir, "pyproject.toml")
		abs, _ := filepath.Abs(p)
		dup := false
		for _, f := range files {
			if a, _ := filepath.Abs(f.Path); a == abs {
				dup = true
			}
		}
		if _, err := os.Stat(p); err == nil && !dup {
			files = append(files, inventory.SourceFile{Path: p, Format: "pyproject.toml"})
		}
	}
	for _, f := range files {
		ff := inventory.SourceFormat(f)
		if ff == nil || ff.Python == nil {
			continue
		}
		data, err := safeio.ReadFile(f.Path, maxManifestSize)
		if err != nil {
			continue
		}
		base := filepath.Base(f.Path)
		for _, b := range ff.Python(data) {
			r.add(base+": "+b.What, b.Specs...)
		}
	}
	return r
}

// supportsPython reports whether a release whose files declare these
// requires-python values can be installed on Python v: some file without
// a declaration, or whose declaration admits v. Declarations that are not
// PEP 440 are ignored, as pip ignores them.
func supportsPython(requires []string, v pep440.Version) bool {
	if len(requires) == 0 {
		return true
	}
	for _, s := range requires {
		if strings.TrimSpace(s) == "" {
			return true
		}
		set, err := pep440.ParseSpecifierSet(s)
		if err != nil || set.ContainsPrereleases(v, true) {
			return true
		}
	}
	return false
}
