package remedy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// release is one generated index release.
type release struct{ version, requiresPython string }

// writeProjectJSON writes a JSON API response for name with one wheel per
// release, each with its requires-python and a hash derived from its name.
func writeProjectJSON(t *testing.T, dir, name string, rels []release) {
	t.Helper()
	releases := map[string][]pypi.File{}
	for _, r := range rels {
		fn := fmt.Sprintf("%s-%s-py3-none-any.whl", name, r.version)
		releases[r.version] = []pypi.File{{Filename: fn, URL: "https://files.pythonhosted.org/packages/" + fn,
			RequiresPython: r.requiresPython, Digests: map[string]string{"sha256": strings.TrimPrefix(hashOf(fn), "sha256:")},
			UploadTime: "2024-01-01T00:00:00Z"}}
	}
	b, err := json.Marshal(pypi.Project{Info: pypi.Info{Name: name, Version: rels[len(rels)-1].version}, Releases: releases})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeOSV writes one advisory per range list: each range is
// "introduced:fixed".
func writeOSV(t *testing.T, dir, name string, advisories map[string][]string) *advisory.DB {
	t.Helper()
	for id, ranges := range advisories {
		var events []map[string]string
		for _, r := range ranges {
			intro, fixed, _ := strings.Cut(r, ":")
			events = append(events, map[string]string{"introduced": intro}, map[string]string{"fixed": fixed})
		}
		doc := map[string]any{"id": id, "modified": "2025-01-01T00:00:00Z", "summary": "generated " + id,
			"affected": []any{map[string]any{"package": map[string]string{"ecosystem": "PyPI", "name": name},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": events}}}}}
		b, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := advisory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// djangoFixture is a Django-like release history: 4.2 supports Python
// 3.8+, 5.0 needs 3.10, 6.0 needs 3.12; one advisory affects 4.2 before
// 4.2.17 and 5.0 before 5.0.9.
func djangoFixture(t *testing.T) (*pypi.Client, *advisory.DB) {
	t.Helper()
	idx, osv := t.TempDir(), t.TempDir()
	writeProjectJSON(t, idx, "django", []release{
		{"4.2.0", ">=3.8"}, {"4.2.16", ">=3.8"}, {"4.2.17", ">=3.8"}, {"4.2.18", ">=3.8"},
		{"5.0.0", ">=3.10"}, {"5.0.8", ">=3.10"}, {"5.0.9", ">=3.10"},
		{"6.0.0", ">=3.12"}, {"6.0.7", ">=3.12"},
	})
	db := writeOSV(t, osv, "django", map[string][]string{"PYSEC-D-1": {"0:4.2.17", "5.0.0:5.0.9"}})
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: idx})
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 5 * time.Second, Retries: -1})
	return client, db
}

func writeProject(t *testing.T, files map[string]string) (string, *inventory.Inventory) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := inventory.Load([]string{dir}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, inv
}

func targetsOf(f Fix) string {
	var parts []string
	for _, t := range f.Targets {
		s := t.From + "->" + t.To
		if t.Residual != "" {
			s += "(residual)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// The reported case: a project for Python 3.9 with a pinned requirements
// line and a pyproject range. The pin moves to the next safe 4.2 release
// (not 6.0.7, which needs Python 3.12, nor a new major the merged range
// would have pushed it to), and the range follows the pin.
func TestFixRequiresPythonPerDeclaration(t *testing.T) {
	client, db := djangoFixture(t)
	dir, inv := writeProject(t, map[string]string{
		"pyproject.toml":   "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndependencies = [\"django>=4.2\"]\n",
		"requirements.txt": "django==4.2.0\n",
	})
	plan := Compute(context.Background(), inv, db, Options{Index: client})
	if len(plan.Fixes) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	f := plan.Fixes[0]
	if got := targetsOf(f); got != "4.2.0->4.2.17 >=4.2->4.2.17" || f.To != "4.2.17" || !f.Fixed() {
		t.Fatalf("targets = %s (%+v)", got, f)
	}
	if f.Targets[0].Python != "3.9" || len(f.Targets[0].Hashes) != 1 {
		t.Errorf("target = %+v", f.Targets[0])
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(res.Files); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, filepath.Join(dir, "requirements.txt")); got != "django==4.2.17\n" {
		t.Errorf("requirements.txt = %q", got)
	}
	if got := readString(t, filepath.Join(dir, "pyproject.toml")); !strings.Contains(got, `"django>=4.2.17"`) {
		t.Errorf("pyproject.toml = %q", got)
	}
	if len(res.Manual) != 0 {
		t.Errorf("manual = %v", res.Manual)
	}

	// The same project for Python 3.12: 5.0.9 is the smallest safe release
	// above the pin that its Python can install... and 4.2.17 is smaller.
	_, inv = writeProject(t, map[string]string{
		"pyproject.toml":   "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\ndependencies = [\"django>=4.2\"]\n",
		"requirements.txt": "django==5.0.0\n",
	})
	f = Compute(context.Background(), inv, db, Options{Index: client}).Fixes[0]
	if got := targetsOf(f); got != "5.0.0->5.0.9 >=4.2->5.0.9" {
		t.Errorf("3.12 targets = %s", got)
	}
}

// A range with no pin must leave no affected version allowed. For Python
// 3.9 the only release line it can install is 4.2: the new lower bound is
// 4.2.17 and the target says the range still allows affected 5.0 releases.
// For Python 3.12, 5.0.9 clears the range.
func TestFixRangeRequiresPython(t *testing.T) {
	client, db := djangoFixture(t)
	_, inv := writeProject(t, map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndependencies = [\"django>=4.2\"]\n",
	})
	plan := Compute(context.Background(), inv, db, Options{Index: client})
	f := plan.Fixes[0]
	if got := targetsOf(f); got != ">=4.2->4.2.17(residual)" {
		t.Fatalf("targets = %s", got)
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manual) != 1 || !strings.Contains(res.Manual[0], "still allows affected versions outside ==4.*") {
		t.Errorf("manual = %v", res.Manual)
	}

	_, inv = writeProject(t, map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\ndependencies = [\"django>=4.2\"]\n",
	})
	if got := targetsOf(Compute(context.Background(), inv, db, Options{Index: client}).Fixes[0]); got != ">=4.2->5.0.9" {
		t.Errorf("3.12 targets = %s", got)
	}
	// Offline, with no release data: 6.0.x is not chosen for a project
	// that says it supports 3.9, since its requires-python cannot be checked.
	_, inv = writeProject(t, map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndependencies = [\"django>=4.2\"]\n",
	})
	plan = Compute(context.Background(), inv, db, Options{})
	if got := targetsOf(plan.Fixes[0]); got != ">=4.2->4.2.17(residual)" {
		t.Errorf("offline targets = %s", got)
	}
	if len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "not checked") {
		t.Errorf("notes = %v", plan.Notes)
	}
}

// Every constraint counts: another file's upper bound, a constraints file,
// and markers (a declaration for old Pythons gets a release they can run).
func TestFixConstraintsAndMarkers(t *testing.T) {
	client, db := djangoFixture(t)
	// A constraints file caps Django below 5: the 5.0 pin has no safe
	// version within it.
	_, inv := writeProject(t, map[string]string{
		"requirements.txt": "-c constraints.txt\ndjango==4.2.0\n",
		"constraints.txt":  "django<4.2.18\n",
	})
	f := Compute(context.Background(), inv, db, Options{Index: client}).Fixes[0]
	if got := targetsOf(f); got != "4.2.0->4.2.17" {
		t.Errorf("with constraints: %s", got)
	}
	_, inv = writeProject(t, map[string]string{
		"requirements.txt": "-c constraints.txt\ndjango==4.2.0\n",
		"constraints.txt":  "django<4.2.17\n",
	})
	f = Compute(context.Background(), inv, db, Options{Index: client}).Fixes[0]
	if f.Fixed() || !strings.Contains(f.Reason, "constraints") {
		t.Errorf("excluded by constraints: %+v", f)
	}
	// Two pins for two Python ranges: each gets its own target.
	_, inv = writeProject(t, map[string]string{
		"requirements.txt": "django==4.2.0; python_version < \"3.12\"\ndjango==6.0.0; python_version >= \"3.12\"\n",
	})
	plan := Compute(context.Background(), inv, db, Options{Index: client})
	if got := targetsOf(plan.Fixes[0]); got != "4.2.0->4.2.17" {
		t.Errorf("markers: %s", got)
	}
	// 6.0.0 is not affected; with an advisory on it too, each line moves
	// within what its Python can install.
	db2 := writeOSV(t, t.TempDir(), "django", map[string][]string{"PYSEC-D-1": {"0:4.2.17", "5.0.0:5.0.9"}, "PYSEC-D-2": {"6.0.0:6.0.7"}})
	_, inv = writeProject(t, map[string]string{
		"pyproject.toml":   "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\n",
		"requirements.txt": "django==4.2.0; python_version < \"3.12\"\ndjango==6.0.0; python_version >= \"3.12\"\n",
	})
	plan = Compute(context.Background(), inv, db2, Options{Index: client})
	if got := targetsOf(plan.Fixes[0]); got != "4.2.0->4.2.17 6.0.0->6.0.7" {
		t.Errorf("two targets: %s", got)
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || string(res.Files[0].New) != "django==4.2.17; python_version < \"3.12\"\ndjango==6.0.7; python_version >= \"3.12\"\n" {
		t.Errorf("rewrite: %+v", res)
	}
}

// Advisories the policy accepts neither call for a fix nor rule a version
// out.
func TestFixAcceptedAdvisories(t *testing.T) {
	_, inv := writeProject(t, map[string]string{"requirements.txt": "requests==2.19.0\n"})
	db := testDB(t)
	accept := func(ids ...string) func(string, *advisory.Entry) bool {
		return func(name string, e *advisory.Entry) bool {
			for _, id := range ids {
				if e.ID == id {
					return true
				}
			}
			return false
		}
	}
	if plan := Compute(context.Background(), inv, db, Options{Accept: accept("PYSEC-T-1")}); len(plan.Fixes) != 0 {
		t.Errorf("ignored advisory fixed: %+v", plan.Fixes)
	}
	// PYSEC-T-2 (2.20.0 only) accepted: 2.20.0 is now a safe target.
	plan := Compute(context.Background(), inv, db, Options{Accept: accept("PYSEC-T-2")})
	if len(plan.Fixes) != 1 || plan.Fixes[0].To != "2.20.0" {
		t.Errorf("plan = %+v", plan.Fixes)
	}
}

// An index that fails: the candidates come from the advisories, without
// hashes, so a hashed pin is left unchanged and named.
func TestFixHashedPinIndexFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 2 * time.Second, Retries: -1})
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	orig := "setuptools==81.0.0 \\\n    --hash=sha256:" + strings.Repeat("8", 64) + "\nrequests==2.19.0\n"
	os.WriteFile(req, []byte(orig), 0o644)
	db := writeOSV(t, t.TempDir(), "setuptools", map[string][]string{"PYSEC-S-1": {"0:83.0.0"}})
	inv, err := inventory.Load([]string{req}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plan := Compute(context.Background(), inv, db, Options{Index: client})
	if len(plan.Fixes) != 1 || plan.Fixes[0].To != "83.0.0" || plan.Fixes[0].Hashes != nil {
		t.Fatalf("plan = %+v", plan.Fixes)
	}
	res, err := Rewrite(inv, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 0 {
		t.Errorf("a file changed:\n%s", res.Files[0].Diff())
	}
	if len(res.Manual) != 1 || !strings.Contains(res.Manual[0], "requirements.txt:1: setuptools:") || !strings.Contains(res.Manual[0], "could not be fetched") {
		t.Errorf("manual = %v", res.Manual)
	}
}

// A range that already admits the pin's target is left as it is, without a
// note.
func TestFixRangeAlreadyAtTarget(t *testing.T) {
	client, db := djangoFixture(t)
	dir, inv := writeProject(t, map[string]string{
		"pyproject.toml":   "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndependencies = [\"django>=4.2.17,<5\"]\n",
		"requirements.txt": "django==4.2.0\n",
	})
	res, err := Rewrite(inv, Compute(context.Background(), inv, db, Options{Index: client}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manual) != 0 || len(res.Files) != 1 || res.Files[0].Path != filepath.Join(dir, "requirements.txt") {
		t.Errorf("result: manual %v, files %d", res.Manual, len(res.Files))
	}
}
