// Package cooldown reports dependency versions that were uploaded to their
// index only recently: fewer days ago than the policy's cooldown
// ([checks.cooldown] days, 7 by default). Malicious versions of legitimate
// packages are usually found and removed within days of their upload, so a
// project that waits that long before taking a new version is rarely the
// one that installs them (OWASP OSS risk 2, compromise of legitimate
// packages).
//
// A release's publication time is the earliest upload time of its files.
// The times come from the inventory (uv.lock and pylock.toml record them,
// the resolver takes them from the index) and, for pinned versions without
// them, from the index's JSON API when a client is given.
package cooldown

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// Config holds the cooldown.
type Config struct {
	// Days: a version uploaded fewer than this many days ago is reported
	// (0: the check is off).
	Days int
}

// DefaultConfig returns the cooldown used when pyvet.toml sets none.
func DefaultConfig() Config { return Config{Days: 7} }

// candidate is one pinned index version the check looks at.
type candidate struct {
	pkg      *inventory.Package
	name     string    // normalized
	uploaded time.Time // earliest upload of its files; zero when unknown
	file     string    // the file uploaded first
	from     string    // where the time comes from: a file name or "the index"
	bad      string    // an upload time that is not RFC 3339 (when uploaded is zero)
}

// Check reports the pinned index versions of inv uploaded fewer than
// cfg.Days days before now. idx, when not nil, is asked (through the JSON
// API, cached) for the upload time of pinned versions the inventory has
// none for, and for the release to fall back to in the action of each
// finding. The findings are valid even when err is not nil; err then says
// which versions could not be checked and why.
func Check(ctx context.Context, inv *inventory.Inventory, idx *pypi.Client, cfg Config, now time.Time) ([]finding.Finding, error) {
	if inv == nil || cfg.Days <= 0 {
		return nil, nil
	}
	window := time.Duration(cfg.Days) * 24 * time.Hour
	cutoff := now.Add(-window)
	formats := map[string]string{}
	for _, s := range inv.Sources {
		if f := inventory.SourceFormat(s); f != nil {
			formats[s.Path] = string(f.Name)
		}
	}
	var cands []*candidate
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Constraint || p.Project || p.Version == "" || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
			continue
		}
		c := &candidate{pkg: p, name: pep508.NormalizeName(p.Name)}
		key := c.name + "==" + p.Version
		if seen[key] {
			continue
		}
		seen[key] = true
		for _, f := range p.Files {
			if f.Uploaded == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, f.Uploaded)
			if err != nil {
				c.bad = f.Uploaded
				continue
			}
			if c.uploaded.IsZero() || t.Before(c.uploaded) {
				c.uploaded, c.file = t, f.Name
			}
		}
		if !c.uploaded.IsZero() {
			c.from = sourceOf(p, formats)
		}
		cands = append(cands, c)
	}
	var col lookup.Collector
	// The index is asked about versions without a time and, for the
	// action, about the versions inside the window; never about a package
	// a lockfile records from another index, whose namesake there may be
	// another project.
	var projects map[string]pypi.Result
	if idx != nil {
		primary, _ := idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
		var ask []string
		for _, c := range cands {
			if (c.uploaded.IsZero() || c.uploaded.After(cutoff)) && onIndex(c.pkg, primary.Options().SimpleURL) {
				ask = append(ask, c.name)
			}
		}
		if len(ask) > 0 {
			var err error
			if projects, err = primary.Projects(ctx, ask); err != nil {
				return nil, err
			}
		}
	}
	byName := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		byName[p.Name] = p
	}
	for _, c := range cands {
		res, asked := projects[c.name]
		if c.uploaded.IsZero() && asked {
			if res.Err != nil {
				col.Fail(c.name, res.Err)
				continue
			}
			if !c.fromIndex(res.Project) {
				col.FailCause(c.name+" "+c.pkg.Version, "version not on the index")
				continue
			}
		}
		if c.uploaded.IsZero() {
			if c.bad != "" {
				col.FailCause(c.name+" "+c.pkg.Version, fmt.Sprintf("upload time %q is not RFC 3339", clip(c.bad)))
			} else if asked {
				col.FailCause(c.name+" "+c.pkg.Version, "the index gives no upload time")
			}
			continue
		}
		if !c.uploaded.After(cutoff) {
			continue
		}
		var prev *pypi.Release
		if asked && res.Err == nil {
			prev = previous(res.Project, c.pkg.Version, cutoff)
		}
		col.Add(c.finding(now, cutoff, cfg.Days, prev, formats, byName))
	}
	return col.Result(ctx, "cooldown: %d package(s) not checked")
}

// onIndex reports whether p may be looked up on the index at simpleURL: it
// records no index, that one, or PyPI (which simpleURL may mirror).
func onIndex(p *inventory.Package, simpleURL string) bool {
	trim := func(u string) string { return strings.ToLower(strings.TrimRight(u, "/")) }
	return p.Index == "" || trim(p.Index) == trim(simpleURL) || trim(p.Index) == trim(pypi.DefaultSimpleURL)
}

