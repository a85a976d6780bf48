package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// FileName is the name of pyvet's own policy file.
const FileName = "pyvet.toml"

// maxPolicySize bounds the policy files pyvet reads.
const maxPolicySize = 4 << 20

// Load reads the policy of the project in dir: defaults, then [tool.pyvet] in
// pyproject.toml, then pyvet.toml (each overriding the one before, key by key;
// ignores from both apply). A missing file is not an error; a bad one is, and the
// error names the file and line.
func Load(dir string) (*Policy, error) {
	p := Default()
	pyproject := filepath.Join(dir, "pyproject.toml")
	if data, err := readFile(pyproject); err == nil {
		if err := p.merge(data, pyproject, []string{"tool", "pyvet"}); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	own := filepath.Join(dir, FileName)
	if data, err := readFile(own); err == nil {
		if err := p.merge(data, own, nil); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return p, nil
}

// LoadFile reads one policy file over the defaults: the [tool.pyvet] table when
// the file is named pyproject.toml, else the whole file in pyvet.toml's format.
func LoadFile(path string) (*Policy, error) {
	p := Default()
	if err := p.MergeFile(path); err != nil {
		return nil, err
	}
	return p, nil
}

// MergeFile applies one policy file over p (see LoadFile), key by key.
func (p *Policy) MergeFile(path string) error {
	data, err := readFile(path)
	if err != nil {
		return err
	}
	var prefix []string
	if filepath.Base(path) == "pyproject.toml" {
		prefix = []string{"tool", "pyvet"}
	}
	return p.merge(data, path, prefix)
}

// readFile reads a policy file: a regular file (symlinks followed) of at most
// maxPolicySize bytes. The error names the path.
func readFile(path string) ([]byte, error) {
	data, err := safeio.ReadFile(path, maxPolicySize)
	if err == nil {
		return data, nil
	}
	var pe *fs.PathError
	var nr *safeio.NotRegularError
	var tl *safeio.TooLargeError
	switch {
	case errors.As(err, &nr) && nr.Mode.IsDir():
		return nil, fmt.Errorf("%s: is a directory, not a policy file", path)
	case errors.As(err, &nr), errors.As(err, &tl):
		return nil, err
	case errors.As(err, &pe):
		return nil, fmt.Errorf("%s: %w", path, pe.Err)
	}
	return nil, fmt.Errorf("%s: %w", path, err)
}

// Parse reads a policy in pyvet.toml's format over the defaults; name is used
// in error messages and origins.
func Parse(data []byte, name string) (*Policy, error) {
	p := Default()
	if err := p.merge(data, name, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// doc is one policy document being applied: its values and where each key is.
type doc struct {
	file  string
	lines map[string]int
}

const keySep = "\x1f"

// lineOf returns the line of the longest known prefix of path (0 when unknown).
func (d *doc) lineOf(path []string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := d.lines[strings.Join(path[:n], keySep)]; ok {
			return l
		}
	}
	return 0
}

// origin returns "file:line" for path.
func (d *doc) origin(path []string) string {
	if l := d.lineOf(path); l > 0 {
		return fmt.Sprintf("%s:%d", d.file, l)
	}
	return d.file
}

// errorf returns an error located at path.
func (d *doc) errorf(path []string, format string, args ...any) error {
	return fmt.Errorf("%s: %s", d.origin(path), fmt.Sprintf(format, args...))
}

// merge applies the policy document data (the table at prefix) over p.
func (p *Policy) merge(data []byte, file string, prefix []string) error {
	var root map[string]any
	if err := toml.Unmarshal(data, &root); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("%s:%d:%d: %s", file, row, col, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return fmt.Errorf("%s: %v", file, err)
	}
	d := &doc{file: file, lines: indexLines(data)}
	table := root
	for i, k := range prefix {
		v, ok := table[k]
		if !ok {
			return nil
		}
		if i == len(prefix)-1 {
			p.Files = append(p.Files, file)
		}
		t, ok := v.(map[string]any)
		if !ok {
			return d.errorf(prefix[:i+1], "%s must be a table", strings.Join(prefix[:i+1], "."))
		}
		table = t
	}
	if len(prefix) == 0 {
		p.Files = append(p.Files, file)
	}
	return p.apply(d, table, prefix)
}

// apply sets every key of the policy table t (at path base in the document).
func (p *Policy) apply(d *doc, t map[string]any, base []string) error {
	at := func(k ...string) []string { return append(append([]string{}, base...), k...) }
	for _, k := range sortedKeys(t) {
		v := t[k]
		switch normKey(k) {
		case "fail-on":
			s, ok := v.(string)
			if !ok {
				return d.errorf(at(k), "fail-on must be a severity name string, not %s", typeName(v))
			}
			sev, err := finding.ParseSeverity(s)
			if err != nil {
				return d.errorf(at(k), "fail-on: %v", err)
			}
			p.SetFailOn(sev, d.origin(at(k)))
		case "checks":
			if err := p.applyChecks(d, v, at(k)); err != nil {
				return err
			}
		case "severity":
			m, ok := v.(map[string]any)
			if !ok {
				return d.errorf(at(k), "severity must be a table of rule or risk = severity")
			}
			for _, rk := range sortedKeys(m) {
				if !Known(rk) {
					return d.errorf(at(k, rk), "severity.%s: %s", rk, unknownName("check or rule", rk))
				}
				s, ok := m[rk].(string)
				if !ok {
					return d.errorf(at(k, rk), "severity.%s must be a severity name string, not %s", rk, typeName(m[rk]))
				}
				sev, err := finding.ParseSeverity(s)
				if err != nil {
					return d.errorf(at(k, rk), "severity.%s: %v", rk, err)
				}
				if p.Severity == nil {
					p.Severity = map[string]finding.Severity{}
				}
				p.Severity[normKey(rk)] = sev
				p.setOrigin("severity."+normKey(rk), d.origin(at(k, rk)))
			}
		case "licenses":
			err := p.applyLists(d, v, at(k), "licenses", map[string]*[]string{
				"allow": &p.Licenses.Allow,
				"deny":  &p.Licenses.Deny,
			})
			if err != nil {
				return err
			}
		case "indexes":
			err := p.applyLists(d, v, at(k), "indexes", map[string]*[]string{
				"allowed": &p.Indexes.Allowed,
			})
			if err != nil {
				return err
			}
		case "verify":
			err := p.applyLists(d, v, at(k), "verify", map[string]*[]string{
				"require-signatures":   &p.Verify.RequireSignatures,
				"require-attestations": &p.Verify.RequireAttestations,
			})
			if err != nil {
				return err
			}
		case "ignore":
			list, ok := v.([]any)
			if !ok {
				return d.errorf(at(k), "ignore must be an array of tables ([[ignore]])")
			}
			for i, e := range list {
				ig, err := parseIgnore(d, e, at(k, strconv.Itoa(i)))
				if err != nil {
					return err
				}
				p.Ignores = append(p.Ignores, ig)
			}
		default:
			return d.errorf(at(k), "unknown policy key %q (known: fail-on, checks, severity, licenses, indexes, verify, ignore)", k)
		}
	}
	return nil
}

// applyChecks sets [checks]: every name must be a declared check or rule id,
// every key a setting that check declares, every value of the declared kind.
func (p *Policy) applyChecks(d *doc, v any, path []string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return d.errorf(path, "checks must be a table of [checks.NAME] tables")
	}
	if p.Checks == nil {
		p.Checks = map[string]CheckConfig{}
	}
	for _, raw := range sortedKeys(m) {
		cp := append(append([]string{}, path...), raw)
		name := normKey(raw)
		if !Known(name) {
			return d.errorf(cp, "checks.%s: %s", raw, unknownName("check or rule", raw))
		}
		spec, isCheck := LookupSpec(name)
		switch t := m[raw].(type) {
		case bool: // checks.NAME = false
			p.SetCheck(name, t, d.origin(cp))
		case map[string]any:
			c := p.Check(name)
			settings := map[string]any{}
			for k, v := range c.Settings {
				settings[k] = v
			}
			for _, rk := range sortedKeys(t) {
				kp := append(append([]string{}, cp...), rk)
				k := normKey(rk)
				if k == "enabled" {
					b, ok := t[rk].(bool)
					if !ok {
						return d.errorf(kp, "checks.%s.enabled must be true or false, not %s", raw, typeName(t[rk]))
					}
					c.Enabled = b
					p.setOrigin("checks."+name+".enabled", d.origin(kp))
					continue
				}
				key, ok := spec.Key(k)
				if !ok || !isCheck {
					return d.errorf(kp, "checks.%s.%s: %s", raw, rk, unknownKey(name, k, spec, isCheck))
				}
				val, err := coerce(key.Kind, t[rk])
				if err == nil && key.Validate != nil {
					err = key.Validate(val)
				}
				if err != nil {
					return d.errorf(kp, "checks.%s.%s: %v", raw, rk, err)
				}
				settings[k] = val
				p.setOrigin("checks."+name+"."+k, d.origin(kp))
			}
			if len(settings) > 0 {
				c.Settings = settings
			}
			p.Checks[name] = c
		default:
			return d.errorf(cp, "checks.%s must be a table or a boolean, not %s", raw, typeName(m[raw]))
		}
	}
	return nil
}

// unknownKey explains why key is not a setting of the check or rule name.
func unknownKey(name, key string, spec Spec, isCheck bool) string {
	if !isCheck {
		owner, _ := owningCheck(name)
		return fmt.Sprintf("unknown key %q: %s is a rule of the %s check and takes only enabled", key, name, owner)
	}
	keys := []string{"enabled"}
	for _, k := range spec.Keys {
		keys = append(keys, k.Name)
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if c := closest(key, keys); c != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", c)
	}
	return msg + "; " + name + " takes " + joinKnown(keys)
}

// applyLists sets string lists of a table such as [licenses].
func (p *Policy) applyLists(d *doc, v any, path []string, table string, fields map[string]*[]string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return d.errorf(path, "%s must be a table", table)
	}
	for _, k := range sortedKeys(m) {
		kp := append(append([]string{}, path...), k)
		dst, ok := fields[normKey(k)]
		if !ok {
			known := make([]string, 0, len(fields))
			for f := range fields {
				known = append(known, f)
			}
			sort.Strings(known)
			return d.errorf(kp, "unknown key %s.%s (known: %s)", table, k, strings.Join(known, ", "))
		}
		list, err := stringList(m[k])
		if err != nil {
			return d.errorf(kp, "%s.%s: %v", table, k, err)
		}
		*dst = list
		p.setOrigin(table+"."+normKey(k), d.origin(kp))
	}
	return nil
}

func parseIgnore(d *doc, v any, path []string) (Ignore, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Ignore{}, d.errorf(path, "each ignore must be a table with id and reason")
	}
	ig := Ignore{Origin: d.origin(path)}
	for _, k := range sortedKeys(m) {
		kp := append(append([]string{}, path...), k)
		val := m[k]
		switch normKey(k) {
		case "id", "package", "reason":
			s, ok := val.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return ig, d.errorf(kp, "ignore %s must be a non-empty string", k)
			}
			switch normKey(k) {
			case "id":
				ig.ID = strings.TrimSpace(s)
			case "package":
				ig.Package = pep508.NormalizeName(strings.TrimSpace(s))
			default:
				ig.Reason = strings.TrimSpace(s)
			}
		case "expires":
			t, dateOnly, err := parseExpiry(val)
			if err != nil {
				return ig, d.errorf(kp, "ignore expires: %v", err)
			}
			ig.Expires, ig.dateOnly = t, dateOnly
		default:
			return ig, d.errorf(kp, "unknown ignore key %q (known: id, package, reason, expires)", k)
		}
	}
	if ig.ID == "" {
		return ig, d.errorf(path, "ignore needs an id (advisory id, alias or rule id)")
	}
	if ig.Reason == "" {
		return ig, d.errorf(path, "ignore for %s needs a reason", ig.ID)
	}
	return ig, nil
}

