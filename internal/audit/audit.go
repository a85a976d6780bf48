// Package audit is `pyvet audit` as a library: one entry point, Run, that
// loads the policy and the inventory, opens the advisory source, runs the
// registered checks, enforces the policy and returns everything the command
// reports and the data its exit status is computed from.
package audit

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/check/all"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/report"
	"github.com/pyvet/pyvet/internal/resolve"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// Options configure one audit.
type Options struct {
	// Paths are what to audit: files, projects, environments, archives
	// (the command's arguments, then its -r files).
	Paths []string
	// Inventory configures how Paths are read.
	Inventory inventory.Options
	// Policy holds the policy flags (--policy, --fail-on, --ignore-vuln,
	// --disable, --enable).
	Policy policy.Flags

	// DBPath is the advisory database to use (--db; "": the cached one,
	// downloaded or refreshed unless Offline).
	DBPath string
	// Source, when set, is an advisory source already open (RunRecursive
	// opens the database once for every project of a tree): Run uses it
	// instead of opening DBPath and leaves it open; the caller closes it.
	Source advisory.Source
	// Service is an OSV-compatible API to query instead of a database.
	Service string

	// All runs every check `--all` selects; Attestations the provenance
	// check (which also runs when the policy requires attestations).
	All, Attestations bool
	// IndexURL is the index's Simple API base ("": PyPI); JSONURL and
	// IntegrityURL its JSON and integrity API bases ("": derived from it).
	IndexURL, JSONURL, IntegrityURL string

	// Strict fails the audit when a package could not be audited exactly.
	Strict bool

	// NoDeps audits what the inputs declare, without resolving the inputs
	// that leave their dependencies to the installer (--no-deps).
	NoDeps bool
	// Resolve configures the resolution of such inputs: the target
	// environment (Env), ExtraIndexURLs, UploadedPriorTo and Prereleases.
	// Its IndexURL defaults to IndexURL; Run sets its CacheDir, Offline,
	// Progress and Client from the audit's.
	Resolve resolve.InventoryOptions

	// CacheDir is pyvet's cache directory (required).
	CacheDir string
	// Offline never uses the network.
	Offline bool
	// Progress receives progress output (nil: none).
	Progress io.Writer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Checks are the checks to run (nil: every check, all.Registry()).
	Checks *check.Registry
}

// Result is the outcome of an audit.
type Result struct {
	Inventory *inventory.Inventory
	// Findings are every finding after the policy (severity overrides,
	// ignores marked), sorted.
	Findings []finding.Finding
	// Notes are the run's warnings, one line each, repeats counted.
	Notes []string
	// Skipped maps a package to why it could not be audited exactly.
	Skipped map[string]string
	// Meta describes the run: the database, its size, digest and age, the
	// fail-on severity and the policy files.
	Meta map[string]string
	// Unaudited lists, with Strict, the packages that could not be audited
	// exactly ("name: reason", sorted); any fails the run.
	Unaudited []string
	// Failed: a finding is at or above fail-on, or Unaudited is not empty.
	Failed bool
}

// Report returns the result as the report layer's document.
func (r *Result) Report(version string) *report.Result {
	return &report.Result{
		Tool: "pyvet audit", Version: version, Inventory: r.Inventory, Findings: r.Findings,
		Notes: r.Notes, Skipped: r.Skipped, Meta: r.Meta, Failed: r.Failed,
	}
}

