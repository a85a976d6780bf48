package inventory

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// Detect says which format path is, from its name and, when the name does not
// tell, its first bytes. Directories are virtualenvs (pyvenv.cfg),
// site-packages, *.dist-info / *.egg-info, or project directories.
func Detect(path string) Format {
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		base := filepath.Base(path)
		switch {
		case strings.HasSuffix(base, ".dist-info") || strings.HasSuffix(base, ".egg-info"):
			return FormatDistInfo
		case base == "conda-meta":
			return FormatCondaMeta
		case isDir(filepath.Join(path, "conda-meta")):
			return FormatVirtualenv
		case fileExists(filepath.Join(path, "pyvenv.cfg")) || len(sitePackagesOf(path)) > 0 && !hasProjectFiles(path):
			return FormatVirtualenv
		case base == "site-packages" || base == "dist-packages" || hasDistInfo(path) && !hasProjectFiles(path):
			return FormatSitePackages
		}
		return FormatProject
	}
	if f := detectName(path); f != FormatUnknown {
		return f
	}
	head := make([]byte, 4096)
	fh, err := safeio.Open(path, int64(len(head)))
	if err != nil {
		return FormatUnknown // ParseFile reports a FIFO or device
	}
	n, _ := io.ReadFull(fh, head)
	fh.Close()
	return sniff(head[:n])
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func hasDistInfo(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.dist-info"))
	return len(m) > 0
}

// hasProjectFiles reports whether dir holds a file that makes it a project
// (see FileFormat.MarksProject).
func hasProjectFiles(dir string) bool {
	for _, f := range formats {
		for _, n := range f.MarksProject {
			if fileExists(filepath.Join(dir, n)) {
				return true
			}
		}
	}
	return false
}

// ParseFile reads one file in the given format (FormatUnknown: detect it).
func ParseFile(path string, format Format, opts Options) (*Inventory, error) {
	if format == FormatUnknown {
		format = Detect(path)
	}
	ff := byName[string(format)]
	if ff == nil {
		if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
			return nil, errf(path, 0, "%s", readProblem(path, &safeio.NotRegularError{Path: path, Mode: st.Mode()}))
		}
		return nil, errf(path, 0, "unknown dependency file format (not a requirements file, pyproject.toml, lockfile, metadata file or archive)")
	}
	if ff.ParsePath != nil && opts.ReadFile == nil {
		return ff.ParsePath(path, opts)
	}
	read := opts.readFile
	if ff.MaxSize > 0 && opts.ReadFile == nil {
		read = func(p string) ([]byte, error) { return safeio.ReadFile(p, ff.MaxSize) }
	}
	data, err := read(path)
	if err != nil {
		return nil, errf(path, 0, "%s", readProblem(path, err))
	}
	return ff.Parse(path, data, opts)
}

func pathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// projectFile is a dependency file a project scan reads, and its format.
type projectFile struct {
	path   string
	format *FileFormat
}

// projectFiles lists the dependency files a user expects pyvet to read in a
// project directory, in a stable order: each format's files (see
// FileFormat.ProjectFiles), in the order of formats.
func projectFiles(dir string) []projectFile {
	var out []projectFile
	for _, f := range formats {
		if f.ProjectFiles == nil {
			continue
		}
		for _, p := range f.ProjectFiles(dir) {
			out = append(out, projectFile{p, f})
		}
	}
	return out
}

// EnvironmentOptions say how Load reads installed environments besides
// the paths it is given.
type EnvironmentOptions struct {
	// ActiveEnvironment makes Load with no paths (and no InstallPaths) read
	// the active environment when the current directory is a project
	// directory without dependency files: the virtualenv VIRTUAL_ENV names
	// (with the system site-packages when its pyvenv.cfg includes them),
	// else the site-packages of the python3 on PATH, as pip-audit does.
	// Without it, or when the directory holds dependency files, no paths
	// means ".".
	ActiveEnvironment bool
	// Local limits the active environment to what is installed in the
	// environment itself: a virtualenv without the system and user
	// site-packages, a system interpreter without the user site
	// (pip-audit's --local).
	Local bool
	// InstallPaths are directories of installed distributions (a
	// site-packages folder, a virtualenv or prefix) read besides the
	// paths (pip-audit's --path); given without paths they are all that
	// is read.
	InstallPaths []string
}