// fromIndex takes the candidate's upload time from the project's JSON API
// release list; false when the list does not have the version.
func (c *candidate) fromIndex(proj *pypi.Project) bool {
	files, ok := proj.FilesOf(c.pkg.Version)
	if !ok {
		return false
	}
	for i := range files {
		if t := files[i].Uploaded(); !t.IsZero() && (c.uploaded.IsZero() || t.Before(c.uploaded)) {
			c.uploaded, c.file = t, files[i].Filename
		}
	}
	c.from = "the index"
	return true
}

// previous returns the newest release of proj below version that is not
// yanked, was uploaded before cutoff and is a final release unless version
// is a pre-release; nil when there is none.
func previous(proj *pypi.Project, version string, cutoff time.Time) *pypi.Release {
	cur, err := pep440.Parse(version)
	if err != nil {
		return nil
	}
	var best *pypi.Release
	var bestV pep440.Version
	for _, r := range proj.ReleaseList() {
		v, err := pep440.Parse(r.Version)
		if err != nil || r.Yanked || r.Uploaded.IsZero() || !r.Uploaded.Before(cutoff) || v.Compare(cur) >= 0 {
			continue
		}
		if v.IsPrerelease() && !cur.IsPrerelease() {
			continue
		}
		if best == nil || v.Compare(bestV) > 0 {
			best, bestV = &r, v
		}
	}
	return best
}

// sourceOf names the input that recorded p's upload times.
func sourceOf(p *inventory.Package, formats map[string]string) string {
	if p.Resolved {
		return "the index (resolved)"
	}
	if len(p.Locations) > 0 {
		if f := formats[p.Locations[0].File]; f != "" {
			return f
		}
	}
	return "the inventory"
}

func (c *candidate) finding(now, cutoff time.Time, days int, prev *pypi.Release, formats map[string]string, byName map[string]*inventory.Package) finding.Finding {
	p := c.pkg
	age := now.Sub(c.uploaded)
	if age < 0 {
		age = 0
	}
	f := finding.Finding{
		Risk: finding.RiskCompromise, Rule: CheckName, Severity: finding.SeverityInfo,
		Package: c.name, Version: p.Version, Exact: true, Direct: p.Direct,
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	if !p.Direct && len(p.Parents) > 0 {
		f.Path = inventory.PathFromDirect(p, byName)
	}
	when := stamp(c.uploaded)
	f.Title = fmt.Sprintf("%s %s was uploaded %s ago, inside the %d-day cooldown", c.name, p.Version, span(age), days)
	f.Detail = fmt.Sprintf("%s %s was first uploaded to its index at %s (%s ago; the time is from %s). "+
		"Malicious versions of legitimate packages, published from a hijacked maintainer account or release pipeline, "+
		"are usually found and removed within days; the policy waits %d days before trusting a new version.",
		c.name, p.Version, when, span(age), c.from, days)
	ready := stamp(c.uploaded.Add(time.Duration(days) * 24 * time.Hour))
	action := fmt.Sprintf("Wait until %s before installing it", ready)
	if prev != nil {
		action += fmt.Sprintf(", or pin the previous release %s==%s (uploaded %s)", c.name, prev.Version, stamp(prev.Uploaded))
	} else {
		action += fmt.Sprintf(", or pin a release of %s uploaded before %s", c.name, stamp(cutoff))
	}
	f.Action = action + howTo(p, formats, cutoff, days)
	f.Evidence = map[string]string{
		"uploaded":      c.uploaded.UTC().Format(time.RFC3339),
		"age_days":      fmt.Sprintf("%.1f", age.Hours()/24),
		"cooldown_days": fmt.Sprint(days),
		"source":        c.from,
	}
	if c.file != "" {
		f.Evidence["file"] = c.file
	}
	if prev != nil {
		f.Evidence["previous"] = prev.Version
		f.Evidence["previous_uploaded"] = prev.Uploaded.UTC().Format(time.RFC3339)
	}
	return f
}

// howTo says how to keep versions inside the window out of the input p
// comes from.
func howTo(p *inventory.Package, formats map[string]string, cutoff time.Time, days int) string {
	t := cutoff.UTC().Format(time.RFC3339)
	format := ""
	if len(p.Locations) > 0 {
		format = formats[p.Locations[0].File]
	}
	switch {
	case p.Resolved:
		return fmt.Sprintf("; resolve with `--uploaded-prior-to %s` to leave out versions this new.", t)
	case format == string(inventory.FormatUVLock):
		return fmt.Sprintf("; `uv lock --exclude-newer %s` relocks without versions this new, and `exclude-newer = \"P%dD\"` in [tool.uv] keeps them out.", t, days)
	case format == string(inventory.FormatPylock):
		return fmt.Sprintf("; regenerate the lock with `--uploaded-prior-to %s` (pip) or `--exclude-newer %s` (uv) to leave out versions this new.", t, t)
	}
	return "."
}

// stamp writes t to the minute, in UTC.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// span writes d in the largest unit that keeps it above one.
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return "moments"
}

// clip bounds a value from the input for a message.
func clip(s string) string { return finding.Clip(s, 60) }
