package remedy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep440"
)

// Options control planning.
type Options struct {
	// Index lists releases (yanked status, file hashes). Nil, or an index that
	// cannot be reached, falls back to the versions the advisories name.
	Index *pypi.Client
}

// Fix is the planned upgrade of one vulnerable package.
type Fix struct {
	Name       string   `json:"name"`
	From       []string `json:"from"`                 // the vulnerable versions or specifiers declared
	To         string   `json:"to,omitempty"`         // "" when no safe version was found
	Advisories []string `json:"advisories"`           // ids the upgrade clears
	Hashes     []string `json:"hashes,omitempty"`     // "sha256:..." of To's files, when the index gave them
	Reason     string   `json:"reason,omitempty"`     // why To is empty
	FromIndex  bool     `json:"from_index,omitempty"` // candidates came from the package index
}

// Plan is every fix for an inventory.
type Plan struct {
	Fixes []Fix `json:"fixes"`
}

// declaration is one place a package is declared, reduced to what
// candidate selection needs.
type declaration struct {
	version    string // exact version, when pinned or locked
	spec       string // declared specifier, when known
	vulnerable bool   // some advisory affects it
}

// Compute finds, for each vulnerable package of inv, the smallest version that
// no advisory in db affects, that is not yanked (when the index is known),
// that is newer than every pinned version, and that every declaration of the
// package can move to without leaving any affected version allowed.
func Compute(ctx context.Context, inv *inventory.Inventory, db *advisory.DB, opts Options) *Plan {
	byName := map[string][]declaration{}
	var names []string
	for _, p := range inv.Packages {
		if p == nil || p.Project || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
			continue
		}
		n := normalize(p.Name)
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
		byName[n] = append(byName[n], declaration{version: p.Version, spec: p.Specifier})
	}
	sort.Strings(names)
	plan := &Plan{}
	var vulnNames []string
	for _, name := range names {
		decls := byName[name]
		ids, from := vulnerable(db, name, decls)
		if len(ids) == 0 {
			continue
		}
		plan.Fixes = append(plan.Fixes, Fix{Name: name, From: from, Advisories: ids})
		vulnNames = append(vulnNames, name)
	}
	// Fetch the release lists of every vulnerable package at once.
	projects := map[string]pypi.Result{}
	if opts.Index != nil && len(vulnNames) > 0 {
		projects, _ = opts.Index.Projects(ctx, vulnNames)
	}
	for i := range plan.Fixes {
		f := &plan.Fixes[i]
		var releases []pypi.Release
		if p := projects[pypi.NormalizeName(f.Name)].Project; p != nil {
			releases = p.ReleaseList()
		} else if opts.Index != nil {
			// An index without the JSON API: the Simple API lists the files.
			if page, err := opts.Index.Simple(ctx, f.Name); err == nil {
				releases = simpleReleases(f.Name, page)
			}
		}
		choose(f, db, byName[f.Name], releases)
	}
	return plan
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
		byVersion[v] = append(byVersion[v], pypi.File{Filename: sf.Filename, URL: sf.URL, Digests: sf.Hashes, Yanked: sf.Yanked, YankedReason: sf.YankedReason})
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

// vulnerable returns the advisories that affect some declaration.
func vulnerable(db *advisory.DB, name string, decls []declaration) (ids, from []string) {
	seen := map[string]bool{}
	for i := range decls {
		d := &decls[i]
		var es []*advisory.Entry
		label := d.version
		if d.version != "" {
			es = db.Query(name, d.version)
		} else {
			spec, err := pep440.ParseSpecifierSet(d.spec)
			if err != nil {
				continue
			}
			es = db.QuerySpec(name, spec)
			label = d.spec
			if label == "" {
				label = "*"
			}
		}
		if len(es) == 0 {
			continue
		}
		d.vulnerable = true
		from = append(from, label)
		for _, e := range es {
			if !seen[e.ID] {
				seen[e.ID] = true
				ids = append(ids, e.ID)
			}
		}
	}
	sort.Strings(ids)
	return ids, uniq(from)
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
	v      pep440.Version
	s      string
	yanked bool
	hashes []string
}

func choose(fix *Fix, db *advisory.DB, decls []declaration, releases []pypi.Release) {
	all := db.Query(fix.Name, "")
	cands, fromIndex := candidates(fix.Name, all, releases)
	fix.FromIndex = fromIndex
	var floor *pep440.Version
	allowPre := false
	for _, d := range decls {
		// Only the vulnerable pins set the floor: a clean pin of the same
		// package (another environment marker, another file) stays as it is.
		if d.version == "" || !d.vulnerable {
			continue
		}
		v, err := pep440.Parse(d.version)
		if err != nil {
			continue
		}
		if floor == nil || v.Compare(*floor) > 0 {
			floor = &v
		}
		allowPre = allowPre || v.IsPrerelease()
	}
	byConstraint := 0
next:
	for _, c := range cands {
		if c.yanked || (c.v.IsPrerelease() && !allowPre) {
			continue
		}
		if floor != nil && c.v.Compare(*floor) <= 0 {
			continue
		}
		for _, e := range all {
			if advisory.Affects(e, fix.Name, c.s) {
				continue next
			}
		}
		for _, d := range decls {
			// A pinned declaration can carry its declared range too (a
			// lockfile merged with pyproject.toml): its bounds still apply.
			if d.version != "" && d.spec == "" || !d.vulnerable && isExactPin(d.spec) {
				continue
			}
			ns, ok := rewriteSpec(d.spec, c.s)
			if !ok {
				byConstraint++
				continue next
			}
			set, err := pep440.ParseSpecifierSet(ns)
			if err != nil || len(db.QuerySpec(fix.Name, set)) > 0 {
				continue next
			}
		}
		fix.To = c.s
		fix.Hashes = c.hashes
		return
	}
	switch {
	case len(cands) == 0:
		fix.Reason = "no fixed version is known"
	case byConstraint > 0:
		fix.Reason = "no known version clears every advisory within the declared constraints"
	default:
		fix.Reason = "every known newer version is affected by some advisory"
	}
}

// isExactPin reports whether a specifier pins one version.
func isExactPin(spec string) bool {
	set, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return false
	}
	_, ok := set.ExactVersion()
	return ok
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
		out = append(out, candidate{v: v, s: r.Version, yanked: r.Yanked, hashes: fileHashes(r.Files)})
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
	if f.To == "" {
		return fmt.Sprintf("%s %s: %s (%s)", f.Name, strings.Join(f.From, ", "), f.Reason, strings.Join(f.Advisories, ", "))
	}
	return fmt.Sprintf("%s %s -> %s (fixes %s)", f.Name, strings.Join(f.From, ", "), f.To, strings.Join(f.Advisories, ", "))
}
