package license

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

// Config is the license policy.
type Config struct {
	// Allow lists the SPDX ids (or classes, e.g. "permissive") that are
	// acceptable; when not empty, a license outside it is a finding.
	Allow []string
	// Deny lists SPDX ids or classes that must not be used.
	Deny []string
	// Unknown reports packages whose license cannot be determined.
	Unknown bool
	// Copyleft reports strong copyleft and proprietary licenses (as low /
	// medium findings) even when no allow or deny list is set.
	Copyleft bool
}

// DefaultConfig returns the policy used when pyvet.toml sets none.
func DefaultConfig() Config { return Config{Unknown: true, Copyleft: true} }

// Check determines the license of every package and reports unknown, denied,
// not allowed and (with cfg.Copyleft) copyleft or proprietary licenses. The
// license comes from the inventory when it records one (installed
// distributions), else from the index: the pinned release's metadata, or the
// latest release's for unpinned packages. idx may be nil (inventory only).
// Findings are valid even when err is not nil; err lists lookups that failed.
func Check(ctx context.Context, inv *inventory.Inventory, idx *pypi.Client, cfg Config) ([]finding.Finding, error) {
	if inv == nil {
		return nil, nil
	}
	pol, err := newPolicy(cfg)
	if err != nil {
		return nil, err
	}
	var primary *pypi.Client
	if idx != nil {
		primary, _ = idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
	}
	var col lookup.Collector
	g, gctx := errgroup.WithContext(ctx)
	limit := 8
	if primary != nil {
		limit = primary.Options().Concurrency
	}
	g.SetLimit(limit)
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		key := pep508.NormalizeName(p.Name) + "@" + p.Version
		if p.Constraint || seen[key] {
			continue
		}
		seen[key] = true
		g.Go(func() error {
			res, err := licenseOf(gctx, p, primary)
			if err != nil {
				col.Fail(pep508.NormalizeName(p.Name), err)
				return nil
			}
			col.Add(pol.findings(p, res)...)
			return nil
		})
	}
	_ = g.Wait()
	return col.Result(ctx, "license: could not read the license of %d package(s)")
}

// licenseOf finds the license metadata of one package.
func licenseOf(ctx context.Context, p *inventory.Package, idx *pypi.Client) (Result, error) {
	if p.License != "" {
		return Resolve("", p.License, nil), nil
	}
	if idx == nil || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
		return Result{Class: Unknown, Problem: "no license metadata in the inventory and the package is not from an index"}, nil
	}
	var proj *pypi.Project
	var err error
	if p.Version != "" {
		proj, err = idx.Release(ctx, p.Name, p.Version)
	}
	if p.Version == "" || errors.Is(err, pypi.ErrNotFound) {
		proj, err = idx.Project(ctx, p.Name)
	}
	if err != nil {
		return Result{}, err
	}
	return Resolve(proj.Info.LicenseExpression, proj.Info.License, proj.Info.Classifiers), nil
}

// rules is a Config with its lists parsed.
type rules struct {
	cfg                     Config
	allowIDs, denyIDs       map[string]bool
	allowClass, denyClasses map[Class]bool
}

func newPolicy(cfg Config) (*rules, error) {
	p := &rules{cfg: cfg, allowIDs: map[string]bool{}, denyIDs: map[string]bool{}, allowClass: map[Class]bool{}, denyClasses: map[Class]bool{}}
	for _, l := range []struct {
		names []string
		ids   map[string]bool
		cls   map[Class]bool
		what  string
	}{{cfg.Allow, p.allowIDs, p.allowClass, "allow"}, {cfg.Deny, p.denyIDs, p.denyClasses, "deny"}} {
		for _, n := range l.names {
			if c, ok := ParseClass(n); ok {
				l.cls[c] = true
				continue
			}
			id, ok := CanonicalID(n)
			if !ok {
				return nil, fmt.Errorf("license %s list: %q is neither an SPDX license id nor a class (permissive, weak-copyleft, strong-copyleft, proprietary, unknown)", l.what, n)
			}
			l.ids[strings.ToLower(id)] = true
		}
	}
	return p, nil
}

func (p *rules) denied(id string, c Class) bool {
	return p.denyIDs[strings.ToLower(id)] || p.denyClasses[c]
}

func (p *rules) allowed(id string, c Class) bool {
	return p.allowIDs[strings.ToLower(id)] || p.allowClass[c]
}

// satisfiable reports whether the expression can be complied with using only
// licenses ok accepts: every operand of AND, one operand of OR.
func satisfiable(e *Expr, ok func(id string, c Class) bool) bool {
	switch e.Op {
	case "AND":
		for _, a := range e.Args {
			if !satisfiable(a, ok) {
				return false
			}
		}
		return true
	case "OR":
		for _, a := range e.Args {
			if satisfiable(a, ok) {
				return true
			}
		}
		return false
	}
	return ok(e.ID, ClassOf(e.ID, e.Exception))
}

