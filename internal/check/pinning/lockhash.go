package pinning

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pyvet/pyvet/internal/inventory"
)

// lockRules reports lockfiles whose recorded content hash does not match
// their project file.
func (c *checker) lockRules() {
	for _, path := range c.sortedFiles() {
		st, err := c.lockStatus(path)
		if err != nil || st == nil || st.fresh {
			continue
		}
		loc := &inventory.Location{File: path, Line: st.line}
		c.add(RuleLockStale, nil, loc,
			fmt.Sprintf("%s is out of date with %s", filepath.Base(path), filepath.Base(st.project)),
			fmt.Sprintf("The lockfile records content hash %s; %s now hashes to %s.", short(st.recorded), filepath.Base(st.project), short(st.computed)),
			map[string]string{"recorded": st.recorded, "computed": st.computed, "project": st.project})
	}
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// lockState is the result of comparing one lockfile with its project file.
type lockState struct {
	project  string // the project file the hash covers
	recorded string // hash the lockfile records
	computed string // hash of the project file (the first candidate)
	line     int    // line of the recorded hash in the lockfile
	fresh    bool
}

// LockFresh reports whether the lockfile at path (poetry.lock, Pipfile.lock or
// pdm.lock) matches the project file next to it. ok is false when the file is
// not such a lockfile, records no content hash, or has no project file.
func LockFresh(path string, readFile func(string) ([]byte, error)) (fresh, ok bool, err error) {
	c := &checker{cfg: Config{ReadFile: readFile}}
	st, err := c.lockStatus(path)
	if err != nil || st == nil {
		return false, false, err
	}
	return st.fresh, true, nil
}

// lockStatus compares a lockfile with its project file; nil when the file is not
// a lockfile with a content hash or the project file is missing.
func (c *checker) lockStatus(path string) (*lockState, error) {
	base := filepath.Base(path)
	var project string
	switch {
	case base == "poetry.lock" || base == "pdm.lock":
		project = filepath.Join(filepath.Dir(path), "pyproject.toml")
	case base == "Pipfile.lock":
		project = filepath.Join(filepath.Dir(path), "Pipfile")
	default:
		return nil, nil
	}
	lockData, err := c.cfg.ReadFile(path)
	if err != nil {
		return nil, err
	}
	projData, err := c.cfg.ReadFile(project)
	if err != nil {
		return nil, nil // no project file: nothing to compare
	}
	return compareLock(base, path, lockData, project, projData)
}

// compareLock compares lockData (a lockfile of the kind named by base:
// "poetry.lock", "pdm.lock" or "Pipfile.lock") with its project file.
func compareLock(base, path string, lockData []byte, project string, projData []byte) (*lockState, error) {
	var proj map[string]any
	if err := toml.Unmarshal(projData, &proj); err != nil {
		return nil, tomlError(project, err)
	}
	st := &lockState{project: project}
	var cands []string
	switch base {
	case "poetry.lock":
		var lock struct {
			Metadata map[string]any `toml:"metadata"`
		}
		if err := toml.Unmarshal(lockData, &lock); err != nil {
			return nil, tomlError(path, err)
		}
		st.recorded, _ = lock.Metadata["content-hash"].(string)
		st.line = lineContaining(lockData, "content-hash")
		cands = poetryHashes(proj)
	case "pdm.lock":
		var lock struct {
			Metadata map[string]any `toml:"metadata"`
		}
		if err := toml.Unmarshal(lockData, &lock); err != nil {
			return nil, tomlError(path, err)
		}
		st.recorded, _ = lock.Metadata["content_hash"].(string)
		st.line = lineContaining(lockData, "content_hash")
		algo, hexHash, found := strings.Cut(st.recorded, ":")
		if !found || algo != "sha256" {
			return nil, nil // only sha256 is computed
		}
		st.recorded = hexHash
		cands = pdmHashes(proj)
	case "Pipfile.lock":
		var lock struct {
			Meta struct {
				Hash map[string]any `json:"hash"`
			} `json:"_meta"`
		}
		if err := json.Unmarshal(lockData, &lock); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		st.recorded, _ = lock.Meta.Hash["sha256"].(string)
		st.line = lineContaining(lockData, `"sha256"`)
		cands = pipfileHashes(proj)
	}
	if st.recorded == "" || len(cands) == 0 {
		return nil, nil
	}
	st.computed = cands[0]
	for _, h := range cands {
		if strings.EqualFold(h, st.recorded) {
			st.fresh = true
			st.computed = h
		}
	}
	return st, nil
}

// tomlError names the file and, for syntax errors, the line and column.
func tomlError(file string, err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("%s:%d:%d: %s", file, row, col, strings.TrimPrefix(de.Error(), "toml: "))
	}
	return fmt.Errorf("%s: %v", file, err)
}

func lineContaining(data []byte, needle string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	return 0
}

func table(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return map[string]any{}
		}
		m = next
	}
	return m
}

func sha256Hex(v any, compact bool) string {
	sum := sha256.Sum256([]byte(pyJSON(v, compact)))
	return hex.EncodeToString(sum[:])
}