// Load reads every path (project directories, single files of any format,
// virtualenvs, site-packages folders, *.dist-info, wheels and sdists; none
// means ".", or the active environment: see EnvironmentOptions) and the
// InstallPaths, and merges the results: a package declared in several places
// (a lockfile and its pyproject.toml, two requirements files) appears once
// per name and version with every location. The first error stops Load: no
// partial inventory is returned.
func Load(paths []string, opts Options) (*Inventory, error) {
	var parts []*Inventory
	for _, dir := range opts.InstallPaths {
		inv, err := loadInstallPath(dir, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, inv)
	}
	if len(paths) == 0 && len(parts) == 0 {
		if opts.ActiveEnvironment && Detect(".") == FormatProject && len(projectFiles(".")) == 0 {
			inv, err := loadActiveEnvironment(opts)
			if err != nil {
				return nil, fmt.Errorf("no dependency files in the current directory, and %w", err)
			}
			parts = append(parts, inv)
		} else {
			paths = []string{"."}
		}
	}
	for _, path := range paths {
		st, err := os.Stat(path)
		if err != nil {
			return nil, errf(path, 0, "%v", pathError(err))
		}
		if !st.IsDir() {
			format := FormatUnknown
			if slices.Contains(opts.Requirements, path) {
				format = FormatRequirements
			}
			inv, err := ParseFile(path, format, opts)
			if err != nil {
				return nil, err
			}
			parts = append(parts, inv)
			continue
		}
		parse, ok := dirParsers[Detect(path)]
		if !ok {
			parse = loadProject
		}
		inv, err := parse(path, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, inv)
	}
	out := Merge(parts...)
	if opts.SkipEditable {
		skipLocal(out)
	}
	return out, nil
}

// dirParsers read the kinds of directories Detect recognizes.
var dirParsers = map[Format]func(string, Options) (*Inventory, error){
	FormatDistInfo:     ParseDistInfo,
	FormatSitePackages: ParseSitePackages,
	FormatCondaMeta:    parseCondaMetaDir,
	FormatVirtualenv:   loadPrefix,
	FormatProject:      loadProject,
}

// loadPrefix reads a virtualenv or Python / conda prefix: its conda-meta
// records and every site-packages directory.
func loadPrefix(dir string, opts Options) (*Inventory, error) {
	var parts []*Inventory
	if cm := filepath.Join(dir, "conda-meta"); isDir(cm) {
		inv, err := parseCondaMetaDir(cm, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, inv)
	}
	sites := sitePackagesOf(dir)
	if len(parts) == 0 && len(sites) == 0 {
		return nil, errf(dir, 0, "virtualenv without a site-packages directory")
	}
	for _, sp := range sites {
		inv, err := ParseSitePackages(sp, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, inv)
	}
	return Merge(parts...), nil
}

// parseCondaMetaDir reads every record of a conda environment's conda-meta
// directory.
func parseCondaMetaDir(dir string, opts Options) (*Inventory, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, errf(dir, 0, "%v", err)
	}
	sort.Strings(files)
	var parts []*Inventory
	var skipped []string
	for _, f := range files {
		if w := specialFile(f); w != "" {
			skipped = append(skipped, w)
			continue
		}
		inv, err := ParseFile(f, FormatCondaMeta, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, inv)
	}
	inv := Merge(parts...)
	inv.Warnings = append(inv.Warnings, skipped...)
	markRoots(inv.Packages)
	return inv, nil
}

// specialFile returns the warning a directory scan gives for a file it
// found that is a FIFO, device or other non-regular file (read, it could
// block or never end), or "" for a regular file. A file named on the
// command line is an error instead (see ParseFile).
func specialFile(path string) string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() {
		return ""
	}
	return fmt.Sprintf("%v; skipped", &safeio.NotRegularError{Path: path, Mode: st.Mode()})
}

