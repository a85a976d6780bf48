package advisory

import (
	"math"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/pyvet/pyvet/internal/finding"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// VersionKey returns a spelling of a version that is equal for versions PEP
// 440 says are equal ("1", "1.0" and "1.0.0" give the same key: the
// version's pep440 Canonical form); strings that are not versions are kept,
// lower-cased, behind "=", a key of their own.
func VersionKey(s string) string {
	s = strings.TrimSpace(s)
	if k, ok := plainKey(s); ok {
		return k
	}
	v, err := pep440.Parse(s)
	if err != nil {
		return "=" + strings.ToLower(strings.TrimSpace(s))
	}
	return v.Canonical()
}

// plainKey is VersionKey of a plain release ("1.2.0": numbers without
// leading zeros joined by dots), the spelling of most listed versions,
// without parsing it: its trailing zero components dropped.
func plainKey(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) && s[i] != '.' || i == start || s[start] == '0' && i-start > 1 {
			return "", false
		}
		start = i + 1
	}
	end := len(s)
	for end > 1 && s[end-1] == '0' && s[end-2] == '.' {
		end -= 2
	}
	return s[:end], true
}

// pevent is a parsed range event.
type pevent struct {
	kind  uint8
	v     pep440.Version
	zero  bool // introduced "0": below every version
	build bool // the bound named a build of v ("2.6.0-cu124"): v's local builds count as v
}

// prange is a parsed ECOSYSTEM range, events sorted by version.
type prange struct {
	events []pevent
	limits []pevent
}

// paffected is the parsed matching data of one affected package.
type paffected struct {
	ranges []prange
	keys   keyList  // sorted canonical keys of the versions list
	read   []string // how bounds that name a build were read
	unread []string // bounds whose range is not used, as `kind "bound"`
}

// pkgMatcher holds the parsed matching data of every advisory of a package,
// decoded from its record the first time the package is queried.
type pkgMatcher struct {
	entries []int32       // advisories, in match order
	ids     []string      // their ids
	mods    []string      // and modification times
	affs    [][]paffected // parallel to entries
	hitAt   []int         // where each advisory's part of its Hit starts in rec
	rec     []byte        // the package record (the file's bytes)
	hits    []atomic.Pointer[Hit]
}

// How readBound read a range bound.
const (
	boundVersion  = iota // a PEP 440 version
	boundBuild           // a release and a build or distro tag: "2.6.0-cu124", "8.3.0-11.1", "4.1.0-NA"
	boundUnusable        // not a version: "2024-09-25", "4.6.0.stable11", "0.2.0-alpha\\.33"
)

