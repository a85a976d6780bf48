package remedy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep440"
)

// Options control planning.
type Options struct {
	// Index lists releases (yanked status, file hashes, requires-python).
	// Nil, or an index that cannot be reached, falls back to the versions
	// the advisories name.
	Index *pypi.Client
	// Accept reports whether the project's policy accepts (ignores)
	// advisory e for package name. An accepted advisory neither calls for a
	// fix nor rules a version out. Nil accepts nothing.
	Accept func(name string, e *advisory.Entry) bool
	// ProjectDir is the project directory: its pyproject.toml is read for
	// requires-python also when the inventory was loaded from other files.
	ProjectDir string
}

// Target is the upgrade of one declaration (or of several that declare the
// same version or specifier in the same environment).
type Target struct {
	From       string   `json:"from"`             // the version or specifier declared
	To         string   `json:"to,omitempty"`     // "" when no safe version was found
	Hashes     []string `json:"hashes,omitempty"` // "sha256:..." of To's files, when the index gave them
	Advisories []string `json:"advisories"`       // ids the upgrade clears
	Reason     string   `json:"reason,omitempty"` // why To is empty
	// Residual, for a range, says which affected versions it still allows
	// after the upgrade; the declaration needs a hand edit to exclude them.
	Residual  string               `json:"residual,omitempty"`
	Python    string               `json:"python,omitempty"` // oldest Python the new version had to support
	Locations []inventory.Location `json:"locations,omitempty"`
	// next are, for a pin, the following safe versions above To, oldest
	// first (bounded): what the resolver check tries when To does not
	// install with the rest of the project.
	next []alternative
}

// alternative is one further safe version of a pin and its hashes.
type alternative struct {
	to     string
	hashes []string
}

// maxAlternatives bounds the safe versions kept beyond a pin's target.
const maxAlternatives = 8

// Fix is the planned upgrade of one vulnerable package: a target per
// declaration, each the smallest safe upgrade within that declaration's own
// constraints.
type Fix struct {
	Name       string   `json:"name"`
	From       []string `json:"from"`                 // the vulnerable versions or specifiers declared
	To         string   `json:"to,omitempty"`         // the target, or the highest of several; "" when none has a safe version
	Advisories []string `json:"advisories"`           // ids the upgrade clears
	Hashes     []string `json:"hashes,omitempty"`     // "sha256:..." of To's files, when the index gave them
	Reason     string   `json:"reason,omitempty"`     // why some target has no safe version
	FromIndex  bool     `json:"from_index,omitempty"` // candidates came from the package index
	Targets    []Target `json:"targets"`
}

// Fixed reports whether every declaration of the package has a safe version.
func (f Fix) Fixed() bool {
	for _, t := range f.Targets {
		if t.To == "" {
			return false
		}
	}
	return len(f.Targets) > 0
}

// Plan is every fix for an inventory.
type Plan struct {
	Fixes []Fix `json:"fixes"`
	// Notes say what could not be checked (requires-python without release
	// data from the index).
	Notes []string `json:"notes,omitempty"`
}

// declaration is one place (or several equal places) a package is
// declared, reduced to what candidate selection needs.
type declaration struct {
	version    string // exact version, when pinned or locked
	spec       string // declared specifier, when known
	marker     string
	constraint bool // from a constraints file
	locations  []inventory.Location
	vulnerable bool
	ids        []string // counted advisories affecting it
	env        environment
}

func (d *declaration) pinned() bool { return d.version != "" }

func (d *declaration) label() string {
	switch {
	case d.version != "":
		return d.version
	case d.spec != "":
		return d.spec
	}
	return "*"
}

