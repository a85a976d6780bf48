package report

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/license"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/remedy"
	"github.com/pyvet/pyvet/internal/verify"
)

// SchemaVersion is the version of the JSON protocol (docs/json.md): the
// minor number grows when keys are added, the major number when a key
// changes meaning or goes away.
const SchemaVersion = "1.1"

// Kind names the command a run comes from; each format lays out the data
// of each kind (the table of `deps` is a package list, that of `audit` a
// list of findings).
type Kind string

// The kinds of runs. An empty Kind is KindAudit.
const (
	KindAudit       Kind = "audit"
	KindDeps        Kind = "deps"
	KindVerify      Kind = "verify"
	KindFix         Kind = "fix"
	KindSBOM        Kind = "sbom"
	KindDBStatus    Kind = "db-status"
	KindPackageInfo Kind = "pypi-info"
	KindPopularity  Kind = "pypi-popularity"
	KindPolicy      Kind = "policy"
	KindVersion     Kind = "version"
)

// Kinds returns every kind, sorted.
func Kinds() []Kind {
	ks := []Kind{KindAudit, KindDeps, KindVerify, KindFix, KindSBOM, KindDBStatus, KindPackageInfo, KindPopularity, KindPolicy, KindVersion}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// Config opens a run: which command ran, pyvet's version and facts about
// the run (database, policy files, gate). It is the first message.
type Config struct {
	Kind    Kind              // KindAudit when empty
	Tool    string            // the command line's name, e.g. "pyvet audit"
	Version string            // pyvet's version
	Meta    map[string]string // database source and date, policy file, fail_on, ...
}

// Progress says how far a run is. Live displays (NewProgress) show it;
// document formats leave it out.
type Progress struct {
	Stage string // e.g. "Matching advisories"
	Done  int64
	Total int64 // 0 when unknown
}

// Skip says that a package could not be audited exactly, and why (audit).
type Skip struct {
	Package string
	Reason  string
}

// Remedy is what `pyvet fix` did or, in a dry run, would do.
type Remedy struct {
	Result  *remedy.Result // the plan, the edits, lockfile commands, hand edits
	Diffs   []FileDiff     // one unified diff per file changed (shown in a dry run)
	DryRun  bool           // nothing was written
	Written int            // files rewritten
}

// FileDiff is the change of one dependency file.
type FileDiff struct {
	Path   string `json:"path"`
	Format string `json:"format,omitempty"`
	Diff   string `json:"diff"`
}

// File is a document a run wrote or installed (sbom's bill of materials,
// the popularity list of `pypi popularity`).
type File struct {
	Path            string `json:"path"`            // "-" for standard output
	Format          string `json:"format"`          // e.g. "cyclonedx-json"
	Packages        int    `json:"packages"`        // third-party packages in it
	Vulnerabilities int    `json:"vulnerabilities"` // distinct advisories in it
}

// Verification is one result of `pyvet verify`: exactly one field is set.
type Verification struct {
	Result *verify.Result       // artifact, cpython, dist, provenance
	Hashes *verify.HashesReport // verify hashes
	Env    *verify.EnvReport    // verify env
}

// PackageInfo is what the package index knows about a package (`pypi info`).
type PackageInfo struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	Summary        string   `json:"summary,omitempty"`
	License        string   `json:"license,omitempty"`
	LicenseClass   string   `json:"license_class"`
	LicenseSource  string   `json:"license_source,omitempty"`
	Releases       int      `json:"releases"`
	Yanked         []string `json:"yanked,omitempty"`
	FirstRelease   string   `json:"first_release,omitempty"`
	LatestUpload   string   `json:"latest_upload,omitempty"`
	RequiresPython string   `json:"requires_python,omitempty"`
	Status         string   `json:"project_status,omitempty"`
	PopularityRank int      `json:"popularity_rank,omitempty"`
}

