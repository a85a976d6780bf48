package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// InventoryOptions configure ResolveInventory.
type InventoryOptions struct {
	// Env is the target environment (zero: pep508.DefaultEnv("3.12", "linux")).
	Env pep508.Env
	// IndexURL is the Simple API base to resolve from ("": the inventory's
	// own --index-url option, else PyPI's Simple API).
	IndexURL string
	// ExtraIndexURLs are added to the inventory's --extra-index-url options.
	ExtraIndexURLs []string
	// CacheDir is pyvet's cache directory (the pypi client's cache lives
	// under it, pypi.DefaultCacheDir).
	CacheDir string
	// Offline resolves from the cache only.
	Offline bool
	// UploadedPriorTo, when set, leaves out files uploaded at or after it.
	UploadedPriorTo time.Time
	// Prereleases is the pre-release rule (default PrereleasesPip).
	Prereleases Prereleases
	// Progress receives the client's progress output (nil: none).
	Progress io.Writer
	// Client, when set, is used instead of building one from IndexURL,
	// CacheDir and Offline (IndexURL then only names the index in notes).
	Client *pypi.Client
	// Constraints are extra constraints, added to the inventory's -c ones.
	Constraints []*pep508.Requirement
}

// env returns the target environment of o.
func (o InventoryOptions) env() pep508.Env {
	if len(o.Env) == 0 {
		return pep508.DefaultEnv("3.12", "linux")
	}
	return o.Env
}

// IndexURLFor returns the Simple API base a resolution of inv with o reads:
// o.IndexURL, else the inventory's --index-url, else PyPI's.
func IndexURLFor(inv *inventory.Inventory, o InventoryOptions) string {
	switch {
	case o.IndexURL != "":
		return o.IndexURL
	case o.Client != nil:
		return o.Client.Options().SimpleURL
	case inv != nil && inv.Index.IndexURL != "":
		return inv.Index.IndexURL
	}
	return pypi.DefaultSimpleURL
}

// NeedsResolution reports whether inv leaves part of its dependency closure
// to the installer: requirements-style inputs (requirements files unless
// every requirement is hashed, which pip's hash-checking mode requires to
// be the whole closure), pyproject.toml / Pipfile / setup.cfg / scripts'
// inline metadata without a lockfile. An inventory that reads a lockfile,
// an environment, an SBOM or an archive records what is installed: false.
func NeedsResolution(inv *inventory.Inventory) bool {
	if inv == nil {
		return false
	}
	reqFiles := map[string]bool{}
	manifest := false
	for _, s := range inv.Sources {
		ff := inventory.SourceFormat(s)
		if ff == nil {
			return false // an environment, a site-packages folder: installed
		}
		switch ff.Kind {
		case inventory.KindLock, inventory.KindOther:
			return false
		case inventory.KindManifest:
			manifest = true
		case inventory.KindRequirements:
			reqFiles[s.Path] = true
		}
	}
	if manifest {
		return true
	}
	if len(reqFiles) == 0 {
		return false
	}
	// Requirements files: complete only when every requirement is hashed.
	for _, p := range inv.Packages {
		if p == nil || p.Project || p.Constraint {
			continue
		}
		if len(p.Hashes) == 0 {
			return true
		}
	}
	return false
}

// Requirements returns the root requirements (direct, non-project
// packages, with extras and markers; -e/local/URL/VCS ones left out, with
// the reason in skipped by name) and the constraints (-c files) inv
// declares.
func Requirements(inv *inventory.Inventory) (reqs, constraints []*pep508.Requirement, skipped map[string]string) {
	skipped = map[string]string{}
	if inv == nil {
		return nil, nil, skipped
	}
	for _, p := range inv.Packages {
		if p == nil || p.Project {
			continue
		}
		if p.Source.Editable || p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex {
			if !p.Constraint {
				skipped[p.Name] = skipReason(p)
			}
			continue
		}
		r, err := declaredRequirement(p)
		if err != nil {
			skipped[p.Name] = "not a requirement an index can resolve: " + finding.Clip(err.Error(), 160)
			continue
		}
		if p.Constraint {
			r.Extras = nil // a constraint restricts versions only
			constraints = append(constraints, r)
		} else {
			reqs = append(reqs, r)
		}
	}
	return reqs, constraints, skipped
}

