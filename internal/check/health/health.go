// Package health checks what the package index knows about each dependency:
// outdated pins (OWASP OSS risk 5), unmaintained projects (risk 4), immature
// projects and pre-release pins (risk 8), and yanked versions.
package health

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// Config holds the thresholds of the health checks. Each check can be turned off.
type Config struct {
	Outdated     bool // report pins behind the latest release
	Unmaintained bool // report projects without recent releases or marked inactive
	Immature     bool // report young projects, few releases, pre-release pins
	Yanked       bool // report pins of yanked versions

	// OutdatedMinBehind is how many newer releases make a pin outdated.
	OutdatedMinBehind int
	// OutdatedAge: a pin whose release is this much older than the latest is medium severity.
	OutdatedAge time.Duration
	// UnmaintainedAfter is the time since the last release after which a project
	// counts as unmaintained; twice as long raises the severity.
	UnmaintainedAfter time.Duration
	// ImmatureAge: a project whose first release is younger than this is immature.
	ImmatureAge time.Duration
	// ImmatureMinReleases: a project with fewer releases is immature.
	ImmatureMinReleases int
	// ZeroVer reports pins of 0.x versions (as info).
	ZeroVer bool
	// ProjectStatus reads the PEP 792 project status (archived, deprecated,
	// quarantined) from the Simple API; an index without it is not an error.
	ProjectStatus bool

	// Now returns the current time (nil: time.Now); tests set it.
	Now func() time.Time
}

