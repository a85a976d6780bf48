package advisory

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/pyvet/pyvet/pep440"
)

// normalizeName is the PEP 503 normalized name: runs of "-", "_" and "."
// become one "-", letters lower-case.
func normalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range strings.TrimSpace(name) {
		if r == '-' || r == '_' || r == '.' {
			if !sep {
				b.WriteByte('-')
			}
			sep = true
			continue
		}
		sep = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// VersionKey returns a spelling of a version that is equal for versions PEP
// 440 says are equal ("1", "1.0" and "1.0.0" give the same key); strings that
// are not versions give a key of their own.
func VersionKey(s string) string { return versionKey(s) }

// versionKey is a canonical spelling of a version: two versions that PEP 440
// says are equal have the same key ("1.0.0" and "1" and "1.0" all give "1").
// Strings that are not PEP 440 versions are kept, lower-cased, behind "=".
func versionKey(s string) string {
	v, err := pep440.Parse(strings.TrimSpace(s))
	if err != nil {
		return "=" + strings.ToLower(strings.TrimSpace(s))
	}
	return canonical(v)
}

// canonical is v's normalized form with trailing zeros of the release removed.
func canonical(v pep440.Version) string {
	s := v.String()
	rel := v.Release()
	var rs strings.Builder
	for i, n := range rel {
		if i > 0 {
			rs.WriteByte('.')
		}
		rs.WriteString(strconv.Itoa(n))
	}
	epoch := ""
	if i := strings.IndexByte(s, '!'); i >= 0 && !strings.Contains(s[:i], "+") {
		epoch, s = s[:i+1], s[i+1:]
	}
	rest := strings.TrimPrefix(s, rs.String())
	n := len(rel)
	for n > 1 && rel[n-1] == 0 {
		n--
	}
	var out strings.Builder
	out.WriteString(epoch)
	for i := 0; i < n; i++ {
		if i > 0 {
			out.WriteByte('.')
		}
		out.WriteString(strconv.Itoa(rel[i]))
	}
	out.WriteString(rest)
	return out.String()
}

// pevent is a parsed range event.
type pevent struct {
	kind uint8
	v    pep440.Version
	zero bool // introduced "0": below every version
}

// prange is a parsed ECOSYSTEM range, events sorted by version.
type prange struct {
	events []pevent
	limits []pep440.Version
}

// paffected is the parsed matching data of one affected package.
type paffected struct {
	ranges   []prange
	versions []string // sorted canonical keys
}

// pkgMatcher holds the parsed matching data of every advisory of a package.
type pkgMatcher struct {
	once    sync.Once
	entries []int32
	affs    [][]paffected // parallel to entries
}

func parseAffected(a *idxAffected) paffected {
	var pa paffected
	if a.Versions != "" {
		pa.versions = strings.Split(a.Versions, "\n")
	}
	for _, evs := range a.Ranges {
		var r prange
		for _, ev := range evs {
			if ev.Kind == evIntroduced && strings.TrimSpace(ev.Version) == "0" {
				r.events = append(r.events, pevent{kind: evIntroduced, zero: true})
				continue
			}
			v, err := pep440.Parse(strings.TrimSpace(ev.Version))
			if err != nil {
				continue // an event that is not a version cannot be compared
			}
			if ev.Kind == evLimit {
				r.limits = append(r.limits, v)
				continue
			}
			r.events = append(r.events, pevent{kind: ev.Kind, v: v})
		}
		sort.SliceStable(r.events, func(i, j int) bool {
			a, b := r.events[i], r.events[j]
			if a.zero || b.zero {
				return a.zero && !b.zero
			}
			return a.v.Compare(b.v) < 0
		})
		pa.ranges = append(pa.ranges, r)
	}
	return pa
}

// inRange evaluates one range as the OSV schema specifies: events in version
// order, the last one at or below v decides.
func (r *prange) contains(v pep440.Version) bool {
	if len(r.limits) > 0 {
		below := false
		for _, l := range r.limits {
			if v.Compare(l) < 0 {
				below = true
				break
			}
		}
		if !below {
			return false
		}
	}
	affected := false
	for _, ev := range r.events {
		switch ev.kind {
		case evIntroduced:
			if ev.zero || v.Compare(ev.v) >= 0 {
				affected = true
			}
		case evFixed:
			if !ev.zero && v.Compare(ev.v) >= 0 {
				affected = false
			}
		case evLastAffected:
			if v.Compare(ev.v) > 0 {
				affected = false
			}
		}
	}
	return affected
}

// hasKey reports whether the sorted versions list holds key.
func (pa *paffected) hasKey(key string) bool {
	i := sort.SearchStrings(pa.versions, key)
	return i < len(pa.versions) && pa.versions[i] == key
}

// affects reports whether v (with canonical key key; v is nil when the
// version is not PEP 440) is affected.
func (pa *paffected) affects(v *pep440.Version, key string) bool {
	if pa.hasKey(key) {
		return true
	}
	if v == nil {
		return false
	}
	for i := range pa.ranges {
		if pa.ranges[i].contains(*v) {
			return true
		}
	}
	return false
}

// matcher returns the parsed matching data of a normalized package name.
func (db *DB) matcher(name string) *pkgMatcher {
	idx := db.byPkg[name]
	if len(idx) == 0 {
		return nil
	}
	m, _ := db.pkgs.LoadOrStore(name, &pkgMatcher{entries: idx})
	pm := m.(*pkgMatcher)
	pm.once.Do(func() {
		pm.affs = make([][]paffected, len(pm.entries))
		for k, i := range pm.entries {
			e := &db.entries[i]
			for j := range e.Affected {
				if e.Affected[j].Name == name {
					pm.affs[k] = append(pm.affs[k], parseAffected(&e.Affected[j]))
				}
			}
		}
	})
	return pm
}

// Match returns the advisories (withdrawn excluded) that affect the version of
// the package, in id order. name may be spelled any way PEP 503 normalizes.
// When version is not a PEP 440 version, only the advisories that list it
// literally match, and err says it could not be compared.
func (db *DB) Match(name, version string) ([]*Entry, error) {
	idx, err := db.match(name, version)
	var out []*Entry
	for _, i := range idx {
		if e, err := db.entry(i); err == nil {
			out = append(out, e)
		}
	}
	return out, err
}

// QueryIDs returns the ids of the advisories Match would return, without
// decoding them.
func (db *DB) QueryIDs(name, version string) []string {
	idx, _ := db.match(name, version)
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = db.entries[i].ID
	}
	return out
}

