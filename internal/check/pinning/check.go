package pinning

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
)

// CheckName is the name of this check in the policy ([checks.unapproved-change]).
const CheckName = string(finding.RiskUnpinned)

// Config tunes the check. The zero value runs every rule with PyPI as the only
// reviewed index.
type Config struct {
	// Disabled turns rules off by id.
	Disabled map[string]bool
	// SkipLoose stops reporting specifiers that allow several versions
	// (libraries that publish ranges on purpose).
	SkipLoose bool
	// IndexAllowed reports whether an index URL has been reviewed; extra
	// indexes it allows are not reported. Nil allows only PyPI.
	IndexAllowed func(url string) bool
	// RestrictIndexes reports every index (main or extra) IndexAllowed refuses.
	RestrictIndexes bool
	// DevFiles are extra glob patterns (matched against the base name) of
	// requirement files that are not production files.
	DevFiles []string
	// ReadFile reads input files (lockfiles and their project files, files to
	// locate index options in). Nil uses os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// ConfigFrom builds the check's configuration from a policy:
// [checks.unapproved-change] disable = [rule ids], skip-loose = bool,
// dev-files = [globs]; [indexes] allowed restricts indexes when non-empty.
func ConfigFrom(p *policy.Policy) Config {
	c := p.Check(CheckName)
	cfg := Config{
		Disabled:        map[string]bool{},
		SkipLoose:       c.Bool("skip-loose", false),
		IndexAllowed:    p.IndexAllowed,
		RestrictIndexes: len(p.Indexes.Allowed) > 0,
		DevFiles:        c.Strings("dev-files"),
	}
	for _, id := range c.Strings("disable") {
		cfg.Disabled[id] = true
	}
	for _, r := range rules {
		if !p.Enabled(r.ID) {
			cfg.Disabled[r.ID] = true
		}
	}
	return cfg
}

// checker holds the state of one run.
type checker struct {
	cfg     Config
	inv     *inventory.Inventory
	formats map[string]string // source path → format
	byName  map[string]*inventory.Package
	files   map[string][]string
	out     []finding.Finding
}

// Check returns the pinning findings of an inventory, sorted.
func Check(inv *inventory.Inventory, cfg Config) []finding.Finding {
	if inv == nil {
		return nil
	}
	if cfg.ReadFile == nil {
		cfg.ReadFile = os.ReadFile
	}
	if cfg.IndexAllowed == nil {
		cfg.IndexAllowed = policy.Default().IndexAllowed
	}
	c := &checker{cfg: cfg, inv: inv, formats: map[string]string{}, files: map[string][]string{}}
	for _, s := range inv.Sources {
		c.formats[s.Path] = s.Format
	}
	c.byName = map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		if p != nil {
			c.byName[p.Name] = p
		}
	}
	pinnedSomewhere := map[string]bool{}
	for _, p := range inv.Packages {
		if p != nil && p.Version != "" {
			pinnedSomewhere[p.Name] = true
		}
	}
	for _, p := range inv.Packages {
		if p == nil || p.Project {
			continue // the project itself and its workspace members are not dependencies
		}
		c.versionRules(p, pinnedSomewhere[p.Name])
		c.sourceRules(p)
	}
	c.hashRules()
	c.indexRules()
	c.lockRules()
	finding.Sort(c.out)
	return c.out
}

// add records a finding of rule about package p (nil for file-level findings).
func (c *checker) add(ruleID string, p *inventory.Package, loc *inventory.Location, title, detail string, evidence map[string]string) {
	if c.cfg.Disabled[ruleID] {
		return
	}
	r := ruleByID[ruleID]
	f := finding.Finding{
		Risk:     finding.RiskUnpinned,
		Rule:     r.ID,
		Severity: r.Severity,
		Title:    title,
		Detail:   r.Explanation,
		Action:   r.Action,
		Exact:    true,
		Evidence: evidence,
	}
	if detail != "" {
		f.Detail = detail + " " + r.Explanation
	}
	if p != nil {
		f.Package = p.Name
		f.Version = p.Version
		if f.Version == "" {
			f.Version = p.Specifier
		}
		f.Direct = p.Direct
		if !p.Direct {
			f.Path = inventory.PathFromDirect(p, c.byName)
		}
		if loc == nil && len(p.Locations) > 0 {
			l := p.Locations[0]
			loc = &l
		}
	}
	if loc != nil {
		l := *loc
		f.Location = &l
	}
	c.out = append(c.out, f)
}

