package report

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pyvet/pyvet/internal/remedy"
)

// TestFixJSONPipAudit: the document of a fix run has pip-audit's
// dependencies[] (built as the audit document builds it) and fixes[] with
// the version that stays on a skipped fix.
func TestFixJSONPipAudit(t *testing.T) {
	audit := fixture(t)
	fix := fixture(t)
	fix.Kind, fix.Tool = KindFix, "pyvet fix"
	fix.Remedy = &Remedy{DryRun: true, Result: &remedy.Result{Plan: &remedy.Plan{}, FixVersions: []remedy.FixVersion{
		{Name: "werkzeug", OldVersion: "2.0.0", NewVersion: "2.3.8"},
		{Name: "jinja2", OldVersion: "2.10", SkipReason: "no safe version"},
	}}}
	type doc struct {
		Dependencies []JSONDependency `json:"dependencies"`
		Fixes        []map[string]string
	}
	var a, f doc
	for _, x := range []struct {
		res *Result
		out *doc
	}{{audit, &a}, {fix, &f}} {
		if err := json.Unmarshal([]byte(render(t, "json", x.res, Options{})), x.out); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.Dependencies) == 0 || !reflect.DeepEqual(a.Dependencies, f.Dependencies) {
		t.Errorf("fix dependencies differ from the audit's:\n%+v\n%+v", f.Dependencies, a.Dependencies)
	}
	want := []map[string]string{
		{"name": "werkzeug", "old_version": "2.0.0", "new_version": "2.3.8"},
		{"name": "jinja2", "version": "2.10", "old_version": "2.10", "skip_reason": "no safe version"},
	}
	if !reflect.DeepEqual(f.Fixes, want) {
		t.Errorf("fixes = %v, want %v", f.Fixes, want)
	}

	// No inventory: an empty list, not null.
	fix.Inventory = nil
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(render(t, "json", fix, Options{})), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["dependencies"]) != "[]" {
		t.Errorf("dependencies without an inventory = %s, want []", raw["dependencies"])
	}
}
