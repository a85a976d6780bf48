package remedy

import (
	"context"
	"errors"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/resolve"
	"github.com/pyvet/pyvet/pep440"
)

// The notes CheckResolves adds to a plan.
const (
	// NoteChecked is the note of a plan the resolver accepted.
	NoteChecked = "checked: the project resolves with these upgrades"
	// NoteUnchecked starts the note of a plan that could not be checked.
	NoteUnchecked = "not checked against the resolver"
)

// maxResolutions bounds the resolutions one check runs.
const maxResolutions = 20

// CheckResolves resolves inv's requirements with every planned upgrade
// applied to the declarations it edits (a pin moves to its target, a range
// gets the target as its lower bound) and adds a note to plan: NoteChecked
// when the set resolves; NoteUnchecked with the reason when the index
// cannot be read (offline without a cached copy, unreachable).
//
// When the upgrades conflict, the pins the resolver's explanation names
// move, one safe version at a time, to their next safe versions (at most
// maxResolutions resolutions in all); the first set that resolves replaces
// the plan's targets, and the note says which pins moved past their
// smallest fix and why. When none resolves, the pins named in the conflict
// become hand edits carrying the resolver's explanation (the error
// returned), so fix never writes a set that cannot be installed.
// Inputs that record what is installed (lockfiles, environments) are left
// as they are.
func CheckResolves(ctx context.Context, inv *inventory.Inventory, plan *Plan, o resolve.InventoryOptions) error {
	if plan == nil || inv == nil || !resolve.NeedsResolution(inv) || !anyTarget(plan) {
		return nil
	}
	_, _, err := resolve.ResolveInventory(ctx, withTargets(inv, plan), o)
	var nos *resolve.NoSolutionError
	var inc *resolve.IncompleteError
	if errors.As(err, &nos) {
		err = searchAlternatives(ctx, inv, plan, o, nos)
		nos = nil
		if errors.As(err, &nos) {
			err = nos
		}
	}
	switch {
	case err == nil:
		plan.Notes = append(plan.Notes, NoteChecked)
	case nos != nil:
		plan.Notes = append(plan.Notes, "the upgrades do not resolve together: "+finding.Clip(strings.ReplaceAll(nos.Explanation, "\n", " "), 600))
		return err
	case errors.As(err, &inc):
		names := inc.Names()
		note := NoteUnchecked + ": the index could not be read for " + strings.Join(names, ", ")
		if len(names) > 0 && inc.Projects[names[0]] != nil {
			// The cause (host, refused connection, status) makes the note
			// self-contained; the first one stands for the rest.
			note += " (" + finding.Clip(inc.Projects[names[0]].Error(), 200) + ")"
		}
		plan.Notes = append(plan.Notes, note)
	default:
		plan.Notes = append(plan.Notes, NoteUnchecked+": "+finding.Clip(err.Error(), 300))
	}
	return nil
}

// searchAlternatives moves the pins a conflict names to their next safe
// versions until the project resolves or the bound is reached; see
// CheckResolves. It returns nil when a set resolved (the plan then holds
// it), else the last conflict.
func searchAlternatives(ctx context.Context, inv *inventory.Inventory, plan *Plan, o resolve.InventoryOptions, first *resolve.NoSolutionError) error {
	trial := clonePlan(plan)
	var last error = first
	for n := 1; n < maxResolutions; n++ {
		var nos *resolve.NoSolutionError
		if !errors.As(last, &nos) || !advance(trial, nos.Explanation) {
			break
		}
		_, _, err := resolve.ResolveInventory(ctx, withTargets(inv, trial), o)
		if err == nil {
			var moved []string
			for i := range plan.Fixes {
				f, g := &plan.Fixes[i], &trial.Fixes[i]
				for j := range f.Targets {
					if f.Targets[j].To != g.Targets[j].To {
						moved = append(moved, f.Name+" "+g.Targets[j].To+" (its smallest fix, "+f.Targets[j].To+", does not install with the rest of the project)")
					}
				}
			}
			plan.Fixes = trial.Fixes
			for i := range plan.Fixes {
				retop(&plan.Fixes[i])
			}
			plan.Notes = append(plan.Notes, "upgraded further so the project resolves: "+strings.Join(moved, "; "))
			return nil
		}
		last = err
		if !errors.As(err, &nos) {
			return err
		}
	}
	// Nothing resolved: the pins named in the conflict cannot be fixed
	// without a hand edit.
	var nos *resolve.NoSolutionError
	if !errors.As(last, &nos) {
		return last
	}
	why := "no safe version installs with the rest of the project: " + finding.Clip(strings.ReplaceAll(nos.Explanation, "\n", " "), 600)
	for i := range plan.Fixes {
		f := &plan.Fixes[i]
		if !mentions(nos.Explanation, f.Name) {
			continue
		}
		for j := range f.Targets {
			if t := &f.Targets[j]; t.To != "" {
				t.To, t.Hashes, t.Reason, t.next = "", nil, why, nil
			}
		}
		f.To, f.Hashes, f.Reason = "", nil, why
	}
	return nos
}

// advance moves, in every fix the explanation names, each pin that has a
// next safe version to it; it reports whether anything moved.
func advance(p *Plan, explanation string) bool {
	moved := false
	for i := range p.Fixes {
		f := &p.Fixes[i]
		if !mentions(explanation, f.Name) {
			continue
		}
		for j := range f.Targets {
			t := &f.Targets[j]
			if t.To == "" || len(t.next) == 0 {
				continue
			}
			t.To, t.Hashes, t.next = t.next[0].to, t.next[0].hashes, t.next[1:]
			moved = true
		}
	}
	return moved
}

// mentions reports whether a resolver explanation names the project.
func mentions(explanation, name string) bool {
	n := normalize(name)
	for _, w := range strings.FieldsFunc(strings.ToLower(explanation), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		if normalize(w) == n {
			return true
		}
	}
	return false
}

// clonePlan copies the fixes and targets of p (not the notes).
func clonePlan(p *Plan) *Plan {
	out := &Plan{Fixes: make([]Fix, len(p.Fixes))}
	for i, f := range p.Fixes {
		f.Targets = append([]Target(nil), f.Targets...)
		out.Fixes[i] = f
	}
	return out
}

// retop sets a fix's To and Hashes to its highest target, as planning does.
func retop(f *Fix) {
	if f.Reason != "" {
		return
	}
	var best *pep440.Version
	for _, t := range f.Targets {
		if t.To == "" {
			continue
		}
		if v, err := pep440.Parse(t.To); err == nil && (best == nil || v.Compare(*best) > 0) {
			best = &v
			f.To, f.Hashes = t.To, t.Hashes
		}
	}
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
