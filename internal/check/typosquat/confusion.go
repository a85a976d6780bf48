package typosquat

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

// CheckDependencyConfusion reports names exposed to dependency confusion. When
// a project adds extra indexes (pip's --extra-index-url), pip installs the
// highest version found on any of them, so a name served by a private extra
// index that also exists on the primary (public) index, or that nobody has
// registered there yet, can be replaced by an attacker's upload. Packages a
// lockfile pins to a non-primary index are checked the same way. The findings
// are valid even when err is not nil; err then says which lookups failed
// (offline with an empty cache, index errors).
func CheckDependencyConfusion(ctx context.Context, inv *inventory.Inventory, idx *pypi.Client, cfg Config) ([]finding.Finding, error) {
	if inv == nil || idx == nil {
		return nil, nil
	}
	primary, extras := idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
	pub := primary.Options().SimpleURL
	allow := map[string]bool{}
	for _, a := range cfg.Allow {
		allow[pep508.NormalizeName(strings.TrimSpace(a))] = true
	}
	type job struct {
		pkg     *inventory.Package
		private []string // the non-primary indexes the package may come from
	}
	var jobs []job
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		n := pep508.NormalizeName(p.Name)
		if p.Constraint || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) || allow[n] || seen[n] {
			continue
		}
		priv := extras
		if p.Index != "" && !strings.EqualFold(strings.TrimRight(p.Index, "/"), pub) {
			priv = appendUnique(priv, strings.TrimRight(p.Index, "/"))
		}
		if len(priv) == 0 {
			continue
		}
		seen[n] = true
		jobs = append(jobs, job{p, priv})
	}
	var col lookup.Collector
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(primary.Options().Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			n := pep508.NormalizeName(j.pkg.Name)
			onPublic, onPrivate, err := lookupIndexes(gctx, primary, pub, j.private, n)
			switch {
			case err != nil:
				col.Fail(n, err)
			case len(onPrivate) > 0:
				col.Add(confusionOf(j.pkg, n, pub, onPrivate, onPublic, len(extras) > 0))
			}
			return nil
		})
	}
	_ = g.Wait()
	return col.Result(ctx, "dependency confusion: could not look up %d name(s) on the indexes")
}

// lookupIndexes says whether name exists on the public index and on which of
// the private ones.
func lookupIndexes(ctx context.Context, c *pypi.Client, pub string, private []string, name string) (onPublic bool, onPrivate []string, err error) {
	if onPublic, err = c.Exists(ctx, pub, name); err != nil {
		return false, nil, err
	}
	for _, ix := range private {
		ok, err := c.Exists(ctx, ix, name)
		if err != nil {
			return false, nil, err
		}
		if ok {
			onPrivate = append(onPrivate, ix)
		}
	}
	return onPublic, onPrivate, nil
}

func confusionOf(p *inventory.Package, name, pub string, private []string, onPublic, extraIndex bool) finding.Finding {
	f := finding.Finding{
		Risk: finding.RiskNameConfusion, Rule: "dependency-confusion", Package: name, Version: p.Version,
		Exact: p.Version != "", Direct: p.Direct,
		Evidence: map[string]string{"private_index": strings.Join(private, " "), "public_index": pub},
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	how := "The lockfile records the private index for it"
	if extraIndex {
		how = "pip and similar installers look at every configured index and take the highest version they find"
	}
	switch {
	case onPublic && extraIndex:
		f.Severity = finding.SeverityHigh
		f.Title = fmt.Sprintf("%s exists on both a private index and %s", name, pub)
		f.Detail = fmt.Sprintf("%q is served by %s and also by the public index %s. %s, so a higher version on the public index replaces your private package.", name, strings.Join(private, ", "), pub, how)
		f.Action = "Install private packages from the private index only: use --index-url for the private index (not --extra-index-url), or pin each package to its index (uv [[tool.uv.index]] explicit = true, Poetry source priority \"explicit\"), and pin hashes."
	case onPublic:
		f.Severity = finding.SeverityMedium
		f.Title = fmt.Sprintf("%s is on a private index and also on %s", name, pub)
		f.Detail = fmt.Sprintf("%q comes from %s but a project with the same name exists on the public index %s. %s; a tool or colleague installing without it gets the public package.", name, strings.Join(private, ", "), pub, how)
		f.Action = "Make sure every installation uses the private index for this package and pin hashes; consider a name prefix the public index cannot have (or register it there)."
	default:
		f.Severity = finding.SeverityLow
		if extraIndex {
			f.Severity = finding.SeverityMedium
		}
		f.Title = fmt.Sprintf("%s is private and unclaimed on %s", name, pub)
		f.Detail = fmt.Sprintf("%q is served by %s and does not exist on the public index %s. %s; anyone can register the name there and publish a higher version.", name, strings.Join(private, ", "), pub, how)
		f.Action = "Register the name on the public index as a placeholder, or install private packages from the private index only (--index-url, or per-package index pinning) and pin hashes."
	}
	return f
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(append([]string(nil), list...), s)
}
