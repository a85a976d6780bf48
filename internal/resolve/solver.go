package resolve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// pkg is one PubGrub package: a project, or a project with one extra (a
// virtual package "name[extra]" that depends on the project at the same
// version and on the extra's requirements), or the root.
type pkg struct {
	key      string // "name", "name[extra]", or "" for the root
	name     string // normalized project name
	extra    string
	base     int  // index of the project's own package (itself for a project)
	n        int  // number of versions
	all      vset // every state (read-only)
	versions []pep440.Version
	releases []Release // newest first, parallel to versions
	missing  bool      // the index has no such project
	deps     map[int]*depList
}

// depList is the dependencies of one version of a package in the target
// environment.
type depList struct {
	reqs []*pep508.Requirement
	dist *Dist
}

type causeKind uint8

const (
	causeRoot causeKind = iota
	causeDependency
	causeUnavailable
	causeNoVersions
	causeDerived
)

// term restricts one package to a set of states (see vset).
type term struct {
	pkg int
	set vset
}

// incompat is a PubGrub incompatibility: a set of terms that must not all be
// true.
type incompat struct {
	terms  []term
	kind   causeKind
	c1, c2 *incompat
	// from/ver: the package and version a dependency or unavailability is about.
	from, ver int
	req       *pep508.Requirement // causeDependency: the requirement
	reason    string              // causeUnavailable: why the versions cannot be used
}

type assignment struct {
	term
	level    int
	cause    *incompat // nil for decisions
	decision bool
}

type solver struct {
	ctx    context.Context
	opts   Options
	env    pep508.Env
	python pep440.Version
	tags   map[string]int
	pkgs   []*pkg
	byKey  map[string]int
	byPkg  [][]*incompat // incompatibilities mentioning each package

	assigns []assignment
	cur     []vset // cumulative intersection of each package's assignments (nil: unconstrained)
	decided []int  // decided version index per package (-1: none)
	level   int

	rootReqs    []*pep508.Requirement // root requirements that apply in env
	explicitPre map[string]bool       // projects a root requirement opts into pre-releases for
	pins        map[string][]pep440.SpecifierSet
	constraints map[string][]*pep508.Requirement // constraints that apply in env, by project
	noBinary    map[string]bool
	noBuild     map[string]bool

	mu     sync.Mutex
	failed map[string]error // projects the index could not be read for
}

func newSolver(ctx context.Context, reqs []*pep508.Requirement, opts Options) (*solver, error) {
	env := opts.Env
	if env == nil {
		env = pep508.DefaultEnv("3.12", "linux")
	}
	py, err := pep440.Parse(env["python_full_version"])
	if err != nil {
		return nil, fmt.Errorf("resolve: target python_full_version %q: %w", env["python_full_version"], err)
	}
	tags := opts.Tags
	if tags == nil {
		tags = Tags(env)
	}
	s := &solver{ctx: ctx, opts: opts, env: env, python: py, tags: map[string]int{}, byKey: map[string]int{},
		explicitPre: map[string]bool{}, pins: map[string][]pep440.SpecifierSet{}, constraints: map[string][]*pep508.Requirement{},
		noBinary: nameSet(opts.NoBinary), noBuild: nameSet(opts.NoBuild), failed: map[string]error{}}
	for i, t := range tags {
		if _, ok := s.tags[t]; !ok {
			s.tags[t] = i
		}
	}
	for _, r := range append(slices.Clone(reqs), opts.Constraints...) {
		if r.URL != "" {
			return nil, fmt.Errorf("resolve: %s: direct URL requirements are not resolved from the index", r)
		}
	}
	for _, r := range reqs {
		if r.Marker == nil || r.Marker.Evaluate(env) {
			s.rootReqs = append(s.rootReqs, r)
		}
	}
	for _, r := range opts.Constraints {
		if r.Marker == nil || r.Marker.Evaluate(env) {
			n := pep508.NormalizeName(r.Name)
			s.constraints[n] = append(s.constraints[n], r)
		}
	}
	for _, r := range append(slices.Clone(s.rootReqs), opts.Constraints...) {
		n := pep508.NormalizeName(r.Name)
		if mentionsPrerelease(r.Specifier) {
			s.explicitPre[n] = true
		}
		if _, ok := r.Specifier.ExactVersion(); ok {
			s.pins[n] = append(s.pins[n], r.Specifier)
		}
	}
	root := &pkg{key: "", n: 1, versions: []pep440.Version{{}}, releases: []Release{{}}}
	s.addPkg(root)
	return s, nil
}