// fileKind classifies an input file by its format.
type fileKind = inventory.Kind

const (
	kindOther        = inventory.KindOther
	kindRequirements = inventory.KindRequirements // pip requirements / constraints files
	kindLock         = inventory.KindLock         // lockfiles
	kindProject      = inventory.KindManifest     // pyproject.toml, Pipfile, setup.cfg
)

// kind is the kind of the format of an input file: the one the inventory
// records for it, else the one its name says (a file included with -r or
// -c is a requirements file).
func (c *checker) kind(path string) fileKind {
	if f := inventory.SourceFormat(inventory.SourceFile{Path: path, Format: c.formats[path]}); f != nil {
		return f.Kind
	}
	return kindOther
}

var devTokens = map[string]bool{
	"dev": true, "devel": true, "develop": true, "development": true, "test": true, "tests": true,
	"testing": true, "lint": true, "linting": true, "doc": true, "docs": true, "ci": true, "local": true,
	"tox": true, "typing": true, "mypy": true, "bench": true, "benchmark": true, "benchmarks": true,
	"example": true, "examples": true, "style": true, "format": true, "debug": true,
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// isDevFile reports whether a requirements file is for development rather than production.
func (c *checker) isDevFile(path string) bool {
	base := filepath.Base(path)
	for _, g := range c.cfg.DevFiles {
		if ok, _ := filepath.Match(g, base); ok {
			return true
		}
	}
	// The file name and its folder (requirements/dev.txt) say what a file is
	// for; folders further up belong to wherever the project happens to live.
	slashed := filepath.ToSlash(strings.ToLower(path))
	parts := strings.Split(slashed, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	for _, part := range parts {
		for _, tok := range nonAlnum.Split(strings.TrimSuffix(part, filepath.Ext(part)), -1) {
			if devTokens[tok] {
				return true
			}
		}
	}
	return false
}

func isDevGroup(groups []string) bool {
	for _, g := range groups {
		if devTokens[strings.ToLower(g)] || strings.HasPrefix(strings.ToLower(g), "dev") {
			return true
		}
	}
	return false
}

// versionRules reports unpinned and loosely pinned index requirements.
func (c *checker) versionRules(p *inventory.Package, pinnedElsewhere bool) {
	switch p.Source.Kind {
	case inventory.SourceIndex, inventory.SourceConda, "":
	default:
		return
	}
	if p.Version != "" || pinnedElsewhere || p.Constraint || len(p.Locations) == 0 {
		return // pinned, or only known as another package's requirement
	}
	// Project files (pyproject.toml, setup.cfg, Pipfile) declare what a
	// project accepts, and libraries publish ranges on purpose: without a
	// lockfile that is still mutable, but one level less severe.
	projectOnly := true
	for _, l := range p.Locations {
		if c.kind(l.File) != kindProject {
			projectOnly = false
		}
	}
	n := len(c.out)
	if p.Specifier == "" {
		c.add(RuleUnpinned, p, nil, fmt.Sprintf("%s is not pinned to a version", displayName(p)), "", nil)
	} else if !c.cfg.SkipLoose {
		c.add(RuleLoose, p, nil, fmt.Sprintf("%s %s allows more than one version", displayName(p), p.Specifier), "",
			map[string]string{"specifier": p.Specifier})
	}
	if projectOnly && len(c.out) > n {
		f := &c.out[n]
		f.Severity--
		f.Title += " and no lockfile pins it"
		f.Action = "Lock the project (uv lock, poetry lock, pdm lock, pip-compile) and install from the lockfile; a library may keep ranges and set skip-loose in its policy."
	}
}

func displayName(p *inventory.Package) string {
	if p.RawName != "" {
		return p.RawName
	}
	return p.Name
}

var (
	fullCommit  = regexp.MustCompile(`^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$`)
	shortCommit = regexp.MustCompile(`^[0-9a-fA-F]{7,39}$`)
	hashFrag    = regexp.MustCompile(`(?i)[#&](sha1|sha224|sha256|sha384|sha512|md5)=[0-9a-f]+`)
)

// sourceRules reports VCS references, unhashed URLs, insecure URLs and editable installs.
func (c *checker) sourceRules(p *inventory.Package) {
	src := p.Source
	switch src.Kind {
	case inventory.SourceVCS:
		switch {
		case fullCommit.MatchString(src.Commit) || fullCommit.MatchString(src.Ref):
		case src.Ref == "":
			c.add(RuleVCSRef, p, nil, fmt.Sprintf("%s follows the default branch of %s", displayName(p), src.URL),
				"No revision is given, so the install takes whatever the default branch holds.", map[string]string{"url": src.URL})
		case shortCommit.MatchString(src.Ref):
			c.add(RuleVCSRef, p, nil, fmt.Sprintf("%s references abbreviated commit %s", displayName(p), src.Ref),
				"An abbreviated commit id can become ambiguous, and a branch or tag with the same name would take precedence.",
				map[string]string{"url": src.URL, "ref": src.Ref})
		default:
			c.add(RuleVCSRef, p, nil, fmt.Sprintf("%s references %s@%s, a branch or tag", displayName(p), src.URL, src.Ref), "",
				map[string]string{"url": src.URL, "ref": src.Ref})
		}
	case inventory.SourceURL:
		if !hasHash(p) && !hashFrag.MatchString(src.URL) {
			c.add(RuleURLNoHash, p, nil, fmt.Sprintf("%s is installed from %s without a hash", displayName(p), redact(src.URL)), "",
				map[string]string{"url": redact(src.URL)})
		}
	}
	for _, u := range packageURLs(p) {
		if sev, insecure := insecureURL(u); insecure {
			n := len(c.out)
			c.add(RuleHTTPIndex, p, nil, fmt.Sprintf("%s is fetched over an insecure connection: %s", displayName(p), redact(u)), "",
				map[string]string{"url": redact(u)})
			if len(c.out) > n {
				c.out[n].Severity = sev
			}
			break
		}
	}
	if src.Editable {
		c.editable(p)
	}
}

// editable reports editable installs declared in production requirement files.
func (c *checker) editable(p *inventory.Package) {
	if isDevGroup(p.Groups) {
		return
	}
	for _, l := range p.Locations {
		// Requirement files, Pipfile and Pipfile.lock declare editable
		// dependencies; lockfiles and project files record the project itself
		// and its workspace members as editable, and an installed environment
		// only shows how it was set up.
		if c.kind(l.File) != kindRequirements && !strings.HasPrefix(filepath.Base(l.File), "Pipfile") {
			continue
		}
		if c.isDevFile(l.File) {
			continue
		}
		where := p.Source.Path
		if where == "" {
			where = p.Source.URL
		}
		loc := l
		c.add(RuleEditable, p, &loc, fmt.Sprintf("%s is an editable install (%s) in %s", displayName(p), redact(where), filepath.Base(l.File)), "", nil)
		return
	}
}

func hasHash(p *inventory.Package) bool {
	if len(p.Hashes) > 0 {
		return true
	}
	for _, f := range p.Files {
		if len(f.Hashes) > 0 {
			return true
		}
	}
	return false
}

func packageURLs(p *inventory.Package) []string {
	var us []string
	if p.Source.URL != "" {
		us = append(us, p.Source.URL)
	}
	if p.Index != "" {
		us = append(us, p.Index)
	}
	for _, f := range p.Files {
		if f.URL != "" {
			us = append(us, f.URL)
		}
	}
	return us
}

// insecureURL reports whether u is fetched without TLS, and how severe that is:
// a loopback host is low, anything else high.
func insecureURL(u string) (finding.Severity, bool) {
	s := strings.TrimSpace(u)
	s = strings.TrimPrefix(s, "git+")
	s = strings.TrimPrefix(s, "hg+")
	s = strings.TrimPrefix(s, "svn+")
	s = strings.TrimPrefix(s, "bzr+")
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "git://") && !strings.HasPrefix(lower, "svn://") {
		return 0, false
	}
	pu, err := url.Parse(s)
	if err == nil {
		h := pu.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return finding.SeverityLow, true
		}
	}
	return finding.SeverityHigh, true
}