// skipReason says why a package is installed as declared.
func skipReason(p *inventory.Package) string {
	switch {
	case p.Source.Editable:
		return "an editable requirement: installed from its checkout, as declared"
	case p.Source.Kind == inventory.SourcePath:
		return "a local requirement: installed from its path, as declared"
	case p.Source.Kind == inventory.SourceVCS:
		return "a VCS requirement: installed from its repository, as declared"
	case p.Source.Kind == inventory.SourceURL:
		return "a URL requirement: installed from its archive, as declared"
	}
	return "a " + string(p.Source.Kind) + " requirement: installed as declared"
}

// declaredRequirement is the PEP 508 requirement a declared package stands for.
func declaredRequirement(p *inventory.Package) (*pep508.Requirement, error) {
	s := p.Name
	if len(p.Extras) > 0 {
		s += "[" + strings.Join(p.Extras, ",") + "]"
	}
	switch {
	case p.Version != "":
		s += "==" + p.Version
	case p.Specifier != "":
		s += p.Specifier
	}
	if p.Marker != "" {
		s += "; " + p.Marker
	}
	return pep508.ParseRequirement(s)
}

// InputName names inv's inputs in a message: its source paths.
func InputName(inv *inventory.Inventory) string {
	if inv == nil || len(inv.Sources) == 0 {
		return "the input"
	}
	var names []string
	for _, s := range inv.Sources {
		if !slices.Contains(names, s.Path) {
			names = append(names, s.Path)
		}
	}
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" (+%d)", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// InputError is a failed resolution of an inventory: the input it names and
// the resolver's error (*NoSolutionError, *IncompleteError or another).
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return e.Input + ": " + e.Err.Error() }

// Unwrap returns the resolver's error.
func (e *InputError) Unwrap() error { return e.Err }

// ResolveInventory resolves inv's requirements and returns a new inventory:
// every resolved package pinned (Version set, Resolved unless the input
// pinned it to exactly that version), Direct for the roots, Parents,
// Requires and Required from the graph's edges, the declarations' Locations
// kept on the direct packages, Files (with Uploaded) from the selected
// release; packages the resolver leaves out (local, VCS, URL, the project)
// kept as declared, with a warning that their own dependencies are not
// resolved. Errors are *InputError wrapping *NoSolutionError (also when the
// target Python is outside the project's requires-python) or
// *IncompleteError (offline without a cached copy, the index unreachable).
func ResolveInventory(ctx context.Context, inv *inventory.Inventory, o InventoryOptions) (*inventory.Inventory, *Graph, error) {
	if inv == nil {
		return nil, nil, errors.New("resolve: no inventory")
	}
	input := InputName(inv)
	fail := func(err error) (*inventory.Inventory, *Graph, error) {
		return nil, nil, &InputError{Input: input, Err: err}
	}
	env := o.env()
	if err := checkProjectPython(inv, env); err != nil {
		return fail(err)
	}
	if inv.Index.NoIndex && o.IndexURL == "" && o.Client == nil {
		return fail(errors.New("--no-index: the packages come from --find-links only, which pyvet does not resolve from; give --index-url"))
	}
	reqs, constraints, skipped := Requirements(inv)
	constraints = append(constraints, o.Constraints...)
	client := o.Client
	if client == nil {
		client = pypi.New(pypi.Options{
			SimpleURL: IndexURLFor(inv, o), CacheDir: pypi.DefaultCacheDir(o.CacheDir),
			Offline: o.Offline, Progress: o.Progress,
		})
	}
	ix := NewIndex(client, Tags(env))
	if extra := extraIndexes(inv, o); len(extra) > 0 {
		ix = ix.WithExtraIndexes(extra...)
	}
	g, err := Resolve(ctx, reqs, Options{
		Provider: ix, Env: env, Prereleases: o.Prereleases, Constraints: constraints,
		UploadedPriorTo: o.UploadedPriorTo,
	})
	if err != nil {
		return fail(err)
	}
	return resolvedInventory(inv, g, skipped), g, nil
}