// mentionsPrerelease reports whether a clause of set names a pre-release,
// with any operator (uv's "explicit" opt-in: "<2.0a2" counts, where
// packaging's rule counts only inclusive operators).
func mentionsPrerelease(set pep440.SpecifierSet) bool {
	for _, sp := range set.Specifiers() {
		if v, err := pep440.Parse(strings.TrimSuffix(sp.Version(), ".*")); err == nil && v.IsPrerelease() {
			return true
		}
	}
	return false
}

func nameSet(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		if n == ":all:" {
			m[n] = true
		} else {
			m[pep508.NormalizeName(n)] = true
		}
	}
	return m
}

func (s *solver) addPkg(p *pkg) int {
	i := len(s.pkgs)
	p.all = full(p.n)
	if p.base == 0 && p.key != "" && p.extra == "" {
		p.base = i
	}
	s.pkgs = append(s.pkgs, p)
	s.byKey[p.key] = i
	s.byPkg = append(s.byPkg, nil)
	s.cur = append(s.cur, nil)
	s.decided = append(s.decided, -1)
	return i
}

func pkgKey(name, extra string) string {
	if extra == "" {
		return name
	}
	return name + "[" + extra + "]"
}

// load makes sure the packages for the given keys exist, fetching the
// releases of new projects concurrently.
func (s *solver) load(keys []string) {
	type want struct{ name, extra string }
	var fetch []string
	seen := map[string]bool{}
	var ws []want
	for _, k := range keys {
		if _, ok := s.byKey[k]; ok {
			continue
		}
		name, extra, _ := strings.Cut(strings.TrimSuffix(k, "]"), "[")
		ws = append(ws, want{name, extra})
		if _, ok := s.byKey[name]; !ok && !seen[name] {
			seen[name] = true
			fetch = append(fetch, name)
		}
	}
	if len(ws) == 0 {
		return
	}
	results := make([][]Release, len(fetch))
	errs := make([]error, len(fetch))
	g, gctx := errgroup.WithContext(s.ctx)
	g.SetLimit(16)
	for i, name := range fetch {
		g.Go(func() error {
			results[i], errs[i] = s.opts.Provider.Releases(gctx, name)
			return nil
		})
	}
	_ = g.Wait()
	for i, name := range fetch {
		s.addProject(name, results[i], errs[i])
	}
	for _, w := range ws {
		k := pkgKey(w.name, w.extra)
		if _, ok := s.byKey[k]; ok {
			continue
		}
		b := s.pkgs[s.byKey[w.name]]
		s.addPkg(&pkg{key: k, name: w.name, extra: w.extra, base: s.byKey[w.name], n: b.n, versions: b.versions,
			releases: b.releases, missing: b.missing})
	}
}

// addProject adds a project's package with its releases, newest first, and
// the incompatibilities that rule out the versions the target cannot use.
func (s *solver) addProject(name string, rels []Release, err error) {
	p := &pkg{key: name, name: name}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			p.missing = true
		} else {
			s.fail(name, err)
		}
		rels = nil
	}
	rels = slices.Clone(rels)
	sort.SliceStable(rels, func(i, j int) bool { return rels[j].Version.Less(rels[i].Version) })
	rels = slices.CompactFunc(rels, func(a, b Release) bool { return a.Version.Equal(b.Version) })
	p.releases = rels
	p.n = len(rels)
	p.versions = make([]pep440.Version, p.n)
	for i := range rels {
		p.versions[i] = rels[i].Version
	}
	id := s.addPkg(p)
	if p.n == 0 {
		return
	}
	// Versions the target cannot use, grouped by reason.
	groups := map[string]vset{}
	var order []string
	mark := func(reason string, i int) {
		g, ok := groups[reason]
		if !ok {
			g = make(vset, words(p.n))
			groups[reason] = g
			order = append(order, reason)
		}
		g.add(i)
	}
	allPre := true
	for _, v := range p.versions {
		if !v.IsPrerelease() {
			allPre = false
		}
	}
	for i, r := range rels {
		if reason := s.unusable(name, &r); reason != "" {
			mark(reason, i)
			continue
		}
		if c := s.excludedBy(name, r.Version); c != nil {
			mark("is excluded by the constraint "+c.String(), i)
			continue
		}
		if r.Version.IsPrerelease() && s.opts.Prereleases == PrereleasesIfNecessaryOrExplicit && !allPre && !s.explicitPre[name] {
			mark("is a pre-release (not requested)", i)
		}
	}
	for _, reason := range order {
		s.addIncompat(&incompat{terms: []term{{id, groups[reason]}}, kind: causeUnavailable, from: id, ver: -1, reason: reason})
	}
}