// parseExpiry accepts a TOML date, date-time, or a string holding either.
func parseExpiry(v any) (time.Time, bool, error) {
	switch t := v.(type) {
	case toml.LocalDate:
		return t.AsTime(time.UTC), true, nil
	case toml.LocalDateTime:
		return t.AsTime(time.UTC), false, nil
	case time.Time:
		return t, false, nil
	case string:
		s := strings.TrimSpace(t)
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return d, true, nil
		}
		if d, err := time.Parse(time.RFC3339, s); err == nil {
			return d, false, nil
		}
		return time.Time{}, false, fmt.Errorf("%q is not a date (YYYY-MM-DD) or RFC 3339 time", t)
	}
	return time.Time{}, false, fmt.Errorf("want a date such as 2026-12-31, not %s", typeName(v))
}

func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, found %s", typeName(e))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings, not %s", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return "a date"
}

func normKey(k string) string { return strings.ReplaceAll(strings.ToLower(k), "_", "-") }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// indexLines maps every key path of a TOML document (joined with keySep, array
// tables numbered) to the line that declares it.
func indexLines(data []byte) map[string]int {
	idx := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{}
	put := func(path []string, line int) {
		k := strings.Join(path, keySep)
		if _, ok := idx[k]; !ok {
			idx[k] = line
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		parts, line := keyOf(&p, e)
		switch e.Kind {
		case unstable.Table:
			table = parts
			put(table, line)
		case unstable.ArrayTable:
			base := strings.Join(parts, keySep)
			n := arrays[base]
			arrays[base] = n + 1
			put(parts, line)
			table = append(parts, strconv.Itoa(n))
			put(table, line)
		case unstable.KeyValue:
			full := append(append([]string{}, table...), parts...)
			for i := len(table) + 1; i <= len(full); i++ {
				put(full[:i], line)
			}
		}
	}
	return idx
}

// keyOf returns the key parts of an expression and the line of its first part.
func keyOf(p *unstable.Parser, e *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	it := e.Key()
	for it.Next() {
		n := it.Node()
		if line == 0 && n.Raw.Length > 0 {
			line = p.Shape(n.Raw).Start.Line
		}
		parts = append(parts, string(n.Data))
	}
	return parts, line
}