// PackageInfoOf is what `pypi info` shows of a project the index
// described: its licence resolved from the metadata, the release count, the
// yanked releases and the first and latest upload dates. Status and
// PopularityRank come from elsewhere (the Simple API, the popularity list).
func PackageInfoOf(p *pypi.Project) PackageInfo {
	lic := license.Resolve(p.Info.LicenseExpression, p.Info.License, p.Info.Classifiers)
	s := PackageInfo{Name: finding.Clip(p.Info.Name, 200), Version: finding.Clip(p.Info.Version, 200), Summary: finding.Clip(p.Info.Summary, 300), License: finding.Clip(lic.Expression, 300),
		LicenseClass: string(lic.Class), LicenseSource: string(lic.Source), RequiresPython: p.Info.RequiresPython}
	var first, last time.Time
	for _, r := range p.ReleaseList() {
		s.Releases++
		if r.Yanked {
			s.Yanked = append(s.Yanked, r.Version)
		}
		if !r.Uploaded.IsZero() && (first.IsZero() || r.Uploaded.Before(first)) {
			first = r.Uploaded
		}
		if r.Uploaded.After(last) {
			last = r.Uploaded
		}
	}
	sort.Strings(s.Yanked)
	if !first.IsZero() {
		s.FirstRelease, s.LatestUpload = first.Format("2006-01-02"), last.Format("2006-01-02")
	}
	return s
}

// Gate is the verdict of a run under the policy; it is the last message
// before Flush.
type Gate struct {
	Failed bool // the run fails (exit status 1)
	// Projects are the verdicts of each project of a run over a tree
	// (audit -R), in path order; nil for one project.
	Projects []ProjectResult
}

// Handler receives the stream of one run, the way govulncheck's handlers
// do: Config first, then any of the others in any number, Summary at most
// once, and Flush last. Every output format is one Handler. A handler may
// write as messages arrive or keep what it needs until Flush; Flush writes
// whatever is still held. Handlers do not retain the pointers they are
// given beyond the call unless they copy them.
type Handler interface {
	Config(*Config) error
	Progress(*Progress) error
	Inventory(*inventory.Inventory) error // the packages read (audit, deps, sbom)
	Skip(*Skip) error
	Finding(*finding.Finding) error // after policy: ignored findings carry Ignored
	Verification(*Verification) error
	Fix(*JSONFix) error // pip-audit's fixes[] entry
	Remedy(*Remedy) error
	File(*File) error
	Database(*advisory.DBStatus) error
	PackageInfo(*PackageInfo) error
	Policy([]policy.Entry) error // the effective policy (policy show)
	Note(string) error           // one line for the user (expired ignore, stale database, ...)
	Summary(*Gate) error
	Flush() error
}

// Format is one output format. Each format is one file that registers
// itself from init.
type Format struct {
	Name string
	// New returns the format's handler of a run written to w.
	New func(w io.Writer, opts Options) Handler
}

var registry = map[string]Format{}

// Register adds an output format; a second format of the same name panics.
func Register(f Format) {
	if _, dup := registry[f.Name]; dup {
		panic("report: format " + f.Name + " registered twice")
	}
	registry[f.Name] = f
}