// excludedBy returns the first constraint on name that v does not satisfy
// (pre-releases are the pre-release rule's business, not the constraint's).
func (s *solver) excludedBy(name string, v pep440.Version) *pep508.Requirement {
	for _, c := range s.constraints[name] {
		if !c.Specifier.ContainsPrereleases(v, true) {
			return c
		}
	}
	return nil
}

func (s *solver) fail(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.failed[name]; !ok {
		s.failed[name] = err
	}
}

// pinned reports whether a root requirement or constraint pins name to v
// exactly, which makes a yanked v usable (PEP 592).
func (s *solver) pinned(name string, v pep440.Version) bool {
	for _, sp := range s.pins[name] {
		if sp.ContainsPrereleases(v, true) {
			return true
		}
	}
	return false
}

// unusable says why the target cannot install release r, or "".
func (s *solver) unusable(name string, r *Release) string {
	if len(r.Files) == 0 {
		return "has no files"
	}
	pinned := s.pinned(name, r.Version)
	var yanked, python, tags, policy, recent int
	var pyReason string
	for _, f := range r.Files {
		switch {
		case s.tooNew(f):
			recent++
		case f.Yanked && !pinned:
			yanked++
		case !s.pythonOK(f.RequiresPython):
			python++
			pyReason = f.RequiresPython
		default:
			wheel := strings.HasSuffix(strings.ToLower(f.Filename), ".whl")
			switch {
			case wheel && (s.noBinary[name] || s.noBinary[":all:"]):
				policy++
			case wheel && !s.wheelOK(f.Filename):
				tags++
			case !wheel && (s.noBuild[name] || s.noBuild[":all:"]):
				policy++
			default:
				return ""
			}
		}
	}
	switch {
	case recent == len(r.Files):
		return "was uploaded after " + s.opts.UploadedPriorTo.UTC().Format(time.RFC3339)
	case yanked+recent == len(r.Files):
		reason := "was yanked"
		if rr := r.Files[0].YankedReason; rr != "" {
			reason += " (reason: " + rr + ")"
		}
		return reason
	case python > 0 && tags == 0 && policy == 0:
		return "requires Python " + strings.TrimSpace(pyReason)
	case policy > 0 && tags == 0:
		return "has no distribution the build options allow (--no-binary / --no-build)"
	default:
		return "has no wheel for the target platform and no source distribution"
	}
}

// tooNew reports whether f was uploaded at or after Options.UploadedPriorTo.
func (s *solver) tooNew(f File) bool {
	return !s.opts.UploadedPriorTo.IsZero() && !f.Uploaded.IsZero() && !f.Uploaded.Before(s.opts.UploadedPriorTo)
}

// pythonOK reports whether a Requires-Python specifier admits the target.
func (s *solver) pythonOK(spec string) bool {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return true
	}
	set, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return true // pip ignores an invalid Requires-Python on an index link
	}
	return set.ContainsPrereleases(s.python, true)
}

// wheelOK reports whether a wheel file name has a tag the target accepts.
func (s *solver) wheelOK(filename string) bool {
	for _, t := range WheelTags(filename) {
		if _, ok := s.tags[t]; ok {
			return true
		}
	}
	return false
}

// addIncompat records ic, dropping terms that every state satisfies.
func (s *solver) addIncompat(ic *incompat) {
	for _, t := range ic.terms {
		s.byPkg[t.pkg] = append(s.byPkg[t.pkg], ic)
	}
}

// newIncompat builds an incompatibility from terms, intersecting terms on
// the same package and dropping those that are always true.
func (s *solver) newIncompat(terms []term, kind causeKind) *incompat {
	var out []term
	for _, t := range terms {
		merged := false
		for i := range out {
			if out[i].pkg == t.pkg {
				out[i].set = out[i].set.and(t.set)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, term{t.pkg, slices.Clone(t.set)})
		}
	}
	out = slices.DeleteFunc(out, func(t term) bool { return t.set.equal(s.pkgs[t.pkg].all) })
	return &incompat{terms: out, kind: kind, from: -1, ver: -1}
}