// Ref names an advisory and when it was last modified.
type Ref struct {
	ID       string
	Modified string
}

// QueryRefs returns the id and modification time of the advisories Match
// would return (every advisory of the package when version is ""), without
// decoding them.
func (db *DB) QueryRefs(name, version string) []Ref {
	var idx []int32
	if strings.TrimSpace(version) == "" {
		for _, i := range db.byPkg[normalizeName(name)] {
			if !db.entries[i].Withdrawn {
				idx = append(idx, i)
			}
		}
	} else {
		idx, _ = db.match(name, version)
	}
	out := make([]Ref, len(idx))
	for k, i := range idx {
		out[k] = Ref{ID: db.entries[i].ID, Modified: db.entries[i].Modified}
	}
	return out
}

// match returns the entries affecting the version of the package.
func (db *DB) match(name, version string) ([]int32, error) {
	v, perr := pep440.Parse(strings.TrimSpace(version))
	pm := db.matcher(normalizeName(name))
	if pm == nil {
		return nil, perr
	}
	var vp *pep440.Version
	key := "=" + strings.ToLower(strings.TrimSpace(version))
	if perr == nil {
		vp, key = &v, canonical(v)
	}
	var out []int32
	for k, i := range pm.entries {
		if db.entries[i].Withdrawn {
			continue
		}
		for j := range pm.affs[k] {
			if pm.affs[k][j].affects(vp, key) {
				out = append(out, i)
				break
			}
		}
	}
	return out, perr
}

// Query returns the advisories (withdrawn excluded) that affect that version
// of the package; with version "" it returns every advisory of the package.
func (db *DB) Query(name, version string) []*Entry {
	if strings.TrimSpace(version) == "" {
		var out []*Entry
		for _, i := range db.byPkg[normalizeName(name)] {
			if db.entries[i].Withdrawn {
				continue
			}
			if e, err := db.entry(i); err == nil {
				out = append(out, e)
			}
		}
		return out
	}
	out, _ := db.Match(name, version)
	return out
}

