package policy

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is the type of a check setting.
type Kind int

// Setting kinds and the Go type of their values (in CheckConfig.Settings and
// in Key.Default).
const (
	KindBool     Kind = iota + 1 // bool
	KindInt                      // int
	KindFloat                    // float64 (a TOML integer is accepted)
	KindString                   // string
	KindStrings                  // []string (a single string is accepted)
	KindDuration                 // time.Duration, written "90d", "2w", "36h" or as a Go duration
)

// String names the kind as the policy documentation does.
func (k Kind) String() string {
	switch k {
	case KindBool:
		return "a boolean"
	case KindInt:
		return "an integer"
	case KindFloat:
		return "a number"
	case KindString:
		return "a string"
	case KindStrings:
		return "a list of strings"
	case KindDuration:
		return `a duration such as "90d", "2w" or "36h"`
	}
	return "a value"
}

// Key declares one setting of a check: [checks.NAME] KEY = value.
type Key struct {
	Name    string // as written in the file, lower case with dashes
	Kind    Kind
	Default any    // the value when unset, of the kind's Go type (nil: none)
	Doc     string // one line for `pyvet policy show --keys` and the docs
	// Validate, when set, checks a value of the right kind (a range, a rule
	// id); its error is reported at the key's line.
	Validate func(v any) error
}

// Spec declares a check the policy can configure: its name, the rule ids of
// the findings it reports (each can be named on its own to turn that rule
// off or to override its severity) and its settings. Each check declares its
// Spec beside its code (its policy.go) and registers it from init.
type Spec struct {
	Name  string
	Doc   string
	Rules []string
	Keys  []Key
}