// Compute finds, for each declaration of a vulnerable package in inv, the
// smallest version that no counted advisory in db affects, that is not
// yanked (when the index is known), that supports the oldest Python the
// project (and the declaration's marker) allows, and that the declaration's
// own specifier and every overlapping constraint of the project admit:
//   - a pin moves to the smallest such version above it;
//   - a range (when no file pins the package) gets the smallest such
//     version as its lower bound for which it allows no affected version;
//     when that would need a release the project's Python cannot install
//     (or, offline, a new major version whose requires-python cannot be
//     checked), the lower bound leaves no affected version in its own major
//     series and the target says which later ones remain allowed;
//   - a range next to pins follows them: its lower bound moves to the
//     smallest target of the pins it overlaps.
func Compute(ctx context.Context, inv *inventory.Inventory, db advisory.Source, opts Options) *Plan {
	byName := declarationsOf(inv)
	py := projectPython(inv, opts.ProjectDir)
	grid := py.grid()
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	plan := &Plan{}
	counted := map[string][]*advisory.Entry{}
	var vulnNames []string
	for _, name := range names {
		decls := byName[name]
		all := countedEntries(db, name, opts.Accept)
		if len(all) == 0 {
			continue
		}
		ids, from := markVulnerable(db, name, decls, all)
		if len(ids) == 0 {
			continue
		}
		for _, d := range decls {
			d.env = environmentOf(d.marker, py, grid)
		}
		counted[name] = all
		plan.Fixes = append(plan.Fixes, Fix{Name: name, From: from, Advisories: ids})
		vulnNames = append(vulnNames, name)
	}
	// Fetch the release lists of every vulnerable package at once.
	projects := map[string]pypi.Result{}
	if opts.Index != nil && len(vulnNames) > 0 {
		projects, _ = opts.Index.Projects(ctx, vulnNames)
	}
	unchecked := 0
	for i := range plan.Fixes {
		f := &plan.Fixes[i]
		var releases []pypi.Release
		if p := projects[normalize(f.Name)].Project; p != nil {
			releases = p.ReleaseList()
		} else if opts.Index != nil {
			// An index without the JSON API: the Simple API lists the files.
			if page, err := opts.Index.Simple(ctx, f.Name); err == nil {
				releases = simpleReleases(f.Name, page)
			}
		}
		c := &chooser{name: f.Name, db: db, all: counted[f.Name], decls: byName[f.Name], py: py}
		c.cands, c.fromIndex = candidates(f.Name, c.all, releases)
		f.FromIndex = c.fromIndex
		c.plan(f)
		if py.declared() && !c.fromIndex {
			for _, t := range f.Targets {
				if t.To != "" && t.Python != "" {
					unchecked++
					break
				}
			}
		}
	}
	if unchecked > 0 {
		plan.Notes = append(plan.Notes, fmt.Sprintf("the project supports Python %s; the index gave no release data for %d package(s), so their new versions were not checked against it", py, unchecked))
	}
	return plan
}

// countedEntries are the advisories of name the policy does not accept.
func countedEntries(db advisory.Source, name string, accept func(string, *advisory.Entry) bool) []*advisory.Entry {
	all := db.Query(name, "")
	if accept == nil {
		return all
	}
	out := all[:0:0]
	for _, e := range all {
		if !accept(name, e) {
			out = append(out, e)
		}
	}
	return out
}