func (p *rules) findings(pkg *inventory.Package, r Result) []finding.Finding {
	name := pep508.NormalizeName(pkg.Name)
	base := finding.Finding{Risk: finding.RiskLicense, Package: name, Version: pkg.Version, Exact: pkg.Version != "", Direct: pkg.Direct,
		Evidence: map[string]string{"license": r.Expression, "class": string(r.Class), "source": string(r.Source)}}
	if len(pkg.Locations) > 0 {
		l := pkg.Locations[0]
		base.Location = &l
	}
	mk := func(rule string, sev finding.Severity, title, detail, action string) finding.Finding {
		f := base
		f.Rule, f.Severity, f.Title, f.Detail, f.Action = rule, sev, title, detail, action
		return f
	}
	if r.expr == nil {
		if p.denyClasses[Unknown] {
			return []finding.Finding{mk("license-denied", finding.SeverityHigh, fmt.Sprintf("%s has no recognizable license, and unknown licenses are denied", name),
				"pyvet could not determine the license: "+r.Problem+".", fmt.Sprintf("Find the license of %s in its repository and record it in the policy, or replace the package.", name))}
		}
		if !p.cfg.Unknown && len(p.allowIDs)+len(p.allowClass) == 0 {
			return nil
		}
		return []finding.Finding{mk("license-unknown", finding.SeverityMedium, fmt.Sprintf("%s has no recognizable license", name),
			"pyvet could not determine the license: "+r.Problem+". Without a license you may have no right to use or ship the code.",
			fmt.Sprintf("Look up the license of %s in its source repository; if it is acceptable, allow the package in pyvet.toml, and ask the maintainers to add a License-Expression.", name))}
	}
	var out []finding.Finding
	if !satisfiable(r.expr, func(id string, c Class) bool { return !p.denied(id, c) }) {
		out = append(out, mk("license-denied", finding.SeverityHigh, fmt.Sprintf("%s is licensed %s, which the policy denies", name, r.Expression),
			fmt.Sprintf("The license (%s, read from %s) is on the deny list of pyvet.toml.", r.Class, r.Source),
			fmt.Sprintf("Replace %s with a package under an accepted license, or get legal approval and change the policy.", name)))
		return out
	}
	if len(p.allowIDs)+len(p.allowClass) > 0 && !satisfiable(r.expr, p.allowed) {
		out = append(out, mk("license-not-allowed", finding.SeverityMedium, fmt.Sprintf("%s is licensed %s, which is not on the allow list", name, r.Expression),
			fmt.Sprintf("The license (%s, read from %s) is not among the licenses pyvet.toml allows.", r.Class, r.Source),
			fmt.Sprintf("Check the license of %s with whoever approves licenses; then add it to the allow list or replace the package.", name)))
		return out
	}
	if p.cfg.Copyleft && len(p.allowIDs)+len(p.allowClass) == 0 {
		switch r.Class {
		case StrongCopyleft:
			sev := finding.SeverityLow
			if network(r.expr) {
				sev = finding.SeverityMedium
			}
			out = append(out, mk("license-copyleft", sev, fmt.Sprintf("%s is licensed %s (strong copyleft)", name, r.Expression),
				"Strong copyleft licenses require that software which includes or links the package is distributed under the same license, with its source. AGPL and SSPL extend this to software offered over a network.",
				fmt.Sprintf("Make sure the way you ship your software complies with %s, or replace %s; record the decision in pyvet.toml (allow or deny).", r.Expression, name)))
		case Proprietary:
			out = append(out, mk("license-proprietary", finding.SeverityMedium, fmt.Sprintf("%s is under a proprietary or non-commercial license (%s)", name, r.Expression),
				"The package's license restricts use, for example to non-commercial purposes, or is not an open-source license.",
				fmt.Sprintf("Check that your use of %s is permitted by its license terms, or replace it.", name)))
		}
	}
	if r.Problem != "" && r.Source != FromExpression {
		out = append(out, mk("license-metadata", finding.SeverityInfo, fmt.Sprintf("%s has an invalid License-Expression", name),
			r.Problem+"; pyvet used the "+string(r.Source)+" metadata instead ("+r.Expression+").",
			fmt.Sprintf("Ask the maintainers of %s to publish a valid SPDX License-Expression.", name)))
	}
	return out
}

// network reports whether an expression requires a network-copyleft license.
func network(e *Expr) bool {
	return !satisfiable(e, func(id string, _ Class) bool {
		l := strings.ToLower(id)
		return !strings.HasPrefix(l, "agpl") && !strings.HasPrefix(l, "sspl") && !strings.HasPrefix(l, "licenseref-pyvet-agpl")
	})
}