// Formats returns the names of every output format, sorted.
func Formats() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckFormat returns an error naming the formats when format is not one.
func CheckFormat(format string) error {
	if _, ok := registry[strings.ToLower(format)]; !ok {
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return nil
}

// New returns the handler of format (one of Formats(), any case) writing to w.
func New(w io.Writer, format string, opts Options) (Handler, error) {
	if err := CheckFormat(format); err != nil {
		return nil, err
	}
	return registry[strings.ToLower(format)].New(w, opts), nil
}

// Write writes res to w in format (one of Formats()): New, then Emit.
func Write(w io.Writer, format string, res *Result, opts Options) error {
	h, err := New(w, format, opts)
	if err != nil {
		return err
	}
	return Emit(h, res)
}

// Emit sends a whole run to h, in the order of the protocol, and flushes it.
func Emit(h Handler, res *Result) error {
	if res == nil {
		res = &Result{}
	}
	err := h.Config(&Config{Kind: res.Kind, Tool: res.Tool, Version: res.Version, Meta: res.Meta})
	if err == nil && res.Inventory != nil {
		err = h.Inventory(res.Inventory)
	}
	for _, name := range sortedKeys(res.Skipped) {
		if err != nil {
			break
		}
		err = h.Skip(&Skip{Package: name, Reason: res.Skipped[name]})
	}
	if err == nil {
		err = SendFindings(h, res.Findings)
	}
	for i := 0; err == nil && i < len(res.Verifications); i++ {
		err = h.Verification(&res.Verifications[i])
	}
	for i := 0; err == nil && i < len(res.Fixes); i++ {
		err = h.Fix(&res.Fixes[i])
	}
	if err == nil && res.Remedy != nil {
		err = h.Remedy(res.Remedy)
	}
	for i := 0; err == nil && i < len(res.Files); i++ {
		err = h.File(&res.Files[i])
	}
	if err == nil && res.Database != nil {
		err = h.Database(res.Database)
	}
	if err == nil && res.Package != nil {
		err = h.PackageInfo(res.Package)
	}
	if err == nil && res.Policy != nil {
		err = h.Policy(res.Policy)
	}
	for i := 0; err == nil && i < len(res.Notes); i++ {
		err = h.Note(res.Notes[i])
	}
	if err == nil {
		err = h.Summary(&Gate{Failed: res.Failed, Projects: res.Projects})
	}
	if err == nil {
		err = h.Flush()
	}
	return err
}

// Collector is a Handler that keeps the whole run as a Result. Formats
// that need everything before they write (a table aligns its columns,
// pip-audit's JSON lists vulnerabilities under each dependency) embed one
// and render at Flush.
type Collector struct {
	Result Result
}

// Config implements Handler.
func (c *Collector) Config(cfg *Config) error {
	c.Result.Kind, c.Result.Tool, c.Result.Version = cfg.Kind, cfg.Tool, cfg.Version
	if cfg.Meta != nil {
		if c.Result.Meta == nil {
			c.Result.Meta = make(map[string]string, len(cfg.Meta))
		}
		for k, v := range cfg.Meta {
			c.Result.Meta[k] = v
		}
	}
	return nil
}

// Progress implements Handler; a collected run keeps no progress.
func (c *Collector) Progress(*Progress) error { return nil }

// Inventory implements Handler.
func (c *Collector) Inventory(inv *inventory.Inventory) error { c.Result.Inventory = inv; return nil }

// Skip implements Handler.
func (c *Collector) Skip(s *Skip) error {
	if c.Result.Skipped == nil {
		c.Result.Skipped = map[string]string{}
	}
	c.Result.Skipped[s.Package] = s.Reason
	return nil
}

// Finding implements Handler.
func (c *Collector) Finding(f *finding.Finding) error {
	c.Result.Findings = append(c.Result.Findings, *f)
	return nil
}

// Verification implements Handler.
func (c *Collector) Verification(v *Verification) error {
	c.Result.Verifications = append(c.Result.Verifications, *v)
	return nil
}

// Fix implements Handler.
func (c *Collector) Fix(f *JSONFix) error { c.Result.Fixes = append(c.Result.Fixes, *f); return nil }

// Remedy implements Handler.
func (c *Collector) Remedy(r *Remedy) error { c.Result.Remedy = r; return nil }

// File implements Handler.
func (c *Collector) File(f *File) error { c.Result.Files = append(c.Result.Files, *f); return nil }

// Database implements Handler.
func (c *Collector) Database(s *advisory.DBStatus) error { c.Result.Database = s; return nil }

// PackageInfo implements Handler.
func (c *Collector) PackageInfo(p *PackageInfo) error { c.Result.Package = p; return nil }

// Policy implements Handler.
func (c *Collector) Policy(es []policy.Entry) error { c.Result.Policy = es; return nil }

// Note implements Handler.
func (c *Collector) Note(n string) error { c.Result.Notes = append(c.Result.Notes, n); return nil }

// Summary implements Handler.
func (c *Collector) Summary(g *Gate) error {
	c.Result.Failed, c.Result.Projects = g.Failed, g.Projects
	return nil
}

// Flush implements Handler; a Collector writes nothing.
func (c *Collector) Flush() error { return nil }

// buffered is a format that renders the collected run at Flush.
type buffered struct {
	Collector
	w      io.Writer
	opts   Options
	render writerFunc
	shared bool // Result.Findings is the sender's slice (Findings)
}

// Findings keeps fs itself, not a copy, when they are the run's first
// findings (see FindingsHandler): the render works on the capped copy
// bounded makes.
func (b *buffered) Findings(fs []finding.Finding) error {
	if len(b.Result.Findings) == 0 && !b.shared {
		b.Result.Findings, b.shared = fs, true
		return nil
	}
	return b.copyIn(fs)
}

// Finding keeps a copy of f.
func (b *buffered) Finding(f *finding.Finding) error { return b.copyIn([]finding.Finding{*f}) }

// copyIn appends copies of fs to the findings kept (the sender's slice is
// never appended to).
func (b *buffered) copyIn(fs []finding.Finding) error {
	if b.shared {
		b.Result.Findings, b.shared = slices.Clone(b.Result.Findings), false
	}
	b.Result.Findings = append(b.Result.Findings, fs...)
	return nil
}

// Flush renders the run.
func (b *buffered) Flush() error {
	res := bounded(&b.Collector.Result)
	b.Result.Findings, b.shared = nil, false
	return b.render(b.w, res, b.opts)
}

// writerFunc renders a whole run in one format.
type writerFunc func(w io.Writer, res *Result, opts Options) error

// register adds a format that needs the whole run before it writes.
func register(name string, fn writerFunc) {
	Register(Format{Name: name, New: func(w io.Writer, opts Options) Handler {
		return &buffered{w: w, opts: opts, render: fn}
	}})
}

// FindingsHandler is a Handler that takes the findings of a run at once:
// the slice stays valid and unchanged until Flush returns, and the handler
// neither modifies it nor keeps it after Flush, so it keeps the findings
// without a copy. Emit sends the findings this way to the handlers that
// implement it, one by one to the others (SendFindings).
type FindingsHandler interface {
	Handler
	Findings(fs []finding.Finding) error
}

// SendFindings sends fs to h: at once when h is a FindingsHandler (fs must
// then stay unchanged until h's Flush returns), else one by one.
func SendFindings(h Handler, fs []finding.Finding) error {
	if fh, ok := h.(FindingsHandler); ok {
		return fh.Findings(fs)
	}
	for i := range fs {
		if err := h.Finding(&fs[i]); err != nil {
			return err
		}
	}
	return nil
}

// streamed is a format that writes the document of an audit straight from
// the messages it keeps, through a buffered writer, as soon as the order
// of the document allows: no document value is built and no text is
// copied. It keeps the small messages in its Collector, the inventory by
// pointer and the findings as they came (the sender's slice itself when
// they come at once). Every other kind is rendered from the collected run
// at Flush.
type streamed struct {
	Collector
	w      io.Writer
	opts   Options
	fs     []finding.Finding // the findings, in the order they came
	shared bool              // fs is the sender's slice: never modified
	audit  func(r *streamRun, o *jsonOut) error
	other  writerFunc
}

// registerStreamed adds a format that streams the audit document (audit)
// and renders every other kind from the collected run (other; nil: every
// kind streams).
func registerStreamed(name string, audit func(r *streamRun, o *jsonOut) error, other writerFunc) {
	Register(Format{Name: name, New: func(w io.Writer, opts Options) Handler {
		return &streamed{w: w, opts: opts, audit: audit, other: other}
	}})
}

// Finding keeps a copy of f.
func (s *streamed) Finding(f *finding.Finding) error {
	if s.shared {
		s.fs, s.shared = slices.Clone(s.fs), false
	}
	s.fs = append(s.fs, *f)
	return nil
}

// Findings keeps fs itself when it is the run's first findings (see
// FindingsHandler), else copies of them.
func (s *streamed) Findings(fs []finding.Finding) error {
	if len(s.fs) == 0 {
		s.fs, s.shared = fs, true
		return nil
	}
	for i := range fs {
		if err := s.Finding(&fs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes the document.
func (s *streamed) Flush() error {
	fs := s.fs
	s.fs, s.shared = nil, false
	if s.Result.kind() != KindAudit && s.other != nil {
		s.Result.Findings = fs
		return s.other(s.w, bounded(&s.Result), s.opts)
	}
	o := newJSONOut(s.w)
	run := &streamRun{res: &s.Result, fs: fs, opts: s.opts, rel: newRelPaths(s.opts.BaseDir)}
	run.order = sortedOrder(fs)
	if err := s.audit(run, o); err != nil {
		return err
	}
	return o.flush()
}

// streamRun is what a streaming format writes an audit from.
type streamRun struct {
	res   *Result           // every message but the findings (not bounded)
	fs    []finding.Finding // the findings as they came (not bounded)
	order []int32           // fs's indices in the order of finding.Sort
	opts  Options
	rel   *relPaths
	memo  clipMemo // long texts cut once
	// paragraphs are the descriptions as Markdown, made once.
	paragraphs map[clipKey]string
}

// sortedOrder returns the indices of fs in the order of finding.Sort
// (stable) of the bounded findings, without moving fs.
func sortedOrder(fs []finding.Finding) []int32 {
	order := make([]int32, len(fs))
	sorted, fits := true, true
	for i := range order {
		order[i] = int32(i)
		if i > 0 && sorted && finding.Less(&fs[i], &fs[i-1]) {
			sorted = false
		}
		if fits && !sortKeysFit(&fs[i]) {
			fits = false
		}
	}
	switch {
	case !fits:
		// A key capping changes (hostile or long text): sort by the capped keys.
		keys := make([]*finding.Finding, len(fs))
		for i := range fs {
			f := &fs[i]
			if keys[i] = f; !sortKeysFit(f) {
				keys[i] = &finding.Finding{Severity: f.Severity, Risk: f.Risk, Package: finding.Clip(f.Package, maxName), Version: finding.Clip(f.Version, maxName),
					ID: finding.Clip(f.ID, maxName), Rule: f.Rule, Title: finding.Clip(f.Title, maxLine)}
			}
		}
		sort.SliceStable(order, func(i, j int) bool { return finding.Less(keys[order[i]], keys[order[j]]) })
	case !sorted:
		sort.SliceStable(order, func(i, j int) bool { return finding.Less(&fs[order[i]], &fs[order[j]]) })
	}
	return order
}

// sortKeysFit reports whether capping f leaves its sort keys as they are.
func sortKeysFit(f *finding.Finding) bool {
	return finding.Clip(f.Package, maxName) == f.Package && finding.Clip(f.Version, maxName) == f.Version &&
		finding.Clip(f.ID, maxName) == f.ID && finding.Clip(f.Title, maxLine) == f.Title
}

// bounded returns the i-th finding in sorted order, bounded as every
// report bounds it (boundFinding), its location relative.
func (r *streamRun) bounded(i int) finding.Finding {
	if r.memo == nil {
		r.memo = clipMemo{}
	}
	f := boundWith(r.fs[r.order[i]], r.memo)
	if f.Location != nil {
		if rel := r.rel.of(f.Location.File); rel != f.Location.File {
			l := *f.Location
			l.File = rel
			f.Location = &l
		}
	}
	return f
}

// relPaths computes each file path relative to the base once.
type relPaths struct {
	base string
	memo map[string]string
}

// newRelPaths relates paths to base ("": the current directory).
func newRelPaths(base string) *relPaths {
	if base == "" {
		base, _ = os.Getwd()
	}
	return &relPaths{base: base, memo: map[string]string{}}
}

// of is relPath(path, base), computed once per path.
func (r *relPaths) of(path string) string {
	if rel, ok := r.memo[path]; ok {
		return rel
	}
	rel := relPath(path, r.base)
	if len(r.memo) < 4096 {
		r.memo[path] = rel
	}
	return rel
}

// ReadJSON reads a JSON document a pyvet command wrote (-f json; the
// protocol of docs/json.md) back into the run it records, for Emit to
// replay into any format. A document of another schema major version, or
// of an unknown kind, is an error.
func ReadJSON(r io.Reader) (*Result, error) {
	return readJSON(r)
}