// markVulnerable marks the declarations a counted advisory affects: pins by
// their version; ranges by the versions they allow, but only when no file
// pins the package (as the inventory folds ranges into pins, and audit
// reports the pinned version).
func markVulnerable(db advisory.Source, name string, decls []*declaration, all []*advisory.Entry) (ids, from []string) {
	countedID := map[string]bool{}
	for _, e := range all {
		countedID[e.ID] = true
	}
	hasPin := false
	for _, d := range decls {
		hasPin = hasPin || d.pinned()
	}
	seen := map[string]bool{}
	for _, d := range decls {
		var es []*advisory.Entry
		switch {
		case d.pinned():
			es = db.Query(name, d.version)
		case hasPin:
			continue
		default:
			spec, err := pep440.ParseSpecifierSet(d.spec)
			if err != nil {
				continue
			}
			es = db.QuerySpec(name, spec)
		}
		for _, e := range es {
			if countedID[e.ID] {
				d.ids = append(d.ids, e.ID)
			}
		}
		if len(d.ids) == 0 {
			continue
		}
		sort.Strings(d.ids)
		d.vulnerable = true
		from = append(from, d.label())
		for _, id := range d.ids {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return ids, uniq(from)
}

// simpleReleases groups a Simple API page's files into releases by the
// version in their file names.
func simpleReleases(name string, page *pypi.SimplePage) []pypi.Release {
	byVersion := map[string][]pypi.File{}
	var order []string
	for _, sf := range page.Files {
		n, v, ok := inventory.DistFilename(sf.Filename)
		if !ok || normalize(n) != normalize(name) {
			continue
		}
		if _, seen := byVersion[v]; !seen {
			order = append(order, v)
		}
		byVersion[v] = append(byVersion[v], pypi.File{Filename: sf.Filename, URL: sf.URL, Digests: sf.Hashes,
			RequiresPython: sf.RequiresPython, Yanked: sf.Yanked, YankedReason: sf.YankedReason})
	}
	out := make([]pypi.Release, 0, len(order))
	for _, v := range order {
		files := byVersion[v]
		r := pypi.Release{Version: v, Files: files, Yanked: true}
		for _, f := range files {
			r.Yanked = r.Yanked && f.Yanked
		}
		out = append(out, r)
	}
	return out
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// candidate is one version the package could move to.
type candidate struct {
	v        pep440.Version
	s        string
	yanked   bool
	hashes   []string
	requires []string // requires-python of its non-yanked files; nil when unknown
}

// chooser picks the targets of one package.
type chooser struct {
	name      string
	db        advisory.Source
	all       []*advisory.Entry // counted advisories
	decls     []*declaration
	py        *pythonRange
	cands     []candidate
	fromIndex bool
	affected  map[string]bool // version -> affected, memoized
	counted   map[string]bool // ids of all
}

// isAffected reports whether a counted advisory affects version s.
func (c *chooser) isAffected(s string) bool {
	if c.affected == nil {
		c.affected = map[string]bool{}
	}
	if v, ok := c.affected[s]; ok {
		return v
	}
	hit := false
	for _, e := range c.all {
		if advisory.Affects(e, c.name, s) {
			hit = true
			break
		}
	}
	c.affected[s] = hit
	return hit
}

// specAffected reports whether a counted advisory affects a version spec
// allows.
func (c *chooser) specAffected(spec string) bool {
	set, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return true
	}
	if c.counted == nil {
		c.counted = map[string]bool{}
		for _, e := range c.all {
			c.counted[e.ID] = true
		}
	}
	for _, e := range c.db.QuerySpec(c.name, set) {
		if c.counted[e.ID] {
			return true
		}
	}
	return false
}

// rejection counts why candidates were passed over, for the reason.
type rejection struct{ constraint, python, affected int }

// fits checks what every declaration's candidate must satisfy: not yanked,
// a pre-release only when allowed, not affected, installable on the
// declaration's oldest Python, admitted by its own specifier and by the
// specifiers of the ranges and constraints it overlaps.
func (c *chooser) fits(d *declaration, k *candidate, allowPre bool, rej *rejection) bool {
	if k.yanked || (k.v.IsPrerelease() && !allowPre) {
		return false
	}
	if c.isAffected(k.s) {
		rej.affected++
		return false
	}
	if d.env.lowest != nil && k.requires != nil && !supportsPython(k.requires, *d.env.lowest) {
		rej.python++
		return false
	}
	if _, ok := rewriteSpec(d.spec, k.s); !ok {
		rej.constraint++
		return false
	}
	for _, o := range c.decls {
		if o == d || o.pinned() || !o.env.overlaps(d.env) {
			continue
		}
		if _, ok := rewriteSpec(o.spec, k.s); !ok {
			rej.constraint++
			return false
		}
	}
	return true
}

func (c *chooser) plan(f *Fix) {
	type pinTarget struct {
		d *declaration
		t Target
	}
	var pins []pinTarget
	var targets []Target
	for _, d := range c.decls {
		if d.vulnerable && d.pinned() {
			t := c.choosePin(d)
			pins = append(pins, pinTarget{d, t})
			targets = append(targets, t)
		}
	}
	for _, d := range c.decls {
		if d.pinned() {
			continue
		}
		if d.vulnerable {
			targets = append(targets, c.chooseRange(d))
			continue
		}
		if d.constraint {
			continue // a constraint range is a bound for the pins, not a declaration to move
		}
		// A range next to pins follows the smallest target of the
		// vulnerable pins it overlaps.
		var follow *Target
		for i := range pins {
			p := &pins[i]
			if p.t.To == "" || !p.d.env.overlaps(d.env) {
				continue
			}
			if follow == nil || pep440.MustParse(p.t.To).Compare(pep440.MustParse(follow.To)) < 0 {
				follow = &p.t
			}
		}
		if follow != nil {
			targets = append(targets, Target{From: d.label(), To: follow.To, Hashes: follow.Hashes,
				Advisories: follow.Advisories, Python: follow.Python, Locations: d.locations})
		}
	}
	f.Targets = mergeTargets(targets)
	var best *pep440.Version
	for _, t := range f.Targets {
		if t.To == "" {
			if f.Reason == "" {
				f.Reason = t.Reason
			}
			continue
		}
		v := pep440.MustParse(t.To)
		if best == nil || v.Compare(*best) > 0 {
			best = &v
			f.To, f.Hashes = t.To, t.Hashes
		}
	}
	if f.Reason != "" {
		// Some declaration has no safe version: To names none, so a caller
		// reading only To never takes the package for fixed.
		f.To, f.Hashes = "", nil
	}
}

func (c *chooser) target(d *declaration) Target {
	t := Target{From: d.label(), Advisories: d.ids, Locations: d.locations}
	if d.env.lowest != nil {
		t.Python = d.env.lowest.String()
	}
	return t
}

// choosePin is the smallest fitting version above a vulnerable pin.
func (c *chooser) choosePin(d *declaration) Target {
	t := c.target(d)
	floor, err := pep440.Parse(d.version)
	if err != nil {
		t.Reason = fmt.Sprintf("version %q is not a PEP 440 version", d.version)
		return t
	}
	var rej rejection
	for i := range c.cands {
		k := &c.cands[i]
		if k.v.Compare(floor) <= 0 || !c.fits(d, k, floor.IsPrerelease(), &rej) {
			continue
		}
		if t.To == "" {
			t.To, t.Hashes = k.s, k.hashes
			continue
		}
		if t.next = append(t.next, alternative{k.s, k.hashes}); len(t.next) == maxAlternatives {
			break
		}
	}
	if t.To != "" {
		return t
	}
	t.Reason = c.reason(d, rej)
	return t
}

// chooseRange is the smallest fitting lower bound for a vulnerable range.
func (c *chooser) chooseRange(d *declaration) Target {
	t := c.target(d)
	set, err := pep440.ParseSpecifierSet(d.spec)
	if err != nil {
		t.Reason = fmt.Sprintf("specifier %q is not PEP 440", d.spec)
		return t
	}
	floorSeries := -1
	for _, sp := range set.Specifiers() {
		if op := sp.Operator(); op == ">=" || op == ">" || op == "~=" {
			if v, err := pep440.Parse(sp.Version()); err == nil {
				floorSeries = seriesOf(v)
			}
		}
	}
	var rej rejection
	var strict, series *candidate
	for i := range c.cands {
		k := &c.cands[i]
		if !c.fits(d, k, set.AllowsPrereleases(), &rej) {
			continue
		}
		ns, _ := rewriteSpec(d.spec, k.s)
		if nset, err := pep440.ParseSpecifierSet(ns); err != nil || !nset.ContainsPrereleases(k.v, true) {
			continue // below the declared lower bound
		}
		if series == nil && !c.specAffected(ns+","+seriesSpec(k.v)) {
			series = k
		}
		if !c.specAffected(ns) {
			strict = k
			break
		}
	}
	// Without release data a new series' requires-python is unknown: when
	// the project declares which Python it supports, stay in the declared
	// series if it has a safe release.
	if strict != nil && series != nil && !c.fromIndex && d.env.lowest != nil &&
		floorSeries >= 0 && seriesOf(strict.v) != floorSeries && seriesOf(series.v) == floorSeries {
		strict = nil
	}
	switch {
	case strict != nil:
		t.To, t.Hashes = strict.s, strict.hashes
	case series != nil:
		t.To, t.Hashes = series.s, series.hashes
		t.Residual = fmt.Sprintf("still allows affected versions outside %s; add an upper bound or raise the Python requirement to exclude them", seriesSpec(series.v))
	default:
		t.Reason = c.reason(d, rej)
	}
	return t
}

// seriesOf is the release series of v: its major version, or for 0.x its
// minor version (as 1000+minor).
func seriesOf(v pep440.Version) int {
	r := v.Release()
	if len(r) == 0 {
		return 0
	}
	if r[0] == 0 && len(r) > 1 {
		return 1000 + r[1]
	}
	return r[0]
}

// seriesSpec is the wildcard pin of v's series: "==4.*", or "==0.3.*".
func seriesSpec(v pep440.Version) string {
	r := v.Release()
	if len(r) > 1 && r[0] == 0 {
		return "==0." + strconv.Itoa(r[1]) + ".*"
	}
	if len(r) == 0 {
		return "==0.*"
	}
	return "==" + strconv.Itoa(r[0]) + ".*"
}

func (c *chooser) reason(d *declaration, rej rejection) string {
	switch {
	case len(c.cands) == 0:
		return "no fixed version is known"
	case rej.python > 0 && d.env.lowest != nil:
		return fmt.Sprintf("no known version clears every advisory, fits the declared constraints and supports Python %s (%s)", d.env.lowest, c.py)
	case rej.constraint > 0:
		return "no known version clears every advisory within the declared constraints"
	}
	return "every known newer version is affected by some advisory"
}

// mergeTargets joins targets that move the same declared version or
// specifier to the same version.
func mergeTargets(ts []Target) []Target {
	var out []Target
	idx := map[string]int{}
	for _, t := range ts {
		k := t.From + "\x00" + t.To + "\x00" + t.Reason + "\x00" + t.Residual + "\x00" + strings.Join(t.Hashes, " ")
		if i, ok := idx[k]; ok {
			out[i].Locations = append(out[i].Locations, t.Locations...)
			out[i].Advisories = uniq(append(append([]string(nil), out[i].Advisories...), t.Advisories...))
			continue
		}
		idx[k] = len(out)
		t.Advisories = append([]string(nil), t.Advisories...)
		out = append(out, t)
	}
	return out
}

// candidates lists versions to consider, oldest first: the index's releases
// when it answered, else the fix versions the advisories name.
func candidates(name string, all []*advisory.Entry, releases []pypi.Release) ([]candidate, bool) {
	var out []candidate
	for _, r := range releases {
		v, err := pep440.Parse(r.Version)
		if err != nil {
			continue
		}
		out = append(out, candidate{v: v, s: r.Version, yanked: r.Yanked, hashes: fileHashes(r.Files), requires: requiresPython(r.Files)})
	}
	fromIndex := len(out) > 0
	if !fromIndex {
		seen := map[string]bool{}
		for _, e := range all {
			for _, s := range advisory.FixVersions(e, name) {
				v, err := pep440.Parse(s)
				if err != nil || seen[v.String()] {
					continue
				}
				seen[v.String()] = true
				out = append(out, candidate{v: v, s: s})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].v.Compare(out[j].v) < 0 })
	return out, fromIndex
}

// requiresPython lists the requires-python of every non-yanked file ("" for
// a file without one); nil when there is no file to say.
func requiresPython(files []pypi.File) []string {
	out := []string{}
	for _, f := range files {
		if !f.Yanked {
			out = append(out, f.RequiresPython)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fileHashes returns the sha256 of every non-yanked file, sorted.
func fileHashes(files []pypi.File) []string {
	var hs []string
	for _, f := range files {
		if f.Yanked {
			continue
		}
		if h := strings.ToLower(f.Digests["sha256"]); len(h) == 64 {
			hs = append(hs, "sha256:"+h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	return uniq(hs)
}

// String is a one-line summary of a fix.
func (f Fix) String() string {
	if len(f.Targets) == 0 {
		return fmt.Sprintf("%s %s: %s (%s)", f.Name, strings.Join(f.From, ", "), f.Reason, strings.Join(f.Advisories, ", "))
	}
	var parts []string
	for _, t := range f.Targets {
		if t.To == "" {
			parts = append(parts, fmt.Sprintf("%s: %s", t.From, t.Reason))
		} else {
			parts = append(parts, fmt.Sprintf("%s -> %s", t.From, t.To))
		}
	}
	return fmt.Sprintf("%s %s (fixes %s)", f.Name, strings.Join(parts, ", "), strings.Join(f.Advisories, ", "))
}