// QuerySpec returns the advisories (withdrawn excluded) that affect at least
// one version the specifier allows. Without the list of released versions it
// tests candidate versions: every version the package's advisories list or
// use as a range boundary (and the final release of pre-release boundaries),
// and the versions the specifier names and the next ones after them. It errs
// on the side of reporting.
func (db *DB) QuerySpec(name string, spec pep440.SpecifierSet) []*Entry {
	pm := db.matcher(normalizeName(name))
	if pm == nil {
		return nil
	}
	var cands []pep440.Version
	for _, v := range candidates(pm, spec) {
		if spec.Contains(v) {
			cands = append(cands, v)
		}
	}
	var out []*Entry
	for k, i := range pm.entries {
		if db.entries[i].Withdrawn {
			continue
		}
		if specHit(pm.affs[k], cands) {
			if e, err := db.entry(i); err == nil {
				out = append(out, e)
			}
		}
	}
	return out
}

func specHit(affs []paffected, cands []pep440.Version) bool {
	for j := range affs {
		for _, v := range cands {
			if affs[j].affects(&v, canonical(v)) {
				return true
			}
		}
	}
	return false
}

// candidates lists the versions QuerySpec tests, deduplicated.
func candidates(pm *pkgMatcher, spec pep440.SpecifierSet) []pep440.Version {
	seen := map[string]bool{}
	var out []pep440.Version
	add := func(v pep440.Version) {
		if k := canonical(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	addString := func(s string) {
		if v, err := pep440.Parse(s); err == nil {
			add(v)
		}
	}
	addString("0")
	for _, affs := range pm.affs {
		for j := range affs {
			for _, key := range affs[j].versions {
				addString(key)
			}
			for _, r := range affs[j].ranges {
				for _, ev := range r.events {
					if ev.zero || ev.kind == evFixed {
						continue
					}
					add(ev.v)
					addString(releaseString(ev.v.Release(), 0))
				}
			}
		}
	}
	for _, s := range spec.Specifiers() {
		t := strings.TrimSuffix(strings.TrimSuffix(s.Version(), "*"), ".")
		v, err := pep440.Parse(t)
		if err != nil {
			continue
		}
		add(v)
		rel := v.Release()
		addString(releaseString(rel, 1))
		addString(releaseString(append(slices.Clone(rel), 1), 0))
	}
	return out
}

// releaseString writes a release segment with bump added to its last part.
func releaseString(rel []int, bump int) string {
	var b strings.Builder
	for i, n := range rel {
		if i > 0 {
			b.WriteByte('.')
		}
		if i == len(rel)-1 {
			n += bump
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// Affects reports whether the advisory affects that version of the package
// (withdrawn advisories affect nothing).
func Affects(e *Entry, name, version string) bool {
	if e == nil || strings.TrimSpace(e.Withdrawn) != "" {
		return false
	}
	ie := indexEntry(e)
	n := normalizeName(name)
	v, err := pep440.Parse(strings.TrimSpace(version))
	var vp *pep440.Version
	key := "=" + strings.ToLower(strings.TrimSpace(version))
	if err == nil {
		vp, key = &v, canonical(v)
	}
	for j := range ie.Affected {
		if ie.Affected[j].Name != n {
			continue
		}
		pa := parseAffected(&ie.Affected[j])
		if pa.affects(vp, key) {
			return true
		}
	}
	return false
}

// FixVersions returns the versions that fix the advisory for the package (the
// "fixed" events of its ECOSYSTEM ranges), sorted by PEP 440 and deduplicated.
func FixVersions(e *Entry, name string) []string {
	if e == nil {
		return nil
	}
	n := normalizeName(name)
	seen := map[string]bool{}
	var out []string
	for _, a := range e.Affected {
		if !isPyPI(a.Package.Ecosystem) || normalizeName(a.Package.Name) != n {
			continue
		}
		for _, r := range a.Ranges {
			if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
				continue
			}
			for _, ev := range r.Events {
				f := strings.TrimSpace(ev.Fixed)
				if f == "" || seen[versionKey(f)] {
					continue
				}
				seen[versionKey(f)] = true
				out = append(out, f)
			}
		}
	}
	SortVersions(out)
	return out
}

// SortVersions sorts version strings by PEP 440; strings that are not
// versions go last, in string order.
func SortVersions(vs []string) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, ea := pep440.Parse(vs[i])
		b, eb := pep440.Parse(vs[j])
		switch {
		case ea == nil && eb == nil:
			return a.Compare(b) < 0
		case ea == nil:
			return true
		case eb == nil:
			return false
		}
		return vs[i] < vs[j]
	})
}
