package remedy

import (
	"fmt"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
)

// FixVersion is the outcome of one planned upgrade of one declaration, as
// pip-audit reports a fix: applied (NewVersion set) or skipped with the
// reason. In a dry run "applied" means the rewrite would apply it.
type FixVersion struct {
	Name       string // normalized
	OldVersion string // the version declared (a range as written when not pinned)
	NewVersion string // the version written; "" when skipped
	SkipReason string // why the declaration was not upgraded; "" when applied
}

// Skipped reports whether the upgrade was not applied.
func (f FixVersion) Skipped() bool { return f.SkipReason != "" }

// siteKey is one place a package is declared.
type siteKey struct {
	name, file string
	line       int
}

// outcomes records, while Rewrite runs, what became of every place a
// planned target was declared: "" when its file was edited (or already
// at the target), else why not.
type outcomes struct {
	sites map[siteKey]string
	files map[[2]string]string // name, file -> the outcome of an edit at another line
}

func newOutcomes() *outcomes {
	return &outcomes{sites: map[siteKey]string{}, files: map[[2]string]string{}}
}

func (o *outcomes) set(name string, l inventory.Location, reason string) {
	o.sites[siteKey{name, l.File, l.Line}] = reason
}

// edit records the outcome of one edit of a rewritten file.
func (o *outcomes) edit(e Edit) {
	o.sites[siteKey{e.Name, e.File, e.Line}] = e.Skipped
	k := [2]string{e.Name, e.File}
	if r, ok := o.files[k]; !ok || r != "" {
		o.files[k] = e.Skipped
	}
}

// at is the outcome of the declaration of name at l; ok is false when
// nothing was recorded there.
func (o *outcomes) at(name string, l inventory.Location) (string, bool) {
	if r, ok := o.sites[siteKey{name, l.File, l.Line}]; ok {
		return r, true
	}
	r, ok := o.files[[2]string{name, l.File}]
	return r, ok
}

// fixVersions turns the plan and the recorded outcomes into one
// FixVersion per planned target: applied when at least one of its places
// was edited, else skipped with the first reason recorded.
func (o *outcomes) fixVersions(plan *Plan) []FixVersion {
	out := []FixVersion{}
	for _, f := range plan.Fixes {
		for _, t := range f.Targets {
			fv := FixVersion{Name: f.Name, OldVersion: strings.TrimPrefix(t.From, "==")}
			switch {
			case t.To == "":
				fv.SkipReason = firstNonEmpty(t.Reason, f.Reason, "no safe version was found")
			case len(t.Locations) == 0:
				fv.SkipReason = fmt.Sprintf("no requirements file, pyproject.toml or lockfile declares it; move it to %s by hand", t.To)
			default:
				applied, reason := false, ""
				for _, l := range t.Locations {
					r, ok := o.at(f.Name, l)
					if !ok {
						r = fmt.Sprintf("%s: the declaration was not found where the inventory placed it; move it to %s by hand", l.File, t.To)
					}
					if r == "" {
						applied = true
						break
					}
					if reason == "" {
						reason = r
					}
				}
				if applied {
					fv.NewVersion = t.To
				} else {
					fv.SkipReason = reason
				}
			}
			out = append(out, fv)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