// curOf returns the package's cumulative assignment (every state when none).
func (s *solver) curOf(p int) vset {
	if c := s.cur[p]; c != nil {
		return c
	}
	return s.pkgs[p].all
}

type relation int

const (
	relSatisfied relation = iota
	relContradicted
	relAlmost
	relInconclusive
)

// relation of ic to the partial solution; for relAlmost, the one term not
// yet satisfied.
func (s *solver) relation(ic *incompat) (relation, term) {
	var unsat term
	n := 0
	for _, t := range ic.terms {
		c := s.curOf(t.pkg)
		switch {
		case c.subset(t.set):
		case c.disjoint(t.set):
			return relContradicted, term{}
		default:
			n++
			if n > 1 {
				return relInconclusive, term{}
			}
			unsat = t
		}
	}
	if n == 0 {
		return relSatisfied, term{}
	}
	return relAlmost, unsat
}

func (s *solver) assign(a assignment) {
	s.assigns = append(s.assigns, a)
	s.cur[a.pkg] = s.curOf(a.pkg).and(a.set)
	if a.decision {
		s.decided[a.pkg] = a.set.first(s.pkgs[a.pkg].n)
	}
}

func (s *solver) derive(t term, cause *incompat) {
	s.assign(assignment{term: t, level: s.level, cause: cause})
}

func (s *solver) decide(p, v int) {
	s.level++
	s.assign(assignment{term: term{p, single(s.pkgs[p].n, v)}, level: s.level, decision: true})
}

// backtrack removes the assignments made above level.
func (s *solver) backtrack(level int) {
	touched := map[int]bool{}
	i := len(s.assigns)
	for i > 0 && s.assigns[i-1].level > level {
		i--
		touched[s.assigns[i].pkg] = true
	}
	s.assigns = s.assigns[:i]
	s.level = level
	for p := range touched {
		s.cur[p] = nil
		s.decided[p] = -1
	}
	for _, a := range s.assigns {
		if touched[a.pkg] {
			s.cur[a.pkg] = s.curOf(a.pkg).and(a.set)
			if a.decision {
				s.decided[a.pkg] = a.set.first(s.pkgs[a.pkg].n)
			}
		}
	}
}

// satisfier returns the index of the earliest assignment after which the
// package's cumulative assignment satisfies t.
func (s *solver) satisfier(t term) int {
	c := full(s.pkgs[t.pkg].n)
	for i, a := range s.assigns {
		if a.pkg != t.pkg {
			continue
		}
		c = c.and(a.set)
		if c.subset(t.set) {
			return i
		}
	}
	return -1
}

// propagate runs unit propagation from a changed package.
func (s *solver) propagate(start int) error {
	changed := []int{start}
	for len(changed) > 0 {
		p := changed[len(changed)-1]
		changed = changed[:len(changed)-1]
		list := s.byPkg[p]
		for i := len(list) - 1; i >= 0; i-- {
			ic := list[i]
			rel, t := s.relation(ic)
			switch rel {
			case relSatisfied:
				root, err := s.resolveConflict(ic)
				if err != nil {
					return err
				}
				rel, t = s.relation(root)
				if rel != relAlmost {
					return fmt.Errorf("resolve: internal error: learned incompatibility is not almost satisfied")
				}
				s.derive(term{t.pkg, t.set.not(s.pkgs[t.pkg].n)}, root)
				changed = append(changed[:0], t.pkg)
				i = -1 // restart from the new package
			case relAlmost:
				s.derive(term{t.pkg, t.set.not(s.pkgs[t.pkg].n)}, ic)
				if !slices.Contains(changed, t.pkg) {
					changed = append(changed, t.pkg)
				}
			}
		}
	}
	return nil
}

func (s *solver) terminal(ic *incompat) bool {
	if len(ic.terms) == 0 {
		return true
	}
	return len(ic.terms) == 1 && ic.terms[0].pkg == 0 && !ic.terms[0].set.has(1)
}

