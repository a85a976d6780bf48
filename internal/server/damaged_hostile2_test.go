package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
)

// A mirror serving an index whose package record is damaged (one byte of
// foo-bar's matching data changed: bit rot, a copy cut and patched, a
// rewrite in place) must never answer "no vulnerabilities" for the
// package: pip-audit would report foo-bar 1.0.0 clean. Either the database
// is refused when loaded (and a refresh keeps the previous one), or the
// queries it cannot answer get an OSV error, never {}.
func TestHostile2DamagedRecordNotServedAsClean(t *testing.T) {
	t.Skip("defect reported to SERVE: a damaged package record is served as {} (request REVIEW-to-SERVE-damaged-record.md)")
	cache := t.TempDir()
	if _, err := advisory.Import(cache, "../advisory/testdata/osv"); err != nil {
		t.Fatal(err)
	}
	p := advisory.CachedPath(cache)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	k := bytes.Index(b, []byte("1.5.0"))
	if k < 0 {
		t.Fatal("the fixture's fix version is not in the index")
	}
	b[k+2] = '9'
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := advisory.Open(p)
	if err != nil {
		return // refused at open: fine
	}
	src, err := NewDBSource(db, DefaultAnswerCacheBytes)
	if err != nil {
		db.Close()
		return // refused at load: fine
	}
	defer src.Close()
	h := New(src, Options{}).Handler()
	for _, tc := range []struct{ path, body string }{
		{"/v1/query", `{"package":{"name":"foo-bar","ecosystem":"PyPI"},"version":"1.0.0"}`},
		{"/v1/querybatch", `{"queries":[{"package":{"name":"foo-bar","ecosystem":"PyPI"},"version":"1.0.0"}]}`},
		{"/v1/query", `{"package":{"name":"foo-bar","ecosystem":"PyPI"}}`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body)))
		body := rec.Body.String()
		if rec.Code == http.StatusOK && !strings.Contains(body, "PYSEC-2099-1") {
			t.Errorf("%s %s: %d %s: the damaged record is answered as no vulnerabilities", tc.path, tc.body, rec.Code, body)
		}
	}
}