// redact removes credentials from a URL.
func redact(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	host, path, hasPath := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = "***@" + host[at+1:]
	}
	out := u[:i+3] + host
	if hasPath {
		out += "/" + path
	}
	return out
}

// hashRules reports packages without hashes in files where others have them.
func (c *checker) hashRules() {
	type entry struct {
		p   *inventory.Package
		loc inventory.Location
	}
	byFile := map[string][]entry{}
	var order []string
	for _, p := range c.inv.Packages {
		if p == nil || p.Project || p.Source.Kind == inventory.SourceConda {
			continue
		}
		seen := map[string]bool{}
		for _, l := range p.Locations {
			if seen[l.File] {
				continue
			}
			seen[l.File] = true
			if _, ok := byFile[l.File]; !ok {
				order = append(order, l.File)
			}
			byFile[l.File] = append(byFile[l.File], entry{p, l})
		}
	}
	for _, file := range order {
		es := byFile[file]
		k := c.kind(file)
		if k != kindRequirements && k != kindLock {
			continue
		}
		hashed := 0
		for _, e := range es {
			if hasHash(e.p) {
				hashed++
			}
		}
		required := k == kindRequirements && c.requiresHashes(file)
		if hashed == 0 && !required {
			continue
		}
		for _, e := range es {
			p, loc := e.p, e.loc
			if hasHash(p) || p.Constraint {
				continue
			}
			if k == kindLock {
				if p.Source.Kind != inventory.SourceIndex && p.Source.Kind != "" {
					continue // the project itself, VCS or path sources: no archive to hash
				}
				c.add(RuleHashMissing, p, &loc, fmt.Sprintf("%s has no hash in %s, where %s", displayName(p), filepath.Base(file), others(hashed, "package has", "packages have")), "", nil)
				continue
			}
			switch p.Source.Kind {
			case inventory.SourceVCS, inventory.SourcePath:
				c.add(RuleHashMode, p, &loc, fmt.Sprintf("%s cannot be hash-checked, but %s is in hash-checking mode", displayName(p), filepath.Base(file)), "", nil)
			default:
				if p.Source.Editable {
					c.add(RuleHashMode, p, &loc, fmt.Sprintf("%s is editable, but %s is in hash-checking mode", displayName(p), filepath.Base(file)), "", nil)
					continue
				}
				why := others(hashed, "requirement has", "requirements have")
				if required {
					why = "--require-hashes is set"
				}
				c.add(RuleHashMissing, p, &loc, fmt.Sprintf("%s has no --hash in %s, where %s", displayName(p), filepath.Base(file), why), "", nil)
			}
		}
	}
}

