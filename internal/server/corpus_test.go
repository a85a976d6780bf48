package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/server"
	"github.com/pyvet/pyvet/pep508"
)

func mustSource(t testing.TB, db *advisory.DB) *server.DBSource {
	t.Helper()
	s, err := server.NewDBSource(db, server.DefaultAnswerCacheBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func corpusDB(t testing.TB) *advisory.DB {
	t.Helper()
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	zips, _ := filepath.Glob(filepath.Join(root, "advisories", "*.zip"))
	if len(zips) != 1 {
		t.Fatalf("want one advisory zip in %s/advisories, found %d", root, len(zips))
	}
	db, err := advisory.OpenWith(zips[0], advisory.Options{CacheDir: filepath.Join(os.TempDir(), "pyvet-server-test-cache")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// serveCorpus serves the corpus snapshot on loopback and returns it with a
// client of the server.
func serveCorpus(tb testing.TB) (*advisory.DB, *osvclient.Client) {
	tb.Helper()
	db := corpusDB(tb)
	ts := httptest.NewServer(server.New(mustSource(tb, db), server.Options{}).Handler())
	tb.Cleanup(ts.Close)
	c, err := osvclient.New(ts.URL)
	if err != nil {
		tb.Fatal(err)
	}
	return db, c
}

// corpusInventory has every package of the database at versions its
// advisories name (affected, fixed, last affected) and at versions none
// names, plus unpinned requirements with and without specifiers. Only every
// stride-th package is taken.
func corpusInventory(db *advisory.DB, stride int) *inventory.Inventory {
	inv := &inventory.Inventory{}
	add := func(p *inventory.Package) {
		p.Source = inventory.Source{Kind: inventory.SourceIndex}
		inv.Packages = append(inv.Packages, p)
	}
	// The versions each package's advisories name, in id order.
	named := map[string][]string{}
	for _, id := range db.IDs() {
		e, ok := db.Get(id)
		if !ok {
			continue
		}
		for _, a := range e.Affected {
			name := pep508.NormalizeName(a.Package.Name)
			if n := len(a.Versions); n > 0 {
				named[name] = append(named[name], a.Versions[0], a.Versions[n/2], a.Versions[n-1])
			}
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					named[name] = append(named[name], ev.Introduced, ev.Fixed, ev.LastAffected)
				}
			}
		}
	}
	for i, name := range db.Packages() {
		if i%stride != 0 {
			continue
		}
		seen := map[string]bool{}
		for _, v := range named[name] {
			if v != "" && !seen[v] && len(seen) < 6 {
				seen[v] = true
				add(&inventory.Package{Name: name, Version: v, Direct: true})
			}
		}
		add(&inventory.Package{Name: name, Version: "0.0.1.dev0"})
		add(&inventory.Package{Name: name, Version: "9999"})
		// Unpinned requirements for a sample: the local matcher's
		// specifier queries are slow on packages with many advisories.
		switch i / stride % 10 {
		case 0:
			add(&inventory.Package{Name: name})
		case 1:
			add(&inventory.Package{Name: name, Specifier: ">=1.0,<2"})
		}
	}
	add(&inventory.Package{Name: "surely-not-a-package-with-advisories", Version: "1.0"})
	return inv
}

// TestCorpusSameAsLocal audits every package of the corpus snapshot through
// the server on loopback and locally: the results must be identical.
func TestCorpusSameAsLocal(t *testing.T) {
	db, c := serveCorpus(t)
	inv := corpusInventory(db, 10)
	local := vuln.Check(inv, db)
	remote, err := osvclient.Audit(context.Background(), c, inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d packages, %d findings (%d exact), %d skip reasons", len(inv.Packages), len(local.Findings), countExact(local), len(local.Skipped))
	if len(local.Findings) < 500 {
		t.Errorf("only %d findings from %d packages: the inventory does not exercise the database", len(local.Findings), len(inv.Packages))
	}
	if len(remote.Findings) != len(local.Findings) {
		t.Errorf("%d findings through the server, %d locally", len(remote.Findings), len(local.Findings))
	}
	for i := range min(len(remote.Findings), len(local.Findings)) {
		if !reflect.DeepEqual(remote.Findings[i], local.Findings[i]) {
			t.Fatalf("finding %d differs:\nserver %+v\nlocal  %+v", i, remote.Findings[i], local.Findings[i])
		}
	}
	if !reflect.DeepEqual(remote.Skipped, local.Skipped) || remote.Audited != local.Audited || remote.Inexact != local.Inexact {
		t.Errorf("summary differs: server %d/%d/%d skip reasons, local %d/%d/%d",
			remote.Audited, remote.Inexact, len(remote.Skipped), local.Audited, local.Inexact, len(local.Skipped))
	}
}

func countExact(r *vuln.Result) int {
	n := 0
	for _, f := range r.Findings {
		if f.Exact {
			n++
		}
	}
	return n
}

// TestCorpusBatchIDs checks the raw querybatch answers against the database
// for every pinned package of the corpus inventory, and that every id
// answered can be fetched.
func TestCorpusBatchIDs(t *testing.T) {
	db, c := serveCorpus(t)
	var qs []osvclient.Query
	for _, p := range corpusInventory(db, 3).Packages {
		if p.Version != "" {
			qs = append(qs, osvclient.PyPIQuery(p.Name, p.Version))
		}
	}
	got, err := c.QueryBatch(context.Background(), qs)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for i, q := range qs {
		var want []string
		for _, e := range db.Query(q.Package.Name, q.Version) {
			want = append(want, e.ID)
		}
		var ids []string
		for _, r := range got[i] {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s %s: server %v, database %v", q.Package.Name, q.Version, ids, want)
		}
		hits += len(ids)
	}
	t.Logf("%d queries in batches of 1,000, %d advisory hits", len(qs), hits)
	raw, err := c.Get(context.Background(), "PYSEC-2021-9")
	if err != nil || len(raw) == 0 {
		t.Errorf("GET PYSEC-2021-9: %v", err)
	}
}

// BenchmarkCorpusBatch measures one 1,000-query batch through the HTTP
// handler (no network).
func BenchmarkCorpusBatch(b *testing.B) {
	db, c := serveCorpus(b)
	var qs []osvclient.Query
	for _, p := range corpusInventory(db, 1).Packages {
		if p.Version != "" && len(qs) < osvclient.MaxBatch {
			qs = append(qs, osvclient.PyPIQuery(p.Name, p.Version))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.QueryBatch(context.Background(), qs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(qs)), "queries/op")
}

// BenchmarkCorpusQuery measures single /v1/query requests with full entries.
func BenchmarkCorpusQuery(b *testing.B) {
	db, c := serveCorpus(b)
	pkgs := db.Packages()
	i := 0
	for b.Loop() {
		q := osvclient.PyPIQuery(pkgs[i%len(pkgs)], fmt.Sprint(i%5)+".0")
		if _, err := c.Query(context.Background(), q); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestCorpusEntriesDecodeAsOSVDev: every advisory of the snapshot, as
// /v1/vulns/{id} serves it, decodes with protojson (which refuses unknown
// fields) into the Vulnerability message of osv.dev's Go bindings, the one
// osv-scanner reads, with the id asked for.
func TestCorpusEntriesDecodeAsOSVDev(t *testing.T) {
	db := corpusDB(t)
	src := mustSource(t, db)
	n := 0
	for _, id := range db.IDs() {
		raw, ok := src.Raw(id)
		if !ok {
			t.Fatalf("%s: not served", id)
		}
		var v osvschema.Vulnerability
		if err := protojson.Unmarshal(raw, &v); err != nil || v.GetId() != id {
			t.Errorf("%s: %v (id %q)", id, err, v.GetId())
			continue
		}
		n++
	}
	if n < 7000 {
		t.Errorf("only %d entries decoded", n)
	}
}

// corpusBatchBody is a /v1/querybatch body of the first n versioned
// queries of corpusInventory.
func corpusBatchBody(db *advisory.DB, n int) string {
	var qs []string
	for _, p := range corpusInventory(db, 1).Packages {
		if p.Version != "" && len(qs) < n {
			b, _ := json.Marshal(osvclient.PyPIQuery(p.Name, p.Version))
			qs = append(qs, string(b))
		}
	}
	return `{"queries":[` + strings.Join(qs, ",") + `]}`
}

// BenchmarkCorpusHandlerBatch measures the handler alone on a 1,000-query
// batch over the snapshot: decoding, matching (answers remembered after
// the first round, as a mirror's are) and encoding.
func BenchmarkCorpusHandlerBatch(b *testing.B) {
	for _, cache := range []int64{server.DefaultAnswerCacheBytes, 0} {
		b.Run(fmt.Sprintf("cache=%d", cache), func(b *testing.B) {
			db := corpusDB(b)
			src, err := server.NewDBSource(db, cache)
			if err != nil {
				b.Fatal(err)
			}
			h := server.New(src, server.Options{}).Handler()
			body := corpusBatchBody(db, osvclient.MaxBatch)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/querybatch", strings.NewReader(body)))
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/querybatch", strings.NewReader(body)))
				if rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkCorpusHandlerQuery measures the handler alone on single
// /v1/query requests answered with full entries, in the steady state of a
// mirror: every query was asked once before (the first answer of each
// advisory inflates it from the index).
func BenchmarkCorpusHandlerQuery(b *testing.B) {
	db := corpusDB(b)
	h := server.New(mustSource(b, db), server.Options{}).Handler()
	var bodies []string
	for _, p := range corpusInventory(db, 1).Packages {
		if p.Version != "" {
			q, _ := json.Marshal(osvclient.PyPIQuery(p.Name, p.Version))
			bodies = append(bodies, string(q))
		}
	}
	for _, body := range bodies {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/query", strings.NewReader(body)))
	}
	i := 0
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/query", strings.NewReader(bodies[i%len(bodies)])))
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
		i++
	}
}

// BenchmarkCorpusMemory serves the snapshot in process to 8 concurrent
// clients, each asking every versioned query of corpusInventory alone and in
// 1,000-query batches, and reports the heap it takes: the live heap after a
// collection once loaded (idle) and after the workload (served), and the
// largest heap the runtime held from the operating system meanwhile
// (heap-sys, the part of RSS the server controls).
func BenchmarkCorpusMemory(b *testing.B) {
	live := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	var bodies []string
	for b.Loop() {
		b.StopTimer()
		base := live()
		b.StartTimer()
		db := corpusDB(b)
		src := mustSource(b, db)
		h := server.New(src, server.Options{}).Handler()
		b.StopTimer()
		idle := live() - base
		if bodies == nil {
			for _, p := range corpusInventory(db, 1).Packages {
				if p.Version != "" {
					q, _ := json.Marshal(osvclient.PyPIQuery(p.Name, p.Version))
					bodies = append(bodies, string(q))
				}
			}
		}
		batch := corpusBatchBody(db, osvclient.MaxBatch)
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if v := ms.HeapSys - ms.HeapReleased; v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(bodies); i += 8 {
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/query", strings.NewReader(bodies[i])))
					if i%100 == w {
						h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/querybatch", strings.NewReader(batch)))
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		close(stop)
		<-sampled
		served := live() - base
		b.ReportMetric(idle, "idle-live-MB")
		b.ReportMetric(served, "served-live-MB")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-sys-MB")
		runtime.KeepAlive(src)
		b.StartTimer()
	}
}