// resolveConflict learns from a satisfied incompatibility until it finds one
// that backjumping makes almost satisfied (PubGrub's conflict resolution).
func (s *solver) resolveConflict(ic *incompat) (*incompat, error) {
	learned := false
	for {
		if s.terminal(ic) {
			return nil, &NoSolutionError{Explanation: s.explain(ic)}
		}
		satIdx, prevLevel := -1, 1
		var satTerm term
		for _, t := range ic.terms {
			idx := s.satisfier(t)
			if idx < 0 {
				return nil, fmt.Errorf("resolve: internal error: no satisfier")
			}
			if idx > satIdx {
				if satIdx >= 0 {
					prevLevel = max(prevLevel, s.assigns[satIdx].level)
				}
				satIdx, satTerm = idx, t
			} else {
				prevLevel = max(prevLevel, s.assigns[idx].level)
			}
		}
		sat := s.assigns[satIdx]
		n := s.pkgs[satTerm.pkg].n
		diff := sat.set.and(satTerm.set.not(n))
		if !diff.empty() {
			if pi := s.satisfier(term{satTerm.pkg, diff.not(n)}); pi >= 0 {
				prevLevel = max(prevLevel, s.assigns[pi].level)
			}
		}
		if sat.decision || prevLevel != sat.level {
			if learned {
				s.addIncompat(ic)
			}
			s.backtrack(prevLevel)
			return ic, nil
		}
		var terms []term
		for _, t := range ic.terms {
			if t.pkg != satTerm.pkg {
				terms = append(terms, t)
			}
		}
		for _, t := range sat.cause.terms {
			if t.pkg != satTerm.pkg {
				terms = append(terms, t)
			}
		}
		if !diff.empty() {
			terms = append(terms, term{satTerm.pkg, diff.not(n)})
		}
		next := s.newIncompat(terms, causeDerived)
		next.c1, next.c2 = ic, sat.cause
		ic = next
		learned = true
	}
}

// solve runs PubGrub from the root.
func (s *solver) solve() (*Graph, error) {
	// The root must be selected.
	s.addIncompat(&incompat{terms: []term{{0, single(1, 1)}}, kind: causeRoot, from: -1, ver: -1})
	if err := s.propagate(0); err != nil {
		return nil, s.finish(err)
	}
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		p := s.choose()
		if p < 0 {
			break
		}
		if err := s.step(p); err != nil {
			return nil, s.finish(err)
		}
	}
	if err := s.finish(nil); err != nil {
		return nil, err
	}
	return s.graph(), nil
}

// finish turns index failures into an IncompleteError: a solution or a
// conflict found without some projects' data is not the real answer.
func (s *solver) finish(err error) error {
	if len(s.failed) > 0 {
		return &IncompleteError{Projects: maps.Clone(s.failed)}
	}
	return err
}

// choose picks the undecided package with a positive assignment and the
// fewest remaining versions (ties: the one added first); -1 when done.
func (s *solver) choose() int {
	best, bestN := -1, 0
	for p := range s.pkgs {
		if s.decided[p] >= 0 || s.cur[p] == nil || s.cur[p].has(s.pkgs[p].n) {
			continue
		}
		c := s.cur[p].count()
		if best < 0 || c < bestN {
			best, bestN = p, c
		}
	}
	return best
}

// step decides the newest allowed version of p, after adding its
// dependencies, or learns that it has none.
func (s *solver) step(p int) error {
	pk := s.pkgs[p]
	v := s.pick(p)
	if v < 0 {
		ic := &incompat{terms: []term{{p, slices.Clone(s.cur[p])}}, kind: causeNoVersions, from: p, ver: -1}
		s.addIncompat(ic)
		return s.propagate(p)
	}
	deps, reason := s.dependencies(p, v)
	if reason != "" {
		s.addIncompat(&incompat{terms: []term{{p, single(pk.n, v)}}, kind: causeUnavailable, from: p, ver: v, reason: reason})
		return s.propagate(p)
	}
	conflict := false
	for _, d := range deps {
		s.addIncompat(d)
		// Would deciding p==v satisfy d at once?
		sat := true
		for _, t := range d.terms {
			if t.pkg == p {
				continue
			}
			if !s.curOf(t.pkg).subset(t.set) {
				sat = false
			}
		}
		conflict = conflict || sat
	}
	if !conflict {
		s.decide(p, v)
	}
	return s.propagate(p)
}