// requiresHashes reports whether a requirements file turns on pip's
// hash-checking mode with a --require-hashes line.
func (c *checker) requiresHashes(file string) bool {
	for _, l := range c.lines(file) {
		if t := strings.TrimSpace(l); t == "--require-hashes" || strings.HasPrefix(t, "--require-hashes ") {
			return true
		}
	}
	return false
}

// others says "1 other requirement has one" or "3 other requirements have one".
func others(n int, one, many string) string {
	if n == 1 {
		return "1 other " + one + " one"
	}
	return fmt.Sprintf("%d other %s one", n, many)
}

// indexRules reports insecure, extra, trusted and disallowed indexes.
func (c *checker) indexRules() {
	io := c.inv.Index
	if io.IndexURL != "" {
		c.indexURL(io.IndexURL, false)
	}
	for _, u := range io.ExtraIndexURLs {
		c.indexURL(u, true)
	}
	for _, u := range io.FindLinks {
		if sev, bad := insecureURL(u); bad {
			c.addIndex(RuleHTTPIndex, sev, "find-links", u, fmt.Sprintf("--find-links %s is plain HTTP", redact(u)))
		}
	}
	for _, h := range io.TrustedHosts {
		c.addIndex(RuleTrustedHost, 0, "trusted-host", h, fmt.Sprintf("--trusted-host %s disables TLS verification for that host", h))
	}
	if c.cfg.RestrictIndexes {
		seen := map[string]bool{}
		for _, p := range c.inv.Packages {
			if p == nil || p.Index == "" || seen[p.Index] || c.cfg.IndexAllowed(p.Index) {
				continue
			}
			seen[p.Index] = true
			c.add(RuleIndexNotAllow, p, nil, fmt.Sprintf("%s comes from index %s, which the policy does not allow", displayName(p), redact(p.Index)), "",
				map[string]string{"index": redact(p.Index)})
		}
	}
}