// dateLike matches bounds that are dates, which are not releases whatever
// their digits say.
var dateLike = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`)

// readBound reads a range bound. A PEP 440 version is read as it is. A
// release followed by "-" and a build or distro tag ("2.6.0-cu124",
// "3.0.3-NA", "8.3.0-11.1") names a build of that release: it is read as the
// release, whose local builds ("2.6.0+cu124") count as the release. Anything
// else (dates, "4.6.0.stable11", a tag that reads as a pre-release) is
// unusable: no reading of it is plain, so the range it bounds is not used.
func readBound(s string) (pep440.Version, int) {
	s = strings.TrimSpace(s)
	if v, err := pep440.Parse(s); err == nil {
		return v, boundVersion
	}
	rel, tag, ok := strings.Cut(s, "-")
	if !ok || !isRelease(rel) || !isBuildTag(tag) || dateLike.MatchString(s) {
		return pep440.Version{}, boundUnusable
	}
	v, err := pep440.Parse(rel)
	if err != nil {
		return pep440.Version{}, boundUnusable
	}
	return v, boundBuild
}

// isRelease reports whether s is a bare release segment: numbers joined by dots.
func isRelease(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

// isBuildTag reports whether s reads as a build or distro tag: letters,
// digits, dots, dashes and underscores, not starting with a pre-release or
// development marker (a pre-release of X sorts before X, so reading it as X
// would widen the range).
func isBuildTag(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
		n++
	}
	switch strings.ToLower(s[:n]) {
	case "a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "dev":
		return false
	}
	return true
}

// eventNames are the OSV names of the event kinds.
var eventNames = [...]string{evIntroduced: "introduced", evFixed: "fixed", evLastAffected: "last_affected", evLimit: "limit"}

// eventName is the OSV name of an event kind.
func eventName(kind uint8) string {
	if int(kind) < len(eventNames) && eventNames[kind] != "" {
		return eventNames[kind]
	}
	return "event"
}

// quoteBound quotes a bound for a message, shortened when long.
func quoteBound(s string) string { return safeio.ExcerptN(s, 40) }

// keyListOf holds sorted keys as a keyList.
func keyListOf(keys []string) keyList {
	var w recWriter
	w.keys(keys)
	r := recReader{b: w.b}
	return r.keys()
}

// parseAffected parses the ranges of an affected package (not its versions
// list, see keyListOf).
func parseAffected(a *idxAffected) paffected {
	var pa paffected
ranges:
	for _, evs := range a.Ranges {
		var r prange
		for _, ev := range evs {
			if ev.Kind == evIntroduced && strings.TrimSpace(ev.Version) == "0" {
				r.events = append(r.events, pevent{kind: evIntroduced, zero: true})
				continue
			}
			v, how := readBound(ev.Version)
			if how == boundUnusable {
				// A bound that is not a version must not widen the range to
				// every version: the range is not used, and the versions list
				// (when there is one) decides alone.
				pa.unread = append(pa.unread, eventName(ev.Kind)+" "+quoteBound(ev.Version))
				continue ranges
			}
			pe := pevent{kind: ev.Kind, v: v, build: how == boundBuild}
			if pe.build {
				note := eventName(ev.Kind) + " " + quoteBound(ev.Version) + " read as " + v.String()
				if ev.Kind == evFixed {
					// Fixed in a build of v: v itself is before the fix.
					pe.kind = evLastAffected
					note += ", which stays affected"
				}
				pa.read = append(pa.read, note)
			}
			if ev.Kind == evLimit {
				r.limits = append(r.limits, pe)
				continue
			}
			r.events = append(r.events, pe)
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

// UnreadRange names an advisory range that matching does not use because a
// bound of it is not a version; only the advisory's versions list is matched.
type UnreadRange struct {
	ID      string // the advisory
	Package string // PEP 503 normalized name
	Bound   string // the event and its bound: last_affected "2024-09-25"
}

// UnreadRanges returns the unused ranges of the package's advisories,
// withdrawn ones excluded, in id order.
func (db *DB) UnreadRanges(name string) []UnreadRange {
	defer db.guard(debug.SetPanicOnFault(true))
	n := pep508.NormalizeName(name)
	pm := db.matcher(n)
	if pm == nil {
		return nil
	}
	var out []UnreadRange
	for k, i := range pm.entries {
		if db.withdrawn(i) {
			continue
		}
		for _, pa := range pm.affs[k] {
			for _, b := range pa.unread {
				out = append(out, UnreadRange{ID: db.advID(i), Package: n, Bound: b})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// BoundNotes says how the advisory's range bounds for the package were read
// where they are not PEP 440 versions: a bound naming a build of a release
// ("2.6.0-cu124") is read as the release; a range with a bound that is not
// a version is not used, and only the versions list is matched.
func BoundNotes(e *Entry, name string) []string {
	if e == nil {
		return nil
	}
	ie := indexEntryOf(e, false)
	n := pep508.NormalizeName(name)
	var out []string
	for j := range ie.Affected {
		if ie.Affected[j].Name != n {
			continue
		}
		pa := parseAffected(&ie.Affected[j])
		out = append(out, pa.read...)
		for _, b := range pa.unread {
			out = append(out, "range with "+b+" not used (not a version); only the versions list was matched")
		}
	}
	return out
}

// above reports whether v is above the event's version; a build bound
// counts v's local builds as v.
func (ev *pevent) above(v pep440.Version) bool {
	if v.Compare(ev.v) <= 0 {
		return false
	}
	return !ev.build || v.Local() == "" || v.Public().Compare(ev.v) != 0
}

// contains evaluates one range as the OSV schema specifies: events in version
// order, the last one at or below v decides.
func (r *prange) contains(v pep440.Version) bool {
	if len(r.limits) > 0 {
		below := false
		for i := range r.limits {
			if l := &r.limits[i]; v.Compare(l.v) < 0 || l.build && !l.above(v) {
				below = true
				break
			}
		}
		if !below {
			return false
		}
	}
	affected := false
	for i := range r.events {
		ev := &r.events[i]
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
			if ev.above(v) {
				affected = false
			}
		}
	}
	return affected
}

// hasKey reports whether the sorted versions list holds key.
func (pa *paffected) hasKey(key string) bool { return pa.keys.has(key) }

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

// matcher returns the parsed matching data of a normalized package name,
// decoding its record on first use. A record that fails its checksum or does
// not decode marks the package's advisories damaged and matches none.
func (db *DB) matcher(name string) *pkgMatcher {
	k, ok := db.findPkg(name)
	if !ok {
		return nil
	}
	db.pkgsOnce.Do(func() { db.pkgs = make([]atomic.Pointer[pkgMatcher], db.nPkg) })
	if pm := db.pkgs[k].Load(); pm != nil {
		return pm
	}
	pm, err := db.decodePkg(k)
	if err != nil {
		db.markDamaged(db.pkgRefs(k)...)
		pm = &pkgMatcher{}
	}
	if !db.pkgs[k].CompareAndSwap(nil, pm) {
		return db.pkgs[k].Load()
	}
	return pm
}

// decodePkg decodes the record of package row k.
func (db *DB) decodePkg(k int) (*pkgMatcher, error) {
	row := db.pkgOff + k*pkgRowSize
	rec := db.view(row + pRecOff)
	if checksum(rec) != u32(db.tab, row+pRecCRC) {
		return nil, errDamaged
	}
	refs := db.pkgRefs(k)
	pm := &pkgMatcher{entries: refs, affs: make([][]paffected, len(refs)), hitAt: make([]int, len(refs)), rec: rec,
		hits: make([]atomic.Pointer[Hit], len(refs))}
	pm.ids, pm.mods = make([]string, len(refs)), make([]string, len(refs))
	for j, i := range refs {
		pm.ids[j], pm.mods[j] = db.advID(i), db.advModified(i)
	}
	r := recReader{b: rec}
	for j := range refs {
		pm.hitAt[j] = r.off
		skipHitPart(&r)
		n := r.count(3)
		affs := make([]paffected, n)
		for a := range affs {
			pa := &affs[a]
			pa.ranges = make([]prange, r.count(2))
			for g := range pa.ranges {
				pa.ranges[g].events = readEvents(&r)
				pa.ranges[g].limits = readEvents(&r)
			}
			pa.unread = r.strs()
			pa.keys = r.keys()
		}
		pm.affs[j] = affs
	}
	if r.err != nil || r.off != len(rec) {
		return nil, errDamaged
	}
	return pm, nil
}

// skipHitPart skips the package's part of a Hit in a package record.
func skipHitPart(r *recReader) {
	r.skipStrs()
	r.uvarint(math.MaxUint8)
	r.u64()
	r.bytes()
	r.bytes()
	r.skipStrs()
}

// readEvents reads events written by writeEvents.
func readEvents(r *recReader) []pevent {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	out := make([]pevent, n)
	for i := range out {
		ev := &out[i]
		ev.kind = r.byte1()
		f := r.byte1()
		if ev.kind < evIntroduced || ev.kind > evLimit || f&^(evfZero|evfBuild) != 0 {
			r.fail()
			return nil
		}
		ev.zero, ev.build = f&evfZero != 0, f&evfBuild != 0
		if ev.zero {
			continue
		}
		v, err := pep440.Parse(string(r.bytes()))
		if err != nil {
			r.fail()
			return nil
		}
		ev.v = v
	}
	return out
}

// hit returns the Hit of the j-th advisory of a package, decoding it on
// first use; nil when its record is damaged (the advisory is then marked).
func (db *DB) hit(pm *pkgMatcher, j int) *Hit {
	if h := pm.hits[j].Load(); h != nil {
		return h
	}
	i := pm.entries[j]
	h, err := db.decodeHit(i, pm.ids[j], pm.mods[j], pm.rec[pm.hitAt[j]:])
	if err != nil {
		db.markDamaged(i)
		return nil
	}
	if !pm.hits[j].CompareAndSwap(nil, h) {
		return pm.hits[j].Load()
	}
	return h
}

// decodeHit decodes the Hit of advisory i from its hit record and the
// package's part at the start of part.
func (db *DB) decodeHit(i int32, id, mod string, part []byte) (*Hit, error) {
	row := db.advRow(i)
	rec := db.view(row + aHitOff)
	if checksum(rec) != u32(db.tab, row+aHitCRC) {
		return nil, errDamaged
	}
	h := &Hit{ID: id, Modified: mod}
	r := recReader{b: rec}
	h.Aliases = r.strs()
	h.Summary = r.str()
	h.Details = r.str()
	h.Published = r.str()
	h.Withdrawn = r.str()
	h.Malicious = r.byte1() == 1
	if r.err != nil || r.off != len(rec) {
		return nil, errDamaged
	}
	r = recReader{b: part}
	h.Fixed = r.strs()
	h.Rating.Level = finding.Severity(r.uvarint(math.MaxUint8))
	h.Rating.Score = math.Float64frombits(r.u64())
	h.Rating.Vector = r.str()
	h.Rating.Source = r.str()
	h.Bounds = r.strs()
	if r.err != nil {
		return nil, errDamaged
	}
	return h, nil
}

// Match returns the advisories (withdrawn excluded) that affect the version of
// the package, in id order. name may be spelled any way PEP 503 normalizes.
// When version is not a PEP 440 version, only the advisories that list it
// literally match, and err says it could not be compared.
func (db *DB) Match(name, version string) ([]*Entry, error) {
	defer db.guard(debug.SetPanicOnFault(true))
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
	defer db.guard(debug.SetPanicOnFault(true))
	pos, _ := db.matchPos(name, version)
	if len(pos) == 0 {
		return []string{}
	}
	pm := db.matcher(pep508.NormalizeName(name))
	out := make([]string, len(pos))
	for k, j := range pos {
		out[k] = pm.ids[j]
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
	defer db.guard(debug.SetPanicOnFault(true))
	if strings.TrimSpace(version) == "" {
		idx := db.live(name)
		out := make([]Ref, len(idx))
		for k, i := range idx {
			out[k] = Ref{ID: db.advID(i), Modified: db.advModified(i)}
		}
		return out
	}
	pos, _ := db.matchPos(name, version)
	out := make([]Ref, len(pos))
	if len(pos) == 0 {
		return out
	}
	pm := db.matcher(pep508.NormalizeName(name))
	for k, j := range pos {
		out[k] = Ref{ID: pm.ids[j], Modified: pm.mods[j]}
	}
	return out
}

// live returns the advisories of a package, withdrawn ones left out, in
// match order, without decoding the package's record.
func (db *DB) live(name string) []int32 {
	k, ok := db.findPkg(pep508.NormalizeName(name))
	if !ok {
		return nil
	}
	var out []int32
	for _, i := range db.pkgRefs(k) {
		if !db.withdrawn(i) {
			out = append(out, i)
		}
	}
	return out
}

// match returns the entries affecting the version of the package.
func (db *DB) match(name, version string) ([]int32, error) {
	pos, err := db.matchPos(name, version)
	if len(pos) == 0 {
		return nil, err
	}
	pm := db.matcher(pep508.NormalizeName(name))
	out := make([]int32, len(pos))
	for k, j := range pos {
		out[k] = pm.entries[j]
	}
	return out, err
}

// matchPos returns the positions in the package's matcher of the entries
// affecting the version.
func (db *DB) matchPos(name, version string) ([]int, error) {
	v, perr := pep440.Parse(strings.TrimSpace(version))
	pm := db.matcher(pep508.NormalizeName(name))
	if pm == nil {
		return nil, perr
	}
	var vp *pep440.Version
	key := "=" + strings.ToLower(strings.TrimSpace(version))
	if perr == nil {
		vp, key = &v, v.Canonical()
	}
	var out []int
	for k, i := range pm.entries {
		if db.withdrawn(i) {
			continue
		}
		for j := range pm.affs[k] {
			if pm.affs[k][j].affects(vp, key) {
				out = append(out, k)
				break
			}
		}
	}
	return out, perr
}

// MatchHits is Match with the prepared data of each advisory: no advisory
// is decoded.
func (db *DB) MatchHits(name, version string) ([]*Hit, error) {
	defer db.guard(debug.SetPanicOnFault(true))
	pos, err := db.matchPos(name, version)
	if len(pos) == 0 {
		return nil, err
	}
	return db.hits(pep508.NormalizeName(name), pos), err
}

// hits returns the Hits at the positions of a package's matcher, damaged
// ones left out.
func (db *DB) hits(name string, pos []int) []*Hit {
	pm := db.matcher(name)
	out := make([]*Hit, 0, len(pos))
	for _, j := range pos {
		if h := db.hit(pm, j); h != nil {
			out = append(out, h)
		}
	}
	return out
}

// Query returns the advisories (withdrawn excluded) that affect that version
// of the package; with version "" it returns every advisory of the package.
func (db *DB) Query(name, version string) []*Entry {
	defer db.guard(debug.SetPanicOnFault(true))
	if strings.TrimSpace(version) == "" {
		var out []*Entry
		for _, i := range db.live(name) {
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
	defer db.guard(debug.SetPanicOnFault(true))
	pm := db.matcher(pep508.NormalizeName(name))
	var out []*Entry
	for _, j := range db.specPos(pm, spec) {
		if e, err := db.entry(pm.entries[j]); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// QuerySpecHits is QuerySpec with the prepared data of each advisory: no
// advisory is decoded.
func (db *DB) QuerySpecHits(name string, spec pep440.SpecifierSet) []*Hit {
	defer db.guard(debug.SetPanicOnFault(true))
	n := pep508.NormalizeName(name)
	pos := db.specPos(db.matcher(n), spec)
	if len(pos) == 0 {
		return nil
	}
	return db.hits(n, pos)
}

// specPos returns the positions in pm of the advisories QuerySpec returns.
func (db *DB) specPos(pm *pkgMatcher, spec pep440.SpecifierSet) []int {
	if pm == nil {
		return nil
	}
	var cands []pep440.Version
	for _, v := range candidates(pm, spec) {
		if spec.Contains(v) {
			cands = append(cands, v)
		}
	}
	var out []int
	for k, i := range pm.entries {
		if db.withdrawn(i) {
			continue
		}
		if specHit(pm.affs[k], cands) {
			out = append(out, k)
		}
	}
	return out
}

func specHit(affs []paffected, cands []pep440.Version) bool {
	for j := range affs {
		for _, v := range cands {
			if affs[j].affects(&v, v.Canonical()) {
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
		if k := v.Canonical(); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	addString := func(s string) {
		if v, err := pep440.Parse(s); err == nil {
			add(v)
		}
	}
	// addRelease adds v's release without its epoch and other segments,
	// with release component i incremented (none when i < 0).
	addRelease := func(v pep440.Version, i int) {
		r, err := pep440.FromRelease("", v.ReleaseStrings())
		if err != nil {
			return
		}
		if i >= 0 {
			r = r.BumpRelease(i)
		}
		add(r)
	}
	addString("0")
	for _, affs := range pm.affs {
		for j := range affs {
			for n := range affs[j].keys.len() {
				addString(string(affs[j].keys.at(n)))
			}
			for _, r := range affs[j].ranges {
				for _, ev := range r.events {
					if ev.zero || ev.kind == evFixed {
						continue
					}
					add(ev.v)
					addRelease(ev.v, -1)
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
		n := len(v.ReleaseStrings())
		addRelease(v, n-1)
		addRelease(v, n)
	}
	return out
}

// Affects reports whether the advisory affects that version of the package
// (withdrawn advisories affect nothing).
func Affects(e *Entry, name, version string) bool {
	if e == nil || strings.TrimSpace(e.Withdrawn) != "" {
		return false
	}
	ie := indexEntry(e)
	n := pep508.NormalizeName(name)
	v, err := pep440.Parse(strings.TrimSpace(version))
	var vp *pep440.Version
	key := "=" + strings.ToLower(strings.TrimSpace(version))
	if err == nil {
		vp, key = &v, v.Canonical()
	}
	for j := range ie.Affected {
		if ie.Affected[j].Name != n {
			continue
		}
		pa := parseAffected(&ie.Affected[j])
		pa.keys = keyListOf(ie.Affected[j].Versions)
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
	n := pep508.NormalizeName(name)
	seen := map[string]bool{}
	var out []string
	for _, a := range e.Affected {
		if !isPyPI(a.Package.Ecosystem) || pep508.NormalizeName(a.Package.Name) != n {
			continue
		}
		for _, r := range a.Ranges {
			if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
				continue
			}
			for _, ev := range r.Events {
				f := strings.TrimSpace(ev.Fixed)
				if f == "" || seen[VersionKey(f)] {
					continue
				}
				seen[VersionKey(f)] = true
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