// loadProject reads the dependency files of a project directory.
func loadProject(dir string, opts Options) (*Inventory, error) {
	files := projectFiles(dir)
	if len(files) == 0 {
		return nil, errf(dir, 0, "no dependency files found (looked for pyproject.toml, requirements*.txt, lockfiles, Pipfile, setup.cfg, environment.yml)")
	}
	var parts []*Inventory
	declared := map[string]bool{}
	hasManifest := false
	var rootless []*Inventory
	var skipped []string
	for _, pf := range files {
		if w := specialFile(pf.path); w != "" {
			skipped = append(skipped, w)
			continue
		}
		inv, err := ParseFile(pf.path, pf.format.Name, opts)
		if err != nil {
			return nil, err
		}
		if pf.format.DeclaresDirect && len(inv.Packages) > 0 {
			hasManifest = true
			for _, p := range inv.Packages {
				declared[p.Name] = true
			}
		}
		if pf.format.Lock != nil && pf.format.Lock.GuessesRoots {
			rootless = append(rootless, inv)
		}
		parts = append(parts, inv)
	}
	if hasManifest {
		// The manifest says what is direct; the lockfile's guess is not needed.
		for _, inv := range rootless {
			for _, p := range inv.Packages {
				p.Direct = declared[p.Name]
			}
		}
	}
	if name := localProjectName(opts, dir); name != "" {
		markProjectName(pep508.NormalizeName(name), parts)
	}
	out := Merge(parts...)
	out.Warnings = append(out.Warnings, skipped...)
	return out, nil
}

// markProjectName marks as the project (Package.Project, not direct) the
// packages named as the project's pyproject.toml names it that a lockfile
// records or that are installed from a local path: the project itself, not
// the index package of the same name. A requirement pinned to an index
// release of that name is left as it is.
func markProjectName(name string, parts []*Inventory) {
	for _, inv := range parts {
		locked := false
		for _, s := range inv.Sources {
			f := FormatOf(s.Format)
			locked = locked || f != nil && f.Lock != nil
		}
		for _, p := range inv.Packages {
			if p.Name == name && (locked || p.Local()) {
				p.Project, p.Direct = true, false
			}
		}
	}
}

// skipLocal leaves out of inv the packages installed from a local path or
// in editable mode (Options.SkipEditable), with one warning naming them.
func skipLocal(inv *Inventory) {
	kept := inv.Packages[:0]
	var names []string
	for _, p := range inv.Packages {
		if p.Local() && !p.Project {
			names = append(names, p.Name)
			continue
		}
		kept = append(kept, p)
	}
	inv.Packages = kept
	if len(names) == 0 {
		return
	}
	names = uniqSorted(names)
	shown := names
	if len(shown) > 5 {
		shown = shown[:5]
	}
	more := ""
	if len(names) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(names)-len(shown))
	}
	inv.Warnings = append(inv.Warnings, fmt.Sprintf("skipped %d editable or local-path packages: %s%s", len(names), strings.Join(shown, ", "), more))
}

// Merge combines inventories. Pinned packages merge by name and version;
// an unpinned declaration folds into the pinned packages of the same name
// (its location, groups and extras are kept, and it makes them direct);
// unpinned declarations with no pinned match merge by name, specifier,
// marker and source. The project itself (Package.Project) merges only with
// declarations of the project, never with a dependency of its name. Index
// options and warnings are concatenated.
func Merge(parts ...*Inventory) *Inventory {
	out := &Inventory{Sources: []SourceFile{}, Packages: []*Package{}}
	var all []*Package
	for _, inv := range parts {
		if inv == nil {
			continue
		}
		out.Sources = append(out.Sources, inv.Sources...)
		out.Warnings = append(out.Warnings, inv.Warnings...)
		ix := &out.Index
		if inv.Index.IndexURL != "" {
			ix.IndexURL = inv.Index.IndexURL
		}
		ix.ExtraIndexURLs = appendUniq(ix.ExtraIndexURLs, inv.Index.ExtraIndexURLs...)
		ix.FindLinks = appendUniq(ix.FindLinks, inv.Index.FindLinks...)
		ix.TrustedHosts = appendUniq(ix.TrustedHosts, inv.Index.TrustedHosts...)
		ix.NoIndex = ix.NoIndex || inv.Index.NoIndex
		ix.Locations = append(ix.Locations, inv.Index.Locations...)
		all = append(all, inv.Packages...)
	}
	// sets holds what each merged package already has, so merging n
	// declarations of one package stays linear.
	sets := map[*Package]*mergeSet{}
	merge := func(q, p *Package) {
		set := sets[q]
		if set == nil {
			set = newMergeSet(q)
			sets[q] = set
		}
		mergeInto(q, p, set)
	}
	pinned := map[string]*Package{}
	pinnedByName := map[string][]*Package{}
	for _, p := range all {
		if p.Version == "" {
			continue
		}
		key := p.Name + "\x00" + p.Version
		if p.Project {
			key += "\x00project" // the project never merges with a dependency of its name
		}
		if q, ok := pinned[key]; ok {
			merge(q, p)
			continue
		}
		c := clonePackage(p)
		pinned[key] = c
		pinnedByName[p.Name] = append(pinnedByName[p.Name], c)
		out.Packages = append(out.Packages, c)
	}
	loose := map[string]*Package{}
	for _, p := range all {
		if p.Version != "" {
			continue
		}
		if qs := pinnedByName[p.Name]; len(qs) > 0 {
			folded := false
			for _, q := range qs {
				if q.Project != p.Project {
					continue
				}
				merge(q, p)
				if q.Specifier == "" {
					q.Specifier = p.Specifier
				}
				folded = true
			}
			if folded {
				continue
			}
		}
		key := p.Name + "\x00" + p.Specifier + "\x00" + p.Marker + "\x00" + p.Source.URL + p.Source.Path + p.Source.Ref
		if p.Project {
			key += "\x00project"
		}
		if q, ok := loose[key]; ok {
			merge(q, p)
			continue
		}
		c := clonePackage(p)
		loose[key] = c
		out.Packages = append(out.Packages, c)
	}
	for q := range sets {
		q.Parents = uniqSorted(q.Parents)
		q.Requires = uniqSorted(q.Requires)
	}
	sortPackages(out.Packages)
	return out
}