func (c *checker) indexURL(u string, extra bool) {
	if sev, bad := insecureURL(u); bad {
		opt := "--index-url"
		if extra {
			opt = "--extra-index-url"
		}
		c.addIndex(RuleHTTPIndex, sev, strings.TrimPrefix(opt, "--"), u, fmt.Sprintf("%s %s is plain HTTP", opt, redact(u)))
	}
	if c.cfg.IndexAllowed(u) {
		return
	}
	if extra {
		c.addIndex(RuleExtraIndex, 0, "extra-index-url", u, fmt.Sprintf("--extra-index-url %s exposes the install to dependency confusion", redact(u)))
	} else if c.cfg.RestrictIndexes {
		c.addIndex(RuleIndexNotAllow, 0, "index-url", u, fmt.Sprintf("--index-url %s is not an allowed index", redact(u)))
	}
}

// addIndex adds a file-level finding about an index option, located at the
// line that sets it when it can be found.
func (c *checker) addIndex(rule string, sev finding.Severity, option, needle, title string) {
	n := len(c.out)
	c.add(rule, nil, c.locate(option, needle), title, "", map[string]string{"value": redact(needle)})
	if len(c.out) > n && sev != 0 {
		c.out[n].Severity = sev
	}
}

// locate finds the line of an index option among the files that set options:
// a line naming the option and the value, else one naming the value.
func (c *checker) locate(option, needle string) *inventory.Location {
	var cands []string
	for _, l := range c.inv.Index.Locations {
		cands = append(cands, l.File)
	}
	for _, s := range c.inv.Sources {
		if c.kind(s.Path) == kindRequirements {
			cands = append(cands, s.Path)
		}
	}
	for _, withOption := range []bool{true, false} {
		seen := map[string]bool{}
		for _, f := range cands {
			if seen[f] {
				continue
			}
			seen[f] = true
			for i, line := range c.lines(f) {
				if strings.Contains(line, needle) && (!withOption || strings.Contains(line, option)) {
					return &inventory.Location{File: f, Line: i + 1}
				}
			}
		}
	}
	if len(c.inv.Index.Locations) > 0 {
		l := c.inv.Index.Locations[0]
		return &l
	}
	return nil
}

func (c *checker) lines(path string) []string {
	if ls, ok := c.files[path]; ok {
		return ls
	}
	var ls []string
	if data, err := c.cfg.ReadFile(path); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			ls = append(ls, sc.Text())
		}
	}
	c.files[path] = ls
	return ls
}

// sortedFiles returns the paths of the inventory's sources, sorted.
func (c *checker) sortedFiles() []string {
	fs := make([]string, 0, len(c.formats))
	for f := range c.formats {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	return fs
}
