package vuln

import (
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

// TestProjectIsNotMatched: the project itself (Package.Project) is never
// matched against the advisories of the index package of its name; a
// dependency of the same name and version still is.
func TestProjectIsNotMatched(t *testing.T) {
	db := fixtureDB(t)
	root := pkg("foo-bar", "1.0.0", "", false)
	root.Project = true
	inv := pkgsInventory(root, pkg("evil-pkg", "0.1", "", true))
	for _, f := range Check(inv, db).Findings {
		if f.Package == "foo-bar" {
			t.Errorf("finding %s for the project foo-bar", f.ID)
		}
	}
	inv = pkgsInventory(root, pkg("foo-bar", "1.0.0", "", true))
	got := 0
	for _, f := range Check(inv, db).Findings {
		if f.Package == "foo-bar" {
			got++
		}
	}
	if got == 0 {
		t.Error("the dependency foo-bar 1.0.0 beside the project of that name was not matched")
	}
}

func pkgsInventory(ps ...*inventory.Package) *inventory.Inventory {
	return &inventory.Inventory{Packages: ps}
}