// mergeSet is what a merged package holds, as sets.
type mergeSet struct {
	locs                                      map[Location]bool
	extras, hashes, groups, parents, requires map[string]bool
}

func newMergeSet(q *Package) *mergeSet {
	set := func(xs []string) map[string]bool {
		m := make(map[string]bool, len(xs))
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	s := &mergeSet{locs: make(map[Location]bool, len(q.Locations)),
		extras: set(q.Extras), hashes: set(q.Hashes), groups: set(q.Groups), parents: set(q.Parents), requires: set(q.Requires)}
	for _, l := range q.Locations {
		s.locs[l] = true
	}
	return s
}

// addNew appends to dst the strings of xs not in seen (nor empty).
func addNew(dst []string, seen map[string]bool, xs []string) []string {
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			dst = append(dst, x)
		}
	}
	return dst
}

// clonePackage copies p with its own slices, so merging never writes into
// the inventories Merge was given.
func clonePackage(p *Package) *Package {
	c := *p
	c.Extras = append([]string(nil), p.Extras...)
	c.Hashes = append([]string(nil), p.Hashes...)
	c.Groups = append([]string(nil), p.Groups...)
	c.Parents = append([]string(nil), p.Parents...)
	c.Requires = append([]string(nil), p.Requires...)
	c.Locations = append([]Location(nil), p.Locations...)
	return &c
}

// mergeInto adds what p knows to q (same package); set is what q holds
// (Merge sorts q's Parents and Requires at the end).
func mergeInto(q, p *Package, set *mergeSet) {
	q.Direct = q.Direct || p.Direct
	q.Constraint = q.Constraint && p.Constraint
	q.Project = q.Project || p.Project
	q.Extras = addNew(q.Extras, set.extras, p.Extras)
	q.Hashes = addNew(q.Hashes, set.hashes, p.Hashes)
	q.Groups = addNew(q.Groups, set.groups, p.Groups)
	q.Parents = addNew(q.Parents, set.parents, p.Parents)
	q.Requires = addNew(q.Requires, set.requires, p.Requires)
	for _, l := range p.Locations {
		if !set.locs[l] {
			set.locs[l] = true
			q.Locations = append(q.Locations, l)
		}
	}
	if len(q.Files) == 0 {
		q.Files = p.Files
	}
	if q.Index == "" {
		q.Index = p.Index
	}
	if q.License == "" {
		q.License = p.License
	}
	if q.Record == nil {
		q.Record = p.Record
	}
	if q.MetadataDir == "" {
		q.MetadataDir = p.MetadataDir
	}
	if q.Source.Kind == SourceIndex && q.Source.URL == "" && p.Source.Kind != SourceIndex {
		q.Source = p.Source
	}
}

// String summarizes an inventory for logs.
func (inv *Inventory) String() string {
	return fmt.Sprintf("%d packages from %d sources", len(inv.Packages), len(inv.Sources))
}
