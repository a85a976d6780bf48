package typosquat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

// Check reports the packages of inv whose name can be confused with a more
// popular one, without index data: every candidate is unverified (see
// CheckIndex and Config.UnverifiedTop).
func Check(inv *inventory.Inventory, pop *Popularity, cfg Config) []finding.Finding {
	fs, _ := CheckIndex(context.Background(), inv, pop, nil, cfg)
	return fs
}

// CheckIndex reports every package of inv whose name can be confused with a
// more popular one. Packages from a URL, VCS or local path are not looked up
// on an index by name and are skipped. Names in cfg.Allow, and names that are
// themselves within the first cfg.SkipPopular of the list, are not reported.
//
// For each name close to a popular one, the release history is read from idx
// (the primary index the inventory selects; offline, its cache): an
// established project (cfg.EstablishedAge, cfg.EstablishedReleases) is not
// reported; a young one, or a name the index does not have, is. A name whose
// history cannot be read (idx nil, offline and not cached, index unreachable)
// is unverified and reported only as cfg.UnverifiedTop and
// cfg.UnverifiedTargets allow. The findings are valid even when err is not
// nil; err then lists the names whose history could not be read.
func CheckIndex(ctx context.Context, inv *inventory.Inventory, pop *Popularity, idx *pypi.Client, cfg Config) ([]finding.Finding, error) {
	if inv == nil || pop == nil {
		return nil, nil
	}
	allow := map[string]bool{}
	for _, a := range cfg.Allow {
		allow[pep508.NormalizeName(strings.TrimSpace(a))] = true
	}
	type candidate struct {
		pkg  *inventory.Package
		ms   []Match
		hist history
	}
	var cands []*candidate
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Constraint || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
			continue
		}
		n := pep508.NormalizeName(p.Name)
		if seen[n] || allow[n] {
			continue
		}
		seen[n] = true
		if r, ok := pop.rank[n]; ok && r < cfg.SkipPopular {
			continue
		}
		if ms := pop.Lookup(n, cfg); len(ms) > 0 {
			cands = append(cands, &candidate{pkg: p, ms: ms})
		}
	}
	var col lookup.Collector
	if idx != nil && len(cands) > 0 {
		primary, _ := idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(primary.Options().Concurrency)
		var mu sync.Mutex
		for _, c := range cands {
			g.Go(func() error {
				name := c.ms[0].Name
				h, err := historyOf(gctx, primary, name)
				if err != nil {
					col.Fail(name, err)
					return nil
				}
				mu.Lock()
				c.hist = h
				mu.Unlock()
				return nil
			})
		}
		_ = g.Wait()
	}
	for _, c := range cands {
		if f, ok := judge(c.pkg, c.ms, c.hist, pop, cfg); ok {
			col.Add(f)
		}
	}
	return col.Result(ctx, "name confusion: %d name(s) not checked against their release history")
}

// history is what the index says about a project's releases.
type history struct {
	known    bool      // the index answered
	missing  bool      // the index has no such project
	first    time.Time // first upload (zero when the index gives no times)
	releases int       // releases with at least one file
}

// historyOf reads a project's release history: the JSON API, else (an index
// without one) the Simple API's upload times.
func historyOf(ctx context.Context, idx *pypi.Client, name string) (history, error) {
	proj, err := idx.Project(ctx, name)
	switch {
	case errors.Is(err, pypi.ErrNotFound):
		return history{known: true, missing: true}, nil
	case errors.Is(err, pypi.ErrNoJSONAPI):
		return simpleHistory(ctx, idx, name)
	case err != nil:
		return history{}, err
	}
	h := history{known: true}
	for _, r := range proj.ReleaseList() {
		h.releases++
		if !r.Uploaded.IsZero() && (h.first.IsZero() || r.Uploaded.Before(h.first)) {
			h.first = r.Uploaded
		}
	}
	return h, nil
}

func simpleHistory(ctx context.Context, idx *pypi.Client, name string) (history, error) {
	page, err := idx.Simple(ctx, name)
	if errors.Is(err, pypi.ErrNotFound) {
		return history{known: true, missing: true}, nil
	}
	if err != nil {
		return history{}, err
	}
	h := history{known: true, releases: len(page.Versions)}
	for _, f := range page.Files {
		var sf pypi.File
		sf.UploadTime = f.UploadTime
		if t := sf.Uploaded(); !t.IsZero() && (h.first.IsZero() || t.Before(h.first)) {
			h.first = t
		}
	}
	return h, nil
}

// established reports whether the history shows a project of long standing.
func (h history) established(cfg Config) bool {
	return h.known && !h.missing && !h.first.IsZero() && cfg.EstablishedAge > 0 &&
		cfg.now().Sub(h.first) >= cfg.EstablishedAge && h.releases >= cfg.EstablishedReleases
}