// Run audits o.Paths. Its error is the audit's failure to run (unreadable
// input, a bad policy, no advisory database, a service that does not
// answer): one line naming what failed, for exit status 2. An input that
// needs resolution and cannot be resolved is a *resolve.InputError naming
// it (wrapping *resolve.NoSolutionError, whose explanation has several
// lines, or *resolve.IncompleteError): never a partial set audited.
func Run(ctx context.Context, o Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	reg := o.Checks
	if reg == nil {
		reg = all.Registry()
	}
	pol, err := policy.LoadForPaths(o.Paths, o.Policy)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.Load(o.Paths, o.Inventory)
	if err != nil {
		return nil, err
	}
	var index *pypi.Client // one client for the resolution and the --all checks
	resolution := ""
	if !o.NoDeps && resolve.NeedsResolution(inv) {
		ro := o.resolveOptions()
		url := resolve.IndexURLFor(inv, ro)
		index = o.newClient(url)
		ro.Client = index
		rinv, g, err := resolve.ResolveInventory(ctx, inv, ro)
		if err != nil {
			return nil, err // a *resolve.InputError naming the input
		}
		inv, resolution = rinv, resolve.Summary(inv, g, ro)
	}
	src, notes, err := openSource(ctx, o, inv)
	if err != nil {
		return nil, err
	}
	in := &check.Input{
		Inventory: inv, Policy: pol, Advisories: src, CacheDir: o.CacheDir,
		Offline: o.Offline, Progress: o.Progress, Now: o.Now,
		Attestations: check.Attestations{
			Client: &pep740.Client{IndexURL: o.IndexURL, BaseURL: o.IntegrityURL},
			Root:   sigstore.RootOptions{Offline: o.Offline, CacheDir: filepath.Join(o.CacheDir, "sigstore")},
		},
	}
	if o.All {
		if index == nil || strings.TrimRight(index.Options().SimpleURL, "/") != strings.TrimRight(o.indexURL(), "/") {
			index = o.newClient(o.indexURL())
		}
		in.Index = index
	}
	var always, selected []check.Check
	for _, c := range reg.Checks() {
		info := c.Info()
		switch {
		case info.Mode == check.Always:
			always = append(always, c)
		case info.Mode == check.WithAll && o.All, info.Mode == check.WithAttestations && o.Attestations:
			// Ignores of the rules of a check that runs and match nothing
			// are reported.
			pol.MarkRun(info.PolicyNames()...)
			selected = append(selected, c)
		default:
			if r, ok := c.(check.Required); ok && r.Required(in) {
				selected = append(selected, c)
			}
		}
	}
	res := &Result{Inventory: inv, Skipped: map[string]string{}}
	var fs []finding.Finding
	var setup []string  // notes on data the cache lacks: said first
	texts := newTexts() // each title and description kept once
	run := func(cs []check.Check, keepNotes bool) error {
		for _, c := range cs {
			r, err := c.Run(ctx, in)
			if err != nil {
				return err
			}
			if fs == nil {
				fs = r.Findings
			} else {
				fs = append(fs, r.Findings...)
			}
			texts.share(fs[len(fs)-len(r.Findings):])
			setup = append(setup, r.Setup...)
			if keepNotes {
				notes = append(notes, r.Notes...)
			}
			for k, v := range r.Skipped {
				res.Skipped[k] = v
			}
		}
		return nil
	}
	// A service's answers are complete advisories: the notes of the match
	// against them (unread ranges) are the service's business.
	err = run(always, o.Service == "")
	m := advisory.Meta{Source: o.Service}
	if src != nil {
		if o.Service == "" {
			m = src.Meta()
			if n := m.DataNote(now()); n != "" {
				notes = append(notes, n)
			}
		}
		// The findings own their data: let the advisories go before the
		// other checks run and the report is built, which keeps the peak
		// memory of large runs down.
		if o.Source == nil {
			src.Close()
		}
		in.Advisories = nil
	}
	if err != nil {
		return nil, err
	}
	if err := run(selected, true); err != nil {
		return nil, err
	}
	if resolution != "" {
		markResolved(fs, inv)
	}
	finding.Sort(fs)
	var polNotes []string
	res.Findings, polNotes = pol.Apply(fs, now())
	notes = append(notes, polNotes...)
	notes = append(notes, inv.Warnings...)
	var runNotes finding.Notes // one place: repeats counted, each line bounded
	runNotes.AddAll(setup)
	runNotes.AddAll(notes)
	res.Notes = runNotes.Lines()
	res.Meta = map[string]string{
		"database":            m.Source,
		"database_advisories": fmt.Sprint(m.Count),
		"database_sha256":     m.ContentSHA256,
		"database_age":        m.Age(now()).Round(time.Minute).String(),
		"fail_on":             pol.FailOn.String(),
	}
	if resolution != "" {
		res.Meta["resolution"] = resolution
	}
	if len(pol.Files) > 0 {
		res.Meta["policy"] = strings.Join(pol.Files, ", ")
	}
	if o.Strict {
		for name, reason := range res.Skipped {
			res.Unaudited = append(res.Unaudited, finding.Clip(name, 200)+": "+finding.Clip(reason, 200))
		}
		sort.Strings(res.Unaudited)
	}
	res.Failed = pol.ExitCode(res.Findings) != 0 || len(res.Unaudited) > 0
	return res, nil
}

