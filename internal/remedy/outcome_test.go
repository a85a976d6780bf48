package remedy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
)

// FixVersions says, per planned declaration, whether the rewrite applies
// the upgrade, and why not when it does not: a pin edited, a hashed pin
// whose new hashes cannot be fetched, a package with no safe version and a
// lockfile left to its tool.
func TestFixVersionsOutcomes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 2 * time.Second, Retries: -1})
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	body := "setuptools==81.0.0 \\\n    --hash=sha256:" + strings.Repeat("8", 64) + "\nrequests==2.19.0\nnofix==1.0\n"
	if err := os.WriteFile(req, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	osvDir := t.TempDir()
	writeOSV(t, osvDir, "setuptools", map[string][]string{"PYSEC-S-1": {"0:83.0.0"}})
	writeOSV(t, osvDir, "requests", map[string][]string{"PYSEC-R-1": {"0:2.20.0"}})
	db := writeOSV(t, osvDir, "nofix", map[string][]string{"PYSEC-N-1": {"0:"}})
	inv, err := inventory.Load([]string{req}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Rewrite(inv, Compute(context.Background(), inv, db, Options{Index: client}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FixVersion{}
	for _, f := range res.FixVersions {
		if _, dup := got[f.Name]; dup {
			t.Errorf("two outcomes for %s: %+v", f.Name, res.FixVersions)
		}
		got[f.Name] = f
	}
	if f := got["requests"]; f.OldVersion != "2.19.0" || f.NewVersion != "2.20.0" || f.Skipped() {
		t.Errorf("requests: %+v", f)
	}
	if f := got["setuptools"]; f.OldVersion != "81.0.0" || f.NewVersion != "" || !strings.Contains(f.SkipReason, "could not be fetched") {
		t.Errorf("setuptools: %+v", f)
	}
	if f := got["nofix"]; f.OldVersion != "1.0" || f.NewVersion != "" || f.SkipReason == "" {
		t.Errorf("nofix: %+v", f)
	}
	if len(got) != 3 {
		t.Errorf("outcomes: %+v", res.FixVersions)
	}
}