// DefaultConfig returns the thresholds used when pyvet.toml sets none.
func DefaultConfig() Config {
	return Config{
		Outdated: true, Unmaintained: true, Immature: true, Yanked: true,
		OutdatedMinBehind:   1,
		OutdatedAge:         365 * 24 * time.Hour,
		UnmaintainedAfter:   2 * 365 * 24 * time.Hour,
		ImmatureAge:         90 * 24 * time.Hour,
		ImmatureMinReleases: 3,
		ZeroVer:             true,
		ProjectStatus:       true,
	}
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Check looks every index package of inv up on the index (the primary index the
// inventory's options select, else idx's) and reports the health findings.
// Packages from URLs, VCS or paths are skipped. The findings are valid even
// when err is not nil; err then lists the names that could not be looked up
// (not on the index, offline and not cached, index errors).
func Check(ctx context.Context, inv *inventory.Inventory, idx *pypi.Client, cfg Config) ([]finding.Finding, error) {
	if inv == nil || idx == nil {
		return nil, nil
	}
	primary, _ := idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
	var pkgs []*inventory.Package
	var names []string
	for _, p := range inv.Packages {
		if p.Constraint || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
			continue
		}
		pkgs = append(pkgs, p)
		names = append(names, p.Name)
	}
	res, err := primary.Projects(ctx, names)
	if err != nil {
		return nil, err
	}
	var out []finding.Finding
	failed := map[string]string{}
	for _, p := range pkgs {
		n := pep508.NormalizeName(p.Name)
		r := res[n]
		if r.Err != nil {
			failed[n] = lookup.Cause(r.Err, n)
			continue
		}
		out = append(out, Analyze(p, r.Project, cfg)...)
	}
	if cfg.ProjectStatus && cfg.Unmaintained {
		out = append(out, statusFindings(ctx, primary, pkgs, failed)...)
	}
	finding.Sort(out)
	if len(failed) > 0 {
		// One line per cause, not one Go error per package.
		fl := finding.NewFailures("health: %d package(s) not checked")
		for k, why := range failed {
			fl.AddCause(k, why)
		}
		return out, fl
	}
	return out, nil
}

// statusFindings reads the PEP 792 status of each looked-up project from the
// Simple API. Lookups that fail are ignored: most indexes do not publish it.
func statusFindings(ctx context.Context, idx *pypi.Client, pkgs []*inventory.Package, skip map[string]string) []finding.Finding {
	var mu sync.Mutex
	var out []finding.Finding
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(idx.Options().Concurrency)
	seen := map[string]bool{}
	for _, p := range pkgs {
		n := pep508.NormalizeName(p.Name)
		if _, bad := skip[n]; bad || seen[n] {
			continue
		}
		seen[n] = true
		g.Go(func() error {
			page, err := idx.Simple(gctx, n)
			if err != nil || page.ProjectStatus == "" || page.ProjectStatus == "active" {
				return nil
			}
			if f, ok := statusFinding(p, n, page.ProjectStatus, page.StatusReason); ok {
				mu.Lock()
				out = append(out, f)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func statusFinding(p *inventory.Package, name, status, reason string) (finding.Finding, bool) {
	f := finding.Finding{Package: name, Version: p.Version, Exact: p.Version != "", Direct: p.Direct,
		Evidence: map[string]string{"project_status": status, "reason": reason}}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	why := ""
	if reason != "" {
		why = fmt.Sprintf(" (reason: %q)", reason)
	}
	switch status {
	case "archived":
		f.Risk, f.Rule, f.Severity = finding.RiskUnmaintained, "unmaintained-archived", finding.SeverityMedium
		f.Title = fmt.Sprintf("%s is archived on the index", name)
		f.Detail = fmt.Sprintf("The maintainers marked %s as archived%s: no further releases, including security fixes, are expected.", name, why)
		f.Action = fmt.Sprintf("Plan to replace %s with a maintained alternative.", name)
	case "deprecated":
		f.Risk, f.Rule, f.Severity = finding.RiskUnmaintained, "unmaintained-status-deprecated", finding.SeverityMedium
		f.Title = fmt.Sprintf("%s is deprecated on the index", name)
		f.Detail = fmt.Sprintf("The maintainers marked %s as deprecated%s.", name, why)
		f.Action = fmt.Sprintf("Read the project page for the recommended replacement of %s and plan the move.", name)
	case "quarantined":
		f.Risk, f.Rule, f.Severity = finding.RiskMalicious, "quarantined", finding.SeverityCritical
		f.Title = fmt.Sprintf("%s is quarantined by the index", name)
		f.Detail = fmt.Sprintf("The index has quarantined %s%s, which it does when a project is suspected of being malicious. It cannot be installed from the index.", name, why)
		f.Action = fmt.Sprintf("Remove %s, check the machines where it was installed, and rotate any secrets they held.", name)
	default:
		return f, false
	}
	return f, true
}

// release is one parsed version of a project.
type release struct {
	pypi.Release
	v pep440.Version
}

// history is what Analyze derives from a project's releases.
type history struct {
	all    []release // parseable versions with files, ascending
	live   []release // not yanked
	latest *release  // highest live final release (or highest live release when none is final)
	first  time.Time // first upload
	last   time.Time // latest upload of a live release
}

func historyOf(proj *pypi.Project) history {
	var h history
	for _, r := range proj.ReleaseList() {
		v, err := pep440.Parse(r.Version)
		if err != nil {
			continue // legacy versions cannot be ordered; pip ignores them too
		}
		h.all = append(h.all, release{r, v})
	}
	sort.Slice(h.all, func(i, j int) bool { return h.all[i].v.Compare(h.all[j].v) < 0 })
	for i := range h.all {
		r := h.all[i]
		if !r.Uploaded.IsZero() && (h.first.IsZero() || r.Uploaded.Before(h.first)) {
			h.first = r.Uploaded
		}
		if r.Yanked {
			continue
		}
		h.live = append(h.live, r)
		if r.Uploaded.After(h.last) {
			h.last = r.Uploaded
		}
	}
	for i := len(h.live) - 1; i >= 0; i-- {
		if !h.live[i].v.IsPrerelease() {
			h.latest = &h.live[i]
			break
		}
	}
	if h.latest == nil && len(h.live) > 0 {
		h.latest = &h.live[len(h.live)-1]
	}
	return h
}

func (h history) find(v pep440.Version) *release {
	for i := range h.all {
		if h.all[i].v.Compare(v) == 0 {
			return &h.all[i]
		}
	}
	return nil
}

// Analyze returns the health findings for one package given its index data.
func Analyze(pkg *inventory.Package, proj *pypi.Project, cfg Config) []finding.Finding {
	h := historyOf(proj)
	name := pep508.NormalizeName(pkg.Name)
	base := finding.Finding{Package: name, Version: pkg.Version, Exact: pkg.Version != "", Direct: pkg.Direct}
	if pkg.Version == "" {
		base.Version = pkg.Specifier
	}
	if len(pkg.Locations) > 0 {
		l := pkg.Locations[0]
		base.Location = &l
	}
	var out []finding.Finding
	emit := func(f finding.Finding) {
		f.Package, f.Version, f.Exact, f.Direct, f.Location = base.Package, base.Version, base.Exact, base.Direct, base.Location
		out = append(out, f)
	}
	var pinned *release
	var pv pep440.Version
	pinOK := false
	if pkg.Version != "" {
		if v, err := pep440.Parse(pkg.Version); err == nil {
			pv, pinOK = v, true
			pinned = h.find(v)
		}
	}
	if cfg.Yanked && pinOK {
		yankedChecks(emit, name, pkg.Version, pinned, h)
	}
	if cfg.Outdated && h.latest != nil {
		outdatedChecks(emit, name, pkg, pinOK, pv, pinned, h, cfg)
	}
	if cfg.Unmaintained {
		unmaintainedChecks(emit, name, proj, h, cfg)
	}
	if cfg.Immature {
		immatureChecks(emit, name, pkg.Version, pinOK, pv, h, cfg)
	}
	return out
}

func upgradeTo(h history) string {
	if h.latest == nil {
		return "a release that is not yanked"
	}
	return h.latest.Version
}

func yankedChecks(emit func(finding.Finding), name, version string, pinned *release, h history) {
	switch {
	case pinned != nil && pinned.Yanked:
		reason := "no reason given"
		if pinned.YankedReason != "" {
			reason = fmt.Sprintf("the reason given: %q", pinned.YankedReason)
		}
		emit(finding.Finding{Risk: finding.RiskOutdated, Rule: "yanked", Severity: finding.SeverityHigh,
			Title:    fmt.Sprintf("%s %s was yanked from the index", name, version),
			Detail:   fmt.Sprintf("The maintainers withdrew %s %s (%s). Yanked releases usually contain a serious bug or security problem; installers skip them unless pinned exactly, as here.", name, version, reason),
			Action:   fmt.Sprintf("Upgrade to %s (or another release that is not yanked).", upgradeTo(h)),
			Evidence: map[string]string{"yanked_reason": pinned.YankedReason}})
	case pinned == nil && len(h.all) > 0:
		emit(finding.Finding{Risk: finding.RiskUntracked, Rule: "version-missing", Severity: finding.SeverityMedium,
			Title:  fmt.Sprintf("%s %s is not on the index", name, version),
			Detail: fmt.Sprintf("The index lists %d releases of %s but not %s: the release was deleted, or the pin comes from somewhere else. Nobody can reinstall it from this index, and a deleted release may have been withdrawn for a reason.", len(h.all), name, version),
			Action: fmt.Sprintf("Check where %s %s comes from; pin a release the index has, such as %s.", name, version, upgradeTo(h))})
	}
}

func outdatedChecks(emit func(finding.Finding), name string, pkg *inventory.Package, pinOK bool, pv pep440.Version, pinned *release, h history, cfg Config) {
	latest := h.latest
	if !pinOK {
		spec, err := pep440.ParseSpecifierSet(pkg.Specifier)
		if err != nil || spec.IsEmpty() || spec.Contains(latest.v) {
			return
		}
		emit(finding.Finding{Risk: finding.RiskOutdated, Rule: "outdated-range", Severity: finding.SeverityLow,
			Title:  fmt.Sprintf("%s %s excludes the latest release %s", name, pkg.Specifier, latest.Version),
			Detail: fmt.Sprintf("The requirement %q cannot install %s %s, released %s. Fixes made since are not picked up.", pkg.Specifier, name, latest.Version, day(latest.Uploaded)),
			Action: fmt.Sprintf("Widen the requirement to allow %s %s and test the upgrade.", name, latest.Version)})
		return
	}
	if pv.Compare(latest.v) >= 0 {
		return
	}
	behind := 0
	for _, r := range h.live {
		if r.v.Compare(pv) > 0 && !r.v.IsPrerelease() {
			behind++
		}
	}
	if behind < cfg.OutdatedMinBehind {
		return
	}
	sev := finding.SeverityLow
	ev := map[string]string{"latest": latest.Version, "releases_behind": fmt.Sprint(behind)}
	age := ""
	if pinned != nil && !pinned.Uploaded.IsZero() && !latest.Uploaded.IsZero() {
		lag := latest.Uploaded.Sub(pinned.Uploaded)
		ev["days_behind"] = fmt.Sprint(int(lag.Hours() / 24))
		age = fmt.Sprintf(" %s released %s, %s %s, %s later.", name+" "+pkg.Version, day(pinned.Uploaded), latest.Version, day(latest.Uploaded), span(lag))
		if lag >= cfg.OutdatedAge {
			sev = finding.SeverityMedium
		}
	}
	if major(pv) < major(latest.v) {
		sev = finding.SeverityMedium
	}
	emit(finding.Finding{Risk: finding.RiskOutdated, Rule: "outdated", Severity: sev,
		Title:    fmt.Sprintf("%s %s is %d release(s) behind %s", name, pkg.Version, behind, latest.Version),
		Detail:   fmt.Sprintf("A newer release of %s exists.%s Old versions miss bug and security fixes, and the longer an upgrade waits the bigger it gets.", name, age),
		Action:   fmt.Sprintf("Upgrade %s to %s and run your tests.", name, latest.Version),
		Fix:      []string{latest.Version},
		Evidence: ev})
}

func unmaintainedChecks(emit func(finding.Finding), name string, proj *pypi.Project, h history, cfg Config) {
	for _, c := range proj.Info.Classifiers {
		if strings.HasPrefix(strings.TrimSpace(c), "Development Status :: 7 - Inactive") {
			emit(finding.Finding{Risk: finding.RiskUnmaintained, Rule: "unmaintained-inactive", Severity: finding.SeverityHigh,
				Title:  fmt.Sprintf("%s is marked inactive by its maintainers", name),
				Detail: "The project declares \"Development Status :: 7 - Inactive\": nobody fixes its bugs or security problems any more.",
				Action: fmt.Sprintf("Replace %s with a maintained alternative, or be ready to maintain a fork.", name)})
			break
		}
	}
	if w := deprecationWords(proj.Info.Summary); w != "" {
		emit(finding.Finding{Risk: finding.RiskUnmaintained, Rule: "unmaintained-deprecated", Severity: finding.SeverityMedium,
			Title:    fmt.Sprintf("%s says it is %s", name, w),
			Detail:   fmt.Sprintf("The project summary reads %q.", strings.TrimSpace(proj.Info.Summary)),
			Action:   fmt.Sprintf("Read the project page for the recommended replacement of %s and plan the move.", name),
			Evidence: map[string]string{"summary": proj.Info.Summary}})
	}
	if h.last.IsZero() || cfg.UnmaintainedAfter <= 0 {
		return
	}
	idle := cfg.now().Sub(h.last)
	if idle < cfg.UnmaintainedAfter {
		return
	}
	sev := finding.SeverityLow
	if idle >= 2*cfg.UnmaintainedAfter {
		sev = finding.SeverityMedium
	}
	emit(finding.Finding{Risk: finding.RiskUnmaintained, Rule: "unmaintained-stale", Severity: sev,
		Title:    fmt.Sprintf("%s has had no release for %s", name, span(idle)),
		Detail:   fmt.Sprintf("The last release of %s was on %s. A project without releases for this long may not get fixes for new security problems or work with newer Python versions.", name, day(h.last)),
		Action:   fmt.Sprintf("Check the project's repository for activity; if it is abandoned, plan to replace %s or vendor and maintain it.", name),
		Evidence: map[string]string{"last_release": day(h.last)}})
}

// deprecationWords returns the phrase of a summary that says the project is
// deprecated or abandoned, or "".
func deprecationWords(summary string) string {
	s := strings.ToLower(summary)
	for _, w := range []string{"no longer maintained", "not maintained", "unmaintained", "deprecated", "abandoned", "archived"} {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

func immatureChecks(emit func(finding.Finding), name, version string, pinOK bool, pv pep440.Version, h history, cfg Config) {
	if !h.first.IsZero() && cfg.ImmatureAge > 0 {
		if age := cfg.now().Sub(h.first); age < cfg.ImmatureAge {
			emit(finding.Finding{Risk: finding.RiskImmature, Rule: "immature-new", Severity: finding.SeverityMedium,
				Title:    fmt.Sprintf("%s is a new project (first release %s ago)", name, span(age)),
				Detail:   fmt.Sprintf("%s was first published on %s. New projects have had little review and use, and malicious packages are usually young.", name, day(h.first)),
				Action:   fmt.Sprintf("Check who publishes %s and why you need it before depending on it.", name),
				Evidence: map[string]string{"first_release": day(h.first)}})
		}
	}
	if n := len(h.all); n > 0 && n < cfg.ImmatureMinReleases {
		emit(finding.Finding{Risk: finding.RiskImmature, Rule: "immature-few-releases", Severity: finding.SeverityLow,
			Title:  fmt.Sprintf("%s has only %d release(s)", name, n),
			Detail: "Projects with very few releases have little track record of fixing problems.",
			Action: fmt.Sprintf("Make sure %s is what you want and consider an established alternative.", name)})
	}
	if !pinOK {
		return
	}
	switch {
	case pv.IsPrerelease():
		emit(finding.Finding{Risk: finding.RiskImmature, Rule: "immature-prerelease", Severity: finding.SeverityLow,
			Title:  fmt.Sprintf("%s %s is a pre-release", name, version),
			Detail: "Alpha, beta, release-candidate and development versions are not meant for production use and may change without notice.",
			Action: fmt.Sprintf("Pin a final release of %s (latest: %s).", name, upgradeTo(h))})
	case cfg.ZeroVer && major(pv) == 0:
		emit(finding.Finding{Risk: finding.RiskImmature, Rule: "immature-zerover", Severity: finding.SeverityInfo,
			Title:  fmt.Sprintf("%s %s is a 0.x version", name, version),
			Detail: "Versions below 1.0 usually promise no stable interface: any release may break your code.",
			Action: "Keep the exact pin and read the changelog before every upgrade."})
	}
}

func major(v pep440.Version) int {
	if r := v.Release(); len(r) > 0 {
		return r[0]
	}
	return 0
}

func day(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return t.Format("2006-01-02")
}

// span renders a duration in days, months or years.
func span(d time.Duration) string {
	days := int(d.Hours() / 24)
	switch {
	case days >= 730:
		return fmt.Sprintf("%d years", days/365)
	case days >= 60:
		return fmt.Sprintf("%d months", days/30)
	case days == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}