// indexURL is the Simple API base of the --index-url flag (PyPI's when unset).
func (o Options) indexURL() string {
	if o.IndexURL == "" {
		return pypi.DefaultSimpleURL
	}
	return o.IndexURL
}

// newClient returns the index client of the audit for the Simple API base
// url: the cache under o.CacheDir, o's offline mode, and the JSON API of
// --json-url when url is the --index-url's.
func (o Options) newClient(url string) *pypi.Client {
	json := ""
	if strings.TrimRight(url, "/") == strings.TrimRight(o.indexURL(), "/") {
		json = o.JSONURL
	}
	return pypi.New(pypi.Options{
		CacheDir: pypi.DefaultCacheDir(o.CacheDir), Offline: o.Offline,
		SimpleURL: url, JSONURL: json, Progress: o.Progress,
	})
}

// resolveOptions are the resolution options of o.
func (o Options) resolveOptions() resolve.InventoryOptions {
	ro := o.Resolve
	if ro.IndexURL == "" {
		ro.IndexURL = o.IndexURL
	}
	ro.CacheDir, ro.Offline, ro.Progress = o.CacheDir, o.Offline, o.Progress
	return ro
}

// markResolved says, on every finding about a package whose version was
// chosen by resolution, that it was and which declaration brings it in
// (the direct dependency at the start of its path and where it is
// declared): the place to change to fix it.
func markResolved(fs []finding.Finding, inv *inventory.Inventory) {
	byName := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		if p.Resolved || p.Version != "" && p.Source.Kind == inventory.SourceIndex {
			if byName[p.Name] == nil {
				byName[p.Name] = p
			}
		}
	}
	for i := range fs {
		f := &fs[i]
		p := byName[f.Package]
		if p == nil || !p.Resolved {
			continue
		}
		// The evidence map may be shared by the findings of one advisory:
		// this finding gets its own.
		ev := make(map[string]string, len(f.Evidence)+2)
		for k, v := range f.Evidence {
			ev[k] = v
		}
		f.Evidence = ev
		f.Evidence["resolved"] = "the version was chosen by resolving the input's requirements, not written in the input"
		root := p
		if len(f.Path) > 0 {
			if q := byName[f.Path[0]]; q != nil {
				root = q
			}
		}
		if len(root.Locations) > 0 {
			l := root.Locations[0]
			at := l.File
			if l.Line > 0 {
				at += fmt.Sprintf(":%d", l.Line)
			}
			f.Evidence["declared_by"] = root.Name + " (" + at + ")"
		}
	}
}

// texts keeps one copy of each title and description of a run's findings:
// the findings of one advisory (one per version of a package audited) then
// share its text, and the copies each match decoded are let go.
type texts struct{ seen map[string]string }

func newTexts() *texts { return &texts{seen: map[string]string{}} }

// share makes the titles and descriptions of fs the first copy of each.
func (t *texts) share(fs []finding.Finding) {
	for i := range fs {
		fs[i].Title = t.one(fs[i].Title)
		fs[i].Detail = t.one(fs[i].Detail)
	}
}

// one returns the first copy of s seen.
func (t *texts) one(s string) string {
	if len(s) < 32 {
		return s
	}
	if c, ok := t.seen[s]; ok {
		return c
	}
	t.seen[s] = s
	return s
}

// openSource opens the advisory source of o: the service's answers for
// inv, or the database (--db, else the cached one, with its freshness
// policy). The notes say why a database could not be refreshed.
func openSource(ctx context.Context, o Options, inv *inventory.Inventory) (advisory.Source, []string, error) {
	if o.Source != nil {
		return o.Source, nil, nil
	}
	if o.Service != "" {
		client, err := osvclient.New(o.Service)
		if err != nil {
			return nil, nil, fmt.Errorf("--service: %w", err)
		}
		src, err := osvclient.NewSource(ctx, client, inv)
		if err != nil {
			return nil, nil, fmt.Errorf("--service %s: %w", o.Service, err)
		}
		return src, nil, nil
	}
	return advisory.OpenSource(ctx, advisory.SourceOptions{
		Path: o.DBPath, CacheDir: o.CacheDir, Offline: o.Offline, Progress: o.Progress, Now: o.Now,
	})
}