// extraIndexes are the inventory's --extra-index-url options, then o's.
func extraIndexes(inv *inventory.Inventory, o InventoryOptions) []string {
	var out []string
	for _, u := range append(slices.Clone(inv.Index.ExtraIndexURLs), o.ExtraIndexURLs...) {
		if u = strings.TrimRight(u, "/"); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// ExtraIndexURLsFor returns the extra Simple API bases a resolution of inv
// with o reads besides IndexURLFor.
func ExtraIndexURLsFor(inv *inventory.Inventory, o InventoryOptions) []string {
	if inv == nil {
		inv = &inventory.Inventory{}
	}
	return extraIndexes(inv, o)
}

// checkProjectPython returns a *NoSolutionError when a project file of inv
// says the project does not support the target Python (pyproject.toml's
// requires-python, Pipfile's python_version): pip refuses to install it.
func checkProjectPython(inv *inventory.Inventory, env pep508.Env) error {
	target, err := pep440.Parse(env["python_full_version"])
	if err != nil {
		return fmt.Errorf("target Python %q is not a version", env["python_full_version"])
	}
	for _, s := range inv.Sources {
		ff := inventory.SourceFormat(s)
		if ff == nil || ff.Python == nil || ff.Kind != inventory.KindManifest {
			continue
		}
		data, err := safeio.ReadFile(s.Path, safeio.MaxTextFile)
		if err != nil {
			continue // the inventory read it; a file gone since says nothing
		}
		for _, b := range ff.Python(data) {
			if supports(b.Specs, target) {
				continue
			}
			return &NoSolutionError{Explanation: fmt.Sprintf(
				"%s: %s does not include the target Python %s: give --python-version a version the project supports",
				s.Path, b.What, target)}
		}
	}
	return nil
}

// supports reports whether v is in any of specs; a specifier that is not
// PEP 440 says nothing (true).
func supports(specs []string, v pep440.Version) bool {
	if len(specs) == 0 {
		return true
	}
	for _, s := range specs {
		set, err := pep440.ParseSpecifierSet(s)
		if err != nil || set.ContainsPrereleases(v, true) {
			return true
		}
	}
	return false
}

// resolvedInventory is inv with the graph's packages pinned: the roots
// direct with their declarations, every version the input did not pin
// Resolved, the edges as Requires, Parents and Required, the files of the
// selected release; the packages left to the installer stay as declared.
func resolvedInventory(inv *inventory.Inventory, g *Graph, skipped map[string]string) *inventory.Inventory {
	out := &inventory.Inventory{Sources: inv.Sources, Index: inv.Index, Warnings: slices.Clone(inv.Warnings)}
	declared := map[string][]*inventory.Package{}
	for _, p := range inv.Packages {
		if p != nil && !p.Project && skipped[p.Name] == "" {
			declared[p.Name] = append(declared[p.Name], p)
		}
	}
	byName := map[string]*inventory.Package{}
	for _, n := range g.Packages {
		p := &inventory.Package{Name: n.Name, Version: n.Version.String(), Extras: n.Extras,
			Source: inventory.Source{Kind: inventory.SourceIndex}, Resolved: true}
		for _, d := range declared[n.Name] {
			if p.RawName == "" {
				p.RawName = d.RawName
			}
			if p.Specifier == "" {
				p.Specifier = d.Specifier
				if p.Specifier == "" && d.Version != "" {
					p.Specifier = "==" + d.Version
				}
			}
			if p.Marker == "" {
				p.Marker = d.Marker
			}
			p.Locations = append(p.Locations, d.Locations...)
			p.Hashes = append(p.Hashes, d.Hashes...)
			p.Groups = appendNew(p.Groups, d.Groups...)
			p.Index = d.Index
			if pinnedTo(d, n.Version) {
				p.Resolved = false
			}
		}
		for _, f := range n.Files {
			lf := inventory.File{Name: f.Filename, URL: f.URL, Size: f.Size}
			for _, algo := range slices.Sorted(maps.Keys(f.Hashes)) {
				lf.Hashes = append(lf.Hashes, strings.ToLower(algo)+":"+f.Hashes[algo])
			}
			if !f.Uploaded.IsZero() {
				lf.Uploaded = f.Uploaded.UTC().Format(time.RFC3339Nano)
			}
			p.Files = append(p.Files, lf)
		}
		byName[n.Name] = p
		out.Packages = append(out.Packages, p)
	}
	edge := func(from string, e Edge) {
		to := byName[e.To]
		if to == nil || e.Requirement == nil {
			return
		}
		if from == "" {
			to.Direct = true
		} else if f := byName[from]; f != nil && from != e.To {
			f.Requires = appendNew(f.Requires, e.To)
			to.Parents = appendNew(to.Parents, from)
		}
		if to.Required == nil {
			to.Required = map[string]string{}
		}
		if _, ok := to.Required[from]; !ok {
			to.Required[from] = e.Requirement.String()
		}
	}
	for _, e := range g.Root {
		edge("", e)
	}
	for _, n := range g.Packages {
		for _, e := range n.Dependencies {
			edge(n.Name, e)
		}
	}
	for _, p := range out.Packages {
		sort.Strings(p.Requires)
		sort.Strings(p.Parents)
	}
	// The project and the packages an index cannot resolve stay as
	// declared; what they require is not known.
	var kept []string
	for _, p := range inv.Packages {
		if p == nil || byName[p.Name] != nil {
			continue
		}
		switch {
		case p.Project:
			out.Packages = append(out.Packages, p)
		case skipped[p.Name] != "":
			out.Packages = append(out.Packages, p)
			if !slices.Contains(kept, p.Name) {
				kept = append(kept, p.Name)
			}
		}
	}
	// Declarations whose marker is false for the target are not installed
	// there; say so, since they are not audited either.
	var inapplicable []string
	for _, p := range inv.Packages {
		if p != nil && !p.Project && !p.Constraint && skipped[p.Name] == "" && byName[p.Name] == nil && !slices.Contains(inapplicable, p.Name) {
			inapplicable = append(inapplicable, p.Name)
		}
	}
	if len(inapplicable) > 0 {
		sort.Strings(inapplicable)
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d declaration(s) do not apply to the target environment (their markers) and are not audited: %s; --python-version and --platform choose the target",
			len(inapplicable), finding.Clip(strings.Join(inapplicable, ", "), 200)))
	}
	sort.Strings(kept)
	for _, name := range kept {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: %s; its own dependencies are not resolved and not audited", name, skipped[name]))
	}
	return out
}

