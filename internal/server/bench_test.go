package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandlerBatch measures decoding, matching and encoding of a
// 1,000-query batch over the fixtures, without the network.
func BenchmarkHandlerBatch(b *testing.B) {
	h := New(loadFixtures(b, "testdata/osv"), Options{}).Handler()
	var qs []string
	for i := range 1000 {
		qs = append(qs, fmt.Sprintf(`{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.%d"}`, i%3))
	}
	body := `{"queries":[` + strings.Join(qs, ",") + `]}`
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/querybatch", strings.NewReader(body)))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkHandlerQuery measures one /v1/query answered with full entries.
func BenchmarkHandlerQuery(b *testing.B) {
	h := New(loadFixtures(b, "testdata/osv"), Options{}).Handler()
	body := `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.0"}`
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/query", strings.NewReader(body)))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