// severityOf is how alarming a match is by itself: how close the names are
// and how popular the target.
func severityOf(m Match, pop *Popularity) finding.Severity {
	sev := finding.SeverityMedium
	switch m.Kind {
	case KindSeparator, KindHomoglyph:
		sev = finding.SeverityHigh
	case KindAffix:
		sev = finding.SeverityLow
		if m.Rank <= 1000 {
			sev = finding.SeverityMedium
		}
	}
	if _, listed := pop.rank[m.Name]; !listed && m.Rank <= 500 && sev < finding.SeverityHigh {
		sev++ // an unknown name next to a top-500 package is the classic typosquat
	}
	return sev
}

// oneEdit reports whether the names differ by one typing mistake, separators
// or look-alike characters.
func oneEdit(m Match) bool {
	return m.Kind == KindSeparator || m.Kind == KindHomoglyph || (m.Kind == KindEdit && m.Distance == 1)
}

// unverifiedSeverity caps a match's severity when the release history is
// unknown; ok is false when the match is not worth reporting without it.
func unverifiedSeverity(m Match, sev finding.Severity, cfg Config) (finding.Severity, bool) {
	switch {
	case m.Rank <= cfg.UnverifiedTop && oneEdit(m):
		return min(sev, finding.SeverityMedium), true
	case m.Rank <= cfg.UnverifiedTargets:
		return finding.SeverityLow, true
	}
	return 0, false
}

// judge turns the matches of one package into a finding, or none.
func judge(p *inventory.Package, ms []Match, h history, pop *Popularity, cfg Config) (finding.Finding, bool) {
	if h.established(cfg) {
		return finding.Finding{}, false
	}
	best, found := -1, false
	var sev finding.Severity
	for i, m := range ms {
		s := severityOf(m, pop)
		if !h.known {
			var ok bool
			if s, ok = unverifiedSeverity(m, s, cfg); !ok {
				continue
			}
		}
		if !found || s > sev {
			best, sev, found = i, s, true
		}
	}
	if !found {
		return finding.Finding{}, false
	}
	return confusionFinding(p, ms, best, sev, h, pop, cfg), true
}

func confusionFinding(p *inventory.Package, ms []Match, best int, sev finding.Severity, h history, pop *Popularity, cfg Config) finding.Finding {
	m := ms[best]
	var how string
	switch m.Kind {
	case KindSeparator:
		how = "differs from it only in its separators (-, _ and .)"
	case KindHomoglyph:
		how = "looks the same when characters like 1/l/I, 0/o or rn/m are confused"
	case KindAffix:
		how = "is the same name with a \"python\"/\"py\" prefix or suffix added or removed"
	default:
		how = fmt.Sprintf("is %d typing mistake(s) away from it", m.Distance)
	}
	others := make([]string, 0, len(ms)-1)
	for i, o := range ms {
		if i != best {
			others = append(others, o.Target)
		}
	}
	detail := fmt.Sprintf("%q %s. %q is the #%d most downloaded package on PyPI (%s downloads in 30 days)",
		m.Name, how, m.Target, m.Rank, humanCount(m.Downloads))
	if d := pop.Downloads(m.Name); d > 0 {
		detail += fmt.Sprintf(", %q has %s", m.Name, humanCount(d))
	} else {
		detail += fmt.Sprintf(", while %q is not among the %d most downloaded", m.Name, pop.Len())
	}
	detail += "."
	title := fmt.Sprintf("%s looks like the popular package %s", m.Name, m.Target)
	ev := map[string]string{
		"target": m.Target, "kind": string(m.Kind), "distance": strconv.Itoa(m.Distance),
		"target_rank": strconv.Itoa(m.Rank),
	}
	switch {
	case !h.known:
		title += " (unverified)"
		ev["history"] = "unknown"
		detail += fmt.Sprintf(" Its release history could not be read (offline, not cached or index unreachable), so whether %q is an established project is not known; a run with index access checks it.", m.Name)
	case h.missing:
		ev["history"] = "not-on-index"
		detail += fmt.Sprintf(" The index has no project called %q: anyone can register it and publish code under it.", m.Name)
	default:
		ev["history"] = "young"
		ev["releases"] = strconv.Itoa(h.releases)
		if !h.first.IsZero() {
			ev["first_upload"] = h.first.Format("2006-01-02")
			detail += fmt.Sprintf(" The index lists %d release(s) of %q, the first uploaded on %s: not the long history of an established project.", h.releases, m.Name, h.first.Format("2006-01-02"))
		} else {
			detail += fmt.Sprintf(" The index lists %d release(s) of %q and no upload dates.", h.releases, m.Name)
		}
	}
	detail += " Attackers publish packages under names like this so that a typo installs their code."
	if len(others) > 0 {
		detail += " Also close to: " + strings.Join(others, ", ") + "."
	}
	f := finding.Finding{
		Risk: finding.RiskNameConfusion, Rule: "typosquat", Package: m.Name, Version: p.Version,
		Severity: sev, Exact: p.Version != "", Direct: p.Direct,
		Title:    title,
		Detail:   detail,
		Action:   fmt.Sprintf("Check that you meant %q and not %q (look at its project page, author and release history). If %q is right, add it to the typosquat allow list in pyvet.toml.", m.Name, m.Target, m.Name),
		Evidence: ev,
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	return f
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}