// poetryHashes computes poetry's content-hash (Locker._get_content_hash) of a
// pyproject. Poetry 1.1 to 2.x share it for [tool.poetry]-only projects; 2.x
// adds the [project] table.
func poetryHashes(proj map[string]any) []string {
	project := table(proj, "project")
	poetry := table(proj, "tool", "poetry")
	relProject := map[string]any{}
	for _, k := range []string{"requires-python", "dependencies", "optional-dependencies"} {
		if v, ok := project[k]; ok {
			relProject[k] = v
		}
	}
	legacy := map[string]bool{"dependencies": true, "source": true, "extras": true, "dev-dependencies": true}
	relPoetry := map[string]any{}
	for _, k := range []string{"dependencies", "source", "extras", "dev-dependencies", "group"} {
		v, ok := poetry[k]
		if !ok && (!legacy[k] || len(relProject) > 0) {
			continue
		}
		if ok {
			relPoetry[k] = v
		} else {
			relPoetry[k] = nil
		}
	}
	var content any = relPoetry
	if len(relProject) > 0 {
		content = map[string]any{"project": relProject, "tool": map[string]any{"poetry": relPoetry}}
	}
	out := []string{sha256Hex(content, false)}
	if len(relProject) > 0 {
		if groups, ok := proj["dependency-groups"]; ok { // newer poetry hashes PEP 735 groups too
			m := content.(map[string]any)
			m["dependency-groups"] = groups
			out = append(out, sha256Hex(m, false))
		}
	}
	return out
}

// pdmHashes computes pdm's content_hash (PyProject.content_hash) in the
// variants pdm releases have used.
func pdmHashes(proj map[string]any) []string {
	project := table(proj, "project")
	settings := table(proj, "tool", "pdm")
	get := func(m map[string]any, k string, def any) any {
		if v, ok := m[k]; ok {
			return v
		}
		return def
	}
	base := func() map[string]any {
		return map[string]any{
			"sources":               get(settings, "source", []any{}),
			"dependencies":          get(project, "dependencies", []any{}),
			"dev-dependencies":      get(settings, "dev-dependencies", map[string]any{}),
			"optional-dependencies": get(project, "optional-dependencies", map[string]any{}),
			"requires-python":       get(project, "requires-python", ""),
		}
	}
	var out []string
	// pdm 2.12 and later: the whole [tool.pdm.resolution] table.
	d0 := base()
	d0["resolution"] = table(settings, "resolution")
	out = append(out, sha256Hex(d0, false))
	// Earlier pdm 2.x: overrides under [tool.pdm.resolution] (or the older [tool.pdm.overrides]).
	overrides := get(table(settings, "resolution"), "overrides", nil)
	if overrides == nil {
		overrides = get(settings, "overrides", map[string]any{})
	}
	d := base()
	d["overrides"] = overrides
	out = append(out, sha256Hex(d, false))
	// Newer pdm merges PEP 735 [dependency-groups] into dev-dependencies.
	if groups, ok := proj["dependency-groups"].(map[string]any); ok {
		merged := map[string]any{}
		for k, v := range table(settings, "dev-dependencies") {
			merged[k] = v
		}
		for k, v := range groups {
			merged[k] = v
		}
		d2 := base()
		d2["overrides"] = overrides
		d2["dev-dependencies"] = merged
		out = append(out, sha256Hex(d2, false))
	}
	// pdm 1.x: no overrides key.
	out = append(out, sha256Hex(base(), false))
	return out
}

// pipfileHashes computes pipenv's Pipfile hash (plette Pipfile.get_hash).
func pipfileHashes(pf map[string]any) []string {
	sources, ok := pf["source"]
	if !ok {
		sources = []any{map[string]any{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}}
	}
	get := func(k string) any {
		if v, ok := pf[k]; ok {
			return v
		}
		return map[string]any{}
	}
	data := map[string]any{
		"_meta":   map[string]any{"sources": sources, "requires": get("requires")},
		"default": get("packages"),
		"develop": get("dev-packages"),
	}
	out := []string{sha256Hex(data, true)}
	// pipenv 2022+ also hashes custom package categories.
	extra := false
	for k, v := range pf {
		switch k {
		case "source", "packages", "dev-packages", "requires", "scripts", "pipenv", "pipfile", "default", "develop":
			continue
		}
		data[k] = v
		extra = true
	}
	if extra {
		out = append(out, sha256Hex(data, true))
	}
	return out
}

// pyJSON encodes v as Python's json.dumps(v, sort_keys=True) does (with
// separators (",", ":") when compact), ensure_ascii included, so the bytes and
// their hash match what Python tools compute.
func pyJSON(v any, compact bool) string {
	var b strings.Builder
	writePyJSON(&b, v, compact)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any, compact bool) {
	itemSep, keySep := ", ", ": "
	if compact {
		itemSep, keySep = ",", ":"
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writePyString(b, t)
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		b.WriteString(pyFloat(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyJSON(b, e, compact)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // UTF-8 byte order is code point order, as Python sorts
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyString(b, k)
			b.WriteString(keySep)
			writePyJSON(b, t[k], compact)
		}
		b.WriteByte('}')
	case time.Time:
		writePyString(b, t.Format(time.RFC3339Nano))
	default:
		writePyString(b, fmt.Sprint(t))
	}
}

func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r < 0x10000):
				fmt.Fprintf(b, `\u%04x`, r)
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloat formats a float as Python's repr does.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
	}
	if exp < -4 || exp >= 16 {
		s = strconv.FormatFloat(f, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		n, _ := strconv.Atoi(e)
		sign := "+"
		if n < 0 {
			sign, n = "-", -n
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, n)
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
