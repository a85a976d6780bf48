package remedy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/internal/resolve"
)

// TestCheckResolves resolves a requirements file with a planned upgrade
// applied: a target the other pin admits resolves, one it excludes gives
// the resolver's explanation, and an unreadable index is said unchecked.
func TestCheckResolves(t *testing.T) {
	layout := pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"django":   {"3.2.0": {Requires: []string{"sqlparse<0.5"}, Files: []string{"django-3.2.0-py3-none-any.whl"}}},
		"sqlparse": {"0.4.1": wheel("sqlparse", "0.4.1"), "0.4.4": wheel("sqlparse", "0.4.4"), "0.5.0": wheel("sqlparse", "0.5.0")},
	}, pypitest.ModeJSON)
	srv := pypitest.New(t, layout)
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte("django==3.2.0\nsqlparse==0.4.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load([]string{req}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	planTo := func(to string) *Plan {
		return &Plan{Fixes: []Fix{{Name: "sqlparse", From: []string{"0.4.1"}, To: to,
			Targets: []Target{{From: "0.4.1", To: to, Advisories: []string{"X-1"}}}}}}
	}
	online := resolve.InventoryOptions{IndexURL: srv.URL + "/simple", CacheDir: t.TempDir()}

	p := planTo("0.4.4")
	if err := CheckResolves(context.Background(), inv, p, online); err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || p.Notes[0] != NoteChecked {
		t.Fatalf("notes = %q, want checked", p.Notes)
	}

	p = planTo("0.5.0")
	if err := CheckResolves(context.Background(), inv, p, online); err == nil {
		t.Fatal("0.5.0 against django's sqlparse<0.5 resolved")
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "do not resolve together") || !strings.Contains(p.Notes[0], "sqlparse") {
		t.Fatalf("notes = %q, want the conflict", p.Notes)
	}

	p = planTo("0.4.4")
	offline := resolve.InventoryOptions{Client: pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Offline: true})}
	if err := CheckResolves(context.Background(), inv, p, offline); err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], NoteUnchecked) || !strings.Contains(p.Notes[0], "offline") {
		t.Fatalf("offline notes = %q, want not checked", p.Notes)
	}
}

// wheel is a release with one pure-Python wheel.
func wheel(name, version string) *pypitest.Release {
	return &pypitest.Release{Files: []string{name + "-" + version + "-py3-none-any.whl"}}
}