// pick returns the version of p to try: the newest one the partial
// solution allows. Under PrereleasesPip it is the newest final release
// unless a requirement on the project that applies now mentions a
// pre-release (packaging's rule on the requirements pip merges) or no final
// release is left.
func (s *solver) pick(p int) int {
	pk := s.pkgs[p]
	c := s.cur[p]
	v := c.first(pk.n)
	if v < 0 || s.opts.Prereleases != PrereleasesPip || !pk.versions[v].IsPrerelease() || s.preRequested(p) {
		return v
	}
	for i := v + 1; i < pk.n; i++ {
		if c.has(i) && !pk.versions[i].IsPrerelease() {
			return i
		}
	}
	return v
}

// preRequested reports whether a requirement on p's project from a package
// decided at the requiring version (or the root) admits pre-releases by
// packaging's rule.
func (s *solver) preRequested(p int) bool {
	name := s.pkgs[p].name
	for q, pk := range s.pkgs {
		if pk.name != name || q == 0 {
			continue
		}
		for _, ic := range s.byPkg[q] {
			if ic.kind == causeDependency && ic.req != nil && s.decided[ic.from] == ic.ver &&
				pep508.NormalizeName(ic.req.Name) == name && ic.req.Specifier.AllowsPrereleases() {
				return true
			}
		}
	}
	return false
}

// dependencies returns the dependency incompatibilities of version v of p,
// or why v cannot be used.
func (s *solver) dependencies(p, v int) ([]*incompat, string) {
	pk := s.pkgs[p]
	var reqs []*pep508.Requirement
	var self []*incompat
	if p == 0 {
		reqs = s.rootReqs
	} else {
		base := s.pkgs[pk.base]
		dl, reason := s.metadata(pk.base, v)
		if reason != "" {
			return nil, reason
		}
		if pk.extra == "" {
			reqs = dl.reqs
		} else {
			// name[extra]==v needs name==v and the extra's requirements.
			self = append(self, &incompat{terms: []term{{p, single(pk.n, v)}, {pk.base, single(base.n, v).not(base.n)}},
				kind: causeDependency, from: p, ver: v})
			env := maps.Clone(s.env)
			env["extra"] = pk.extra
			for _, r := range dl.dist.Requires {
				if r.Marker != nil && r.Marker.Evaluate(env) && !r.Marker.Evaluate(s.env) {
					reqs = append(reqs, r)
				}
			}
		}
	}
	var keys []string
	for _, r := range reqs {
		if r.URL != "" {
			return nil, "depends on " + r.String() + " (a direct URL, not resolved from the index)"
		}
		keys = append(keys, depKeys(r)...)
	}
	s.load(keys)
	out := self
	for _, r := range reqs {
		for _, k := range depKeys(r) {
			q := s.byKey[k]
			set := s.matching(q, r)
			out = append(out, &incompat{terms: s.dropFull([]term{{p, single(pk.n, v)}, {q, set.not(s.pkgs[q].n)}}),
				kind: causeDependency, from: p, ver: v, req: r})
			if pf, ok := s.opts.Provider.(Prefetcher); ok {
				if i := set.and(s.allowed(q)).first(s.pkgs[q].n); i >= 0 {
					pf.Prefetch(s.ctx, s.pkgs[q].name, &s.pkgs[q].releases[i])
				}
			}
		}
	}
	return out, ""
}

// allowed is the set of versions of p not already ruled out by an
// unavailability recorded when p was loaded.
func (s *solver) allowed(p int) vset {
	a := full(s.pkgs[p].n)
	for _, ic := range s.byPkg[s.pkgs[p].base] {
		if ic.kind == causeUnavailable && len(ic.terms) == 1 {
			a = a.and(ic.terms[0].set.not(s.pkgs[p].n))
		}
	}
	return a
}

func (s *solver) dropFull(terms []term) []term {
	return slices.DeleteFunc(terms, func(t term) bool { return t.set.equal(s.pkgs[t.pkg].all) })
}

// depKeys returns the packages a requirement needs: the project, or one
// virtual package per extra (each depends on the project itself).
func depKeys(r *pep508.Requirement) []string {
	name := pep508.NormalizeName(r.Name)
	if len(r.Extras) == 0 {
		return []string{name}
	}
	out := make([]string, 0, len(r.Extras))
	for _, e := range r.Extras {
		out = append(out, pkgKey(name, pep508.NormalizeName(e)))
	}
	return out
}

