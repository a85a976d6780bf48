// Package size reports dependencies that are out of proportion (OWASP OSS risk
// 10): direct dependencies that pull in many transitive ones, very large
// distributions, and trivially small packages that add a supplier for a few
// lines of code.
package size

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/check/lookup"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

// Config holds the size thresholds. A zero threshold turns its check off.
type Config struct {
	// MaxTransitive: a direct dependency bringing more transitive dependencies is reported.
	MaxTransitive int
	// MaxDistSize: a distribution file larger than this many bytes is reported.
	MaxDistSize int64
	// TinySize: a package whose every file is smaller than this many bytes is reported.
	TinySize int64
}

// DefaultConfig returns the thresholds used when pyvet.toml sets none.
func DefaultConfig() Config {
	return Config{MaxTransitive: 40, MaxDistSize: 50 << 20, TinySize: 2500}
}

// Transitive returns, for every direct dependency of inv, the number of
// distinct packages reachable from it through the Requires edges.
func Transitive(inv *inventory.Inventory) map[string]int {
	graph := map[string][]string{}
	for _, p := range inv.Packages {
		n := pep508.NormalizeName(p.Name)
		for _, r := range p.Requires {
			graph[n] = append(graph[n], pep508.NormalizeName(r))
		}
	}
	out := map[string]int{}
	for _, p := range inv.Packages {
		if !p.Direct {
			continue
		}
		root := pep508.NormalizeName(p.Name)
		seen := map[string]bool{root: true}
		stack := []string{root}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, m := range graph[n] {
				if !seen[m] {
					seen[m] = true
					stack = append(stack, m)
				}
			}
		}
		out[root] = len(seen) - 1
	}
	return out
}

// Check reports heavy direct dependencies (from the inventory's graph) and
// oversized or trivially small distributions. File sizes come from the
// inventory (lockfiles record them) or, when missing, from the index; idx may
// be nil. Findings are valid even when err is not nil; err lists the lookups
// that failed.
func Check(ctx context.Context, inv *inventory.Inventory, idx *pypi.Client, cfg Config) ([]finding.Finding, error) {
	if inv == nil {
		return nil, nil
	}
	var out []finding.Finding
	if cfg.MaxTransitive > 0 {
		counts := Transitive(inv)
		for _, p := range inv.Packages {
			n := pep508.NormalizeName(p.Name)
			if c, ok := counts[n]; ok && c > cfg.MaxTransitive {
				delete(counts, n)
				out = append(out, heavy(p, c, cfg))
			}
		}
	}
	var primary *pypi.Client
	if idx != nil {
		primary, _ = idx.ForIndexes(inv.Index.IndexURL, inv.Index.ExtraIndexURLs)
	}
	var col lookup.Collector
	col.Add(out...)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		key := pep508.NormalizeName(p.Name) + "@" + p.Version
		if p.Constraint || seen[key] || (cfg.MaxDistSize <= 0 && cfg.TinySize <= 0) {
			continue
		}
		seen[key] = true
		g.Go(func() error {
			files, err := filesOf(gctx, p, primary)
			if err != nil {
				col.Fail(pep508.NormalizeName(p.Name), err)
				return nil
			}
			col.Add(fileFindings(p, files, cfg)...)
			return nil
		})
	}
	_ = g.Wait()
	return col.Result(ctx, "size: could not read the distribution sizes of %d package(s)")
}

type distFile struct {
	name string
	size int64
}

// filesOf returns the distribution files of a package with their sizes.
func filesOf(ctx context.Context, p *inventory.Package, idx *pypi.Client) ([]distFile, error) {
	var files []distFile
	for _, f := range p.Files {
		if f.Size > 0 {
			files = append(files, distFile{f.Name, f.Size})
		}
	}
	if len(files) > 0 || idx == nil || p.Version == "" || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
		return files, nil
	}
	proj, err := idx.Release(ctx, p.Name, p.Version)
	if err != nil {
		return nil, err
	}
	for _, f := range proj.URLs {
		if f.Size > 0 {
			files = append(files, distFile{f.Filename, f.Size})
		}
	}
	return files, nil
}

func base(p *inventory.Package) finding.Finding {
	f := finding.Finding{Risk: finding.RiskSize, Package: pep508.NormalizeName(p.Name), Version: p.Version, Exact: p.Version != "", Direct: p.Direct}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	return f
}

func heavy(p *inventory.Package, n int, cfg Config) finding.Finding {
	f := base(p)
	f.Rule, f.Severity = "size-heavy", finding.SeverityLow
	if n > 2*cfg.MaxTransitive {
		f.Severity = finding.SeverityMedium
	}
	f.Title = fmt.Sprintf("%s pulls in %d other packages", f.Package, n)
	f.Detail = fmt.Sprintf("Installing %s also installs %d transitive dependencies (the threshold is %d). Each one is code you run and a supplier you trust; more of them means more chances for a vulnerable or compromised package.", f.Package, n, cfg.MaxTransitive)
	f.Action = fmt.Sprintf("Check whether you use enough of %s to justify them: a lighter alternative, an extra that installs less, or a few lines of your own may do.", f.Package)
	f.Evidence = map[string]string{"transitive": fmt.Sprint(n)}
	return f
}

func fileFindings(p *inventory.Package, files []distFile, cfg Config) []finding.Finding {
	if len(files) == 0 {
		return nil
	}
	var out []finding.Finding
	largest := files[0]
	for _, f := range files[1:] {
		if f.size > largest.size {
			largest = f
		}
	}
	if cfg.MaxDistSize > 0 && largest.size > cfg.MaxDistSize {
		f := base(p)
		f.Rule, f.Severity = "size-large", finding.SeverityLow
		f.Title = fmt.Sprintf("%s ships a %s distribution", f.Package, human(largest.size))
		f.Detail = fmt.Sprintf("%s is %s (the threshold is %s). Large distributions are hard to review, slow to install, and often bundle native libraries that need their own security updates.", largest.name, human(largest.size), human(cfg.MaxDistSize))
		f.Action = fmt.Sprintf("Check whether a slimmer variant of %s exists (a CPU-only build, fewer extras) and that its bundled libraries are kept up to date.", f.Package)
		f.Evidence = map[string]string{"file": largest.name, "bytes": fmt.Sprint(largest.size)}
		out = append(out, f)
	}
	if cfg.TinySize > 0 && largest.size < cfg.TinySize {
		f := base(p)
		f.Rule, f.Severity = "size-trivial", finding.SeverityInfo
		if p.Direct {
			f.Severity = finding.SeverityLow
		}
		f.Title = fmt.Sprintf("%s is a trivially small package (%s)", f.Package, human(largest.size))
		f.Detail = fmt.Sprintf("Every distribution file of %s is smaller than %s. A package this small holds a few lines of code but adds a whole supplier who can publish a malicious update.", f.Package, human(cfg.TinySize))
		f.Action = fmt.Sprintf("Consider replacing %s with a few lines in your own code, or pin it with hashes.", f.Package)
		f.Evidence = map[string]string{"file": largest.name, "bytes": fmt.Sprint(largest.size)}
		out = append(out, f)
	}
	return out
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
