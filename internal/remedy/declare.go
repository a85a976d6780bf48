package remedy

import (
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
)

// reparsed reports whether files of a format are read again, one
// declaration per line, to keep what merging the inventory folds together:
// each file's own specifier and marker for a package. They are the files
// Rewrite edits and the lockfiles.
func reparsed(f *inventory.FileFormat) bool {
	return f != nil && (editable(f) || f.Lock != nil)
}

// declarationsOf lists every declaration of an index package in inv, by
// normalized name. Files of the formats above are read again so that each
// declaration keeps its own specifier, marker and line (the merged
// inventory keeps one specifier per package); packages known only from
// other sources (installed environments, files that cannot be read again)
// are taken from the inventory as they are.
func declarationsOf(inv *inventory.Inventory) map[string][]*declaration {
	out := map[string][]*declaration{}
	done := map[string]bool{}
	seen := map[string]bool{}
	for _, s := range inv.Sources {
		if seen[s.Path] || strings.Contains(s.Path, "://") {
			continue
		}
		seen[s.Path] = true
		format := inventory.FormatOf(s.Format)
		if !reparsed(format) {
			continue
		}
		data, err := safeio.ReadFile(s.Path, safeio.MaxTextFile)
		if err != nil {
			continue
		}
		part, err := format.Parse(s.Path, data, inventory.Options{NoIncludes: true})
		if err != nil {
			continue
		}
		done[s.Path] = true
		for _, p := range part.Packages {
			var locs []inventory.Location
			for _, l := range p.Locations {
				if l.File == s.Path {
					locs = append(locs, l)
				}
			}
			if len(locs) == 0 {
				continue
			}
			add(out, p, locs, s.Format == "constraints")
		}
	}
	for _, p := range inv.Packages {
		if p == nil {
			continue
		}
		var locs []inventory.Location
		for _, l := range p.Locations {
			if !done[l.File] {
				locs = append(locs, l)
			}
		}
		if len(locs) == 0 && len(p.Locations) > 0 {
			continue // every place it was declared was read again above
		}
		add(out, p, locs, p.Constraint)
	}
	for _, ds := range out {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].key() < ds[j].key() })
	}
	return out
}

func add(out map[string][]*declaration, p *inventory.Package, locs []inventory.Location, constraint bool) {
	if p.Project || p.Name == "" || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
		return
	}
	n := normalize(p.Name)
	out[n] = append(out[n], &declaration{
		version:    p.Version,
		spec:       p.Specifier,
		marker:     p.Marker,
		constraint: constraint || p.Constraint,
		locations:  locs,
	})
}

// key orders declarations by their first location.
func (d *declaration) key() string {
	if len(d.locations) == 0 {
		return "\xff"
	}
	l := d.locations[0]
	return l.File + "\x00" + padLine(l.Line)
}

func padLine(n int) string {
	s := strings.Repeat("0", 10)
	d := []byte(s)
	for i := len(d) - 1; i >= 0 && n > 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d)
}
