package remedy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// maxHashModeNamed bounds the declarations a hash-mode error names.
const maxHashModeNamed = 5

// RequireHashes applies pip's hash-checking mode (pip install
// --require-hashes, pip-audit --require-hashes) to the requirements files of
// inv: every requirement they declare must be pinned with == (or be a
// direct URL) and carry at least one --hash, and none may be editable.
// Constraints (-c files) are exempt, as pip exempts them. The error names
// the first declarations that fail, at their file and line; an inventory
// read from no requirements file is an error too (the mode is about them).
func RequireHashes(inv *inventory.Inventory) error {
	reqFiles := map[string]bool{}
	for _, s := range inv.Sources {
		if ff := inventory.SourceFormat(s); ff != nil && ff.Kind == inventory.KindRequirements {
			reqFiles[s.Path] = true
		}
	}
	if len(reqFiles) == 0 {
		return fmt.Errorf("--require-hashes applies to requirements files, and none was read (give one with -r FILE)")
	}
	var bad []string
	for _, p := range inv.Packages {
		if p == nil || p.Project || p.Constraint {
			continue
		}
		var loc *inventory.Location
		for i := range p.Locations {
			if reqFiles[p.Locations[i].File] {
				loc = &p.Locations[i]
				break
			}
		}
		if loc == nil {
			continue
		}
		why := ""
		switch {
		case p.Source.Editable:
			why = "is editable, which cannot be hash-checked"
		case !p.Pinned() && p.Source.Kind != inventory.SourceURL:
			spec := p.Specifier
			if spec == "" {
				spec = "no version"
			}
			why = "is not pinned with == (" + finding.Clip(spec, 60) + ")"
		case len(p.Hashes) == 0:
			why = "has no --hash"
		}
		if why == "" {
			continue
		}
		at := loc.File
		if loc.Line > 0 {
			at = fmt.Sprintf("%s:%d", loc.File, loc.Line)
		}
		bad = append(bad, fmt.Sprintf("%s: %s %s", at, finding.Clip(p.Name, 100), why))
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	named := bad
	if len(named) > maxHashModeNamed {
		named = named[:maxHashModeNamed]
	}
	msg := "--require-hashes: " + strings.Join(named, "; ")
	if len(bad) > len(named) {
		msg += fmt.Sprintf("; and %d more", len(bad)-len(named))
	}
	return fmt.Errorf("%s", msg)
}