// Key returns the declared setting name.
func (s *Spec) Key(name string) (Key, bool) {
	for _, k := range s.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

var registry struct {
	sync.RWMutex
	specs map[string]*Spec // by check name
	owner map[string]string
}

// Register declares a check. A second Spec of the same name adds its rules
// and keys to the first (a risk declared by the policy package gains the
// settings of the check that reports it). A rule or key declared twice, or a
// default of the wrong type, is a programming error and panics.
func Register(s Spec) {
	registry.Lock()
	defer registry.Unlock()
	if registry.specs == nil {
		registry.specs = map[string]*Spec{}
		registry.owner = map[string]string{}
	}
	name := normKey(s.Name)
	if name == "" {
		panic("policy.Register: empty check name")
	}
	cur := registry.specs[name]
	if cur == nil {
		cur = &Spec{Name: name}
	}
	// Check everything before changing anything.
	keys := make([]Key, 0, len(s.Keys))
	for _, r := range s.Rules {
		if o, dup := registry.owner[normKey(r)]; dup && o != name {
			panic(fmt.Sprintf("policy.Register: rule %s of %s is already declared by %s", normKey(r), name, o))
		}
	}
	for _, k := range s.Keys {
		k.Name = normKey(k.Name)
		if k.Name == "enabled" {
			panic("policy.Register: " + name + ".enabled is implicit")
		}
		if _, dup := cur.Key(k.Name); dup || containsKey(keys, k.Name) {
			panic("policy.Register: key " + name + "." + k.Name + " declared twice")
		}
		if k.Default != nil {
			v, err := coerce(k.Kind, k.Default)
			if err != nil {
				panic(fmt.Sprintf("policy.Register: default of %s.%s: %v", name, k.Name, err))
			}
			k.Default = v
		}
		keys = append(keys, k)
	}
	registry.specs[name] = cur
	if s.Doc != "" {
		cur.Doc = s.Doc
	}
	for _, r := range s.Rules {
		r = normKey(r)
		registry.owner[r] = name
		if !contains(cur.Rules, r) {
			cur.Rules = append(cur.Rules, r)
		}
	}
	cur.Keys = append(cur.Keys, keys...)
}

// Specs returns every declared check, sorted by name.
func Specs() []Spec {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Spec, 0, len(registry.specs))
	for _, s := range registry.specs {
		c := *s
		c.Rules = append([]string(nil), s.Rules...)
		c.Keys = append([]Key(nil), s.Keys...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupSpec returns the declared check of that name.
func LookupSpec(name string) (Spec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.specs[normKey(name)]
	if !ok {
		return Spec{}, false
	}
	return *s, true
}

// owningCheck returns the check a name belongs to: the check itself, or the
// check that declares it as a rule.
func owningCheck(name string) (string, bool) {
	n := normKey(name)
	registry.RLock()
	defer registry.RUnlock()
	if _, ok := registry.specs[n]; ok {
		return n, true
	}
	if o, ok := registry.owner[n]; ok {
		return o, true
	}
	return "", false
}

// Known reports whether name is a declared check or rule id.
func Known(name string) bool {
	_, ok := owningCheck(name)
	return ok
}

// KnownNames returns every check name and rule id, sorted.
func KnownNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	seen := map[string]bool{}
	for n := range registry.specs {
		seen[n] = true
	}
	for r := range registry.owner {
		seen[r] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// unknownName returns the error text for a name that is neither a check nor
// a rule, with the closest known name.
func unknownName(what, name string) string {
	msg := fmt.Sprintf("unknown %s %q", what, name)
	if s := closest(name, KnownNames()); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return msg + "; `pyvet policy show` lists the checks"
}

// coerce checks that v (as decoded from TOML, or a Go default) is of kind k
// and returns it as the kind's Go type.
func coerce(k Kind, v any) (any, error) {
	switch k {
	case KindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case KindInt:
		switch n := v.(type) {
		case int64:
			return int(n), nil
		case int:
			return n, nil
		}
	case KindFloat:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		case int:
			return float64(n), nil
		}
	case KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case KindStrings:
		switch t := v.(type) {
		case string:
			return []string{t}, nil
		case []string:
			return append([]string{}, t...), nil
		case []any:
			out := make([]string, 0, len(t))
			for _, e := range t {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("want a list of strings, found %s in it", typeName(e))
				}
				out = append(out, s)
			}
			return out, nil
		}
	case KindDuration:
		switch t := v.(type) {
		case time.Duration:
			return t, nil
		case string:
			d, err := ParseDuration(t)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%q is not %s", t, k)
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("want %s, not %s", k, typeName(v))
}

// formatSetting writes a setting value as in the file.
func formatSetting(v any) string {
	switch t := v.(type) {
	case nil:
		return "(none)"
	case time.Duration:
		return quote(formatDuration(t))
	}
	return formatValue(v)
}

// formatDuration writes whole days as "90d", else as a Go duration.
func formatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// closest returns the name of list nearest to s (edit distance at most 2, or
// a prefix), or "".
func closest(s string, list []string) string {
	s = normKey(s)
	best, bestD := "", 3
	for _, c := range list {
		d := editDistance(s, c, bestD)
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max when it is at
// least max (names are short; the bound keeps it cheap).
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
			low = min(low, c)
		}
		if low >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}

// AtLeast is a Key.Validate for integer and number settings: the value must
// not be below n.
func AtLeast(n float64) func(any) error {
	return func(v any) error {
		var f float64
		switch t := v.(type) {
		case int:
			f = float64(t)
		case float64:
			f = t
		}
		if f < n {
			return fmt.Errorf("%v is below the minimum, %v", v, n)
		}
		return nil
	}
}

// OneOf is a Key.Validate for string and string-list settings: every value
// must be one of names.
func OneOf(names ...string) func(any) error {
	return func(v any) error {
		list, ok := v.([]string)
		if s, isStr := v.(string); isStr {
			list, ok = []string{s}, true
		}
		if !ok {
			return nil
		}
		for _, s := range list {
			if !contains(names, s) {
				msg := fmt.Sprintf("%q is not one of %s", s, joinKnown(names))
				if c := closest(s, names); c != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", c)
				}
				return fmt.Errorf("%s", msg)
			}
		}
		return nil
	}
}

func containsKey(keys []Key, name string) bool {
	for _, k := range keys {
		if k.Name == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// joinKnown lists names for an error message.
func joinKnown(names []string) string { return strings.Join(names, ", ") }