// appendNew appends the values of vs that s does not hold.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

// pinnedTo reports whether the declaration pins exactly version v.
func pinnedTo(d *inventory.Package, v pep440.Version) bool {
	if d.Version != "" {
		dv, err := pep440.Parse(d.Version)
		return err == nil && dv.String() == v.String()
	}
	if set, err := pep440.ParseSpecifierSet(d.Specifier); err == nil {
		if exact, ok := set.ExactVersion(); ok {
			dv, err := pep440.Parse(exact)
			return err == nil && dv.String() == v.String()
		}
	}
	return false
}

// Summary says how a resolved set was obtained, for a report's metadata:
// "resolved 14 packages for Python 3.12.0 on linux from https://pypi.org/simple".
func Summary(inv *inventory.Inventory, g *Graph, o InventoryOptions) string {
	env := o.env()
	s := fmt.Sprintf("resolved %d packages for Python %s on %s from %s", len(g.Packages),
		env["python_full_version"], env["sys_platform"], IndexURLFor(inv, o))
	if extra := ExtraIndexURLsFor(inv, o); len(extra) > 0 {
		s += " (and " + strings.Join(extra, ", ") + ")"
	}
	if !o.UploadedPriorTo.IsZero() {
		s += ", files uploaded before " + o.UploadedPriorTo.UTC().Format(time.RFC3339)
	}
	if o.Offline {
		s += ", offline from the cache"
	}
	return s
}
