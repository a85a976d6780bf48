package remedy

import (
	"context"
	"errors"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/resolve"
)

// The notes CheckResolves adds to a plan.
const (
	// NoteChecked is the note of a plan the resolver accepted.
	NoteChecked = "checked: the project resolves with these upgrades"
	// NoteUnchecked starts the note of a plan that could not be checked.
	NoteUnchecked = "not checked against the resolver"
)

// CheckResolves resolves inv's requirements with every planned upgrade
// applied to the declarations it edits (a pin moves to its target, a range
// gets the target as its lower bound) and adds a note to plan: NoteChecked
// when the set resolves; NoteUnchecked with the reason when the index
// cannot be read (offline without a cached copy, unreachable); otherwise
// the resolver's explanation of the conflict. Inputs that record what is
// installed (lockfiles, environments) are left as they are.
func CheckResolves(ctx context.Context, inv *inventory.Inventory, plan *Plan, o resolve.InventoryOptions) error {
	if plan == nil || inv == nil || !resolve.NeedsResolution(inv) || !anyTarget(plan) {
		return nil
	}
	_, _, err := resolve.ResolveInventory(ctx, withTargets(inv, plan), o)
	var nos *resolve.NoSolutionError
	var inc *resolve.IncompleteError
	switch {
	case err == nil:
		plan.Notes = append(plan.Notes, NoteChecked)
	case errors.As(err, &nos):
		plan.Notes = append(plan.Notes, "the upgrades do not resolve together: "+finding.Clip(strings.ReplaceAll(nos.Explanation, "\n", "; "), 600))
		return err
	case errors.As(err, &inc):
		plan.Notes = append(plan.Notes, NoteUnchecked+": the index could not be read for "+strings.Join(inc.Names(), ", "))
	default:
		plan.Notes = append(plan.Notes, NoteUnchecked+": "+finding.Clip(err.Error(), 300))
	}
	return nil
}

// anyTarget reports whether the plan moves some declaration.
func anyTarget(plan *Plan) bool {
	for _, f := range plan.Fixes {
		for _, t := range f.Targets {
			if t.To != "" {
				return true
			}
		}
	}
	return false
}

// withTargets is a copy of inv whose declarations of planned packages read
// as the edit will write them.
func withTargets(inv *inventory.Inventory, plan *Plan) *inventory.Inventory {
	targets := map[string][]Target{}
	for _, f := range plan.Fixes {
		targets[normalize(f.Name)] = f.Targets
	}
	out := *inv
	out.Packages = make([]*inventory.Package, len(inv.Packages))
	for i, p := range inv.Packages {
		out.Packages[i] = p
		if p == nil {
			continue
		}
		ts, ok := targets[normalize(p.Name)]
		if !ok {
			continue
		}
		for _, t := range ts {
			if t.To == "" {
				continue
			}
			q := *p
			switch {
			case p.Version != "" && p.Version == t.From:
				q.Version = t.To
			case p.Version == "" && p.Specifier == t.From:
				s, ok := rewriteSpec(p.Specifier, t.To)
				if !ok {
					continue
				}
				q.Specifier = s
			default:
				continue
			}
			out.Packages[i] = &q
			break
		}
	}
	return &out
}