// matching returns the versions of q a requirement admits, as a positive
// set, pre-releases included: the pre-release rule is applied when loading
// the project (uv's) or when choosing a version (pip's).
func (s *solver) matching(q int, r *pep508.Requirement) vset {
	pk := s.pkgs[q]
	set := make(vset, words(pk.n))
	for i, v := range pk.versions {
		if r.Specifier.ContainsPrereleases(v, true) {
			set.add(i)
		}
	}
	return set
}

// metadata returns the parsed dependencies of version v of project p in the
// target environment, or why they cannot be had.
func (s *solver) metadata(p, v int) (*depList, string) {
	pk := s.pkgs[p]
	if dl, ok := pk.deps[v]; ok {
		return dl, ""
	}
	rel := &pk.releases[v]
	dist, err := s.opts.Provider.Metadata(s.ctx, pk.name, rel)
	if err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, "has no metadata on the index"
		case errors.Is(err, ErrInvalidMetadata):
			return nil, "has invalid metadata: " + err.Error()
		default:
			s.fail(pk.name, err)
			return nil, "could not be read from the index"
		}
	}
	if !s.pythonOK(dist.RequiresPython) {
		return nil, "requires Python " + strings.TrimSpace(dist.RequiresPython)
	}
	dl := &depList{dist: dist}
	for _, r := range dist.Requires {
		if r.Marker == nil || r.Marker.Evaluate(s.env) {
			dl.reqs = append(dl.reqs, r)
		}
	}
	if pk.deps == nil {
		pk.deps = map[int]*depList{}
	}
	pk.deps[v] = dl
	return dl, ""
}

// graph builds the result from the decisions.
func (s *solver) graph() *Graph {
	g := &Graph{byName: map[string]*Node{}}
	for p, pk := range s.pkgs {
		v := s.decided[p]
		if p == 0 || v < 0 {
			continue
		}
		n := g.byName[pk.name]
		if n == nil {
			n = &Node{Name: pk.name, Version: pk.versions[v]}
			g.byName[pk.name] = n
			g.Packages = append(g.Packages, n)
		}
		if pk.extra != "" {
			n.Extras = append(n.Extras, pk.extra)
		}
	}
	seen := map[[2]string]bool{}
	edge := func(from string, r *pep508.Requirement) Edge {
		return Edge{From: from, To: pep508.NormalizeName(r.Name), Requirement: r}
	}
	for _, r := range s.rootReqs {
		g.Root = append(g.Root, edge("", r))
	}
	for p, pk := range s.pkgs {
		v := s.decided[p]
		if p == 0 || v < 0 {
			continue
		}
		n := g.byName[pk.name]
		dl := s.pkgs[pk.base].deps[v]
		reqs := dl.reqs
		if pk.extra != "" {
			reqs = nil
			env := maps.Clone(s.env)
			env["extra"] = pk.extra
			for _, r := range dl.dist.Requires {
				if r.Marker != nil && r.Marker.Evaluate(env) && !r.Marker.Evaluate(s.env) {
					reqs = append(reqs, r)
				}
			}
		}
		for _, r := range reqs {
			e := edge(pk.name, r)
			if e.To == pk.name || seen[[2]string{pk.name, r.String()}] {
				continue
			}
			seen[[2]string{pk.name, r.String()}] = true
			n.Dependencies = append(n.Dependencies, e)
		}
		if pk.extra == "" {
			n.Files = s.installable(pk.name, &pk.releases[v])
		}
	}
	for _, n := range g.Packages {
		sort.Strings(n.Extras)
	}
	sort.Slice(g.Packages, func(i, j int) bool { return g.Packages[i].Name < g.Packages[j].Name })
	return g
}

// installable returns the files of r the target can use.
func (s *solver) installable(name string, r *Release) []File {
	pinned := s.pinned(name, r.Version)
	var out []File
	for _, f := range r.Files {
		if f.Yanked && !pinned || !s.pythonOK(f.RequiresPython) || s.tooNew(f) {
			continue
		}
		wheel := strings.HasSuffix(strings.ToLower(f.Filename), ".whl")
		if wheel && (!s.wheelOK(f.Filename) || s.noBinary[name] || s.noBinary[":all:"]) {
			continue
		}
		if !wheel && (s.noBuild[name] || s.noBuild[":all:"]) {
			continue
		}
		out = append(out, f)
	}
	return out
}
