package server

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histograms.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

var endpoints = []string{epQuery, epBatch, epVulns, epHealth, epMetrics, epOther}

// histogram is a Prometheus histogram with lock-free updates.
type histogram struct {
	counts []atomic.Uint64 // one per bucket plus +Inf
	sumNS  atomic.Uint64
}

// metrics are the server's counters, written in the Prometheus text format
// by expose.
type metrics struct {
	mu        sync.Mutex
	requests  map[string]*atomic.Uint64 // key: endpoint + "\x00" + status code
	latency   map[string]*histogram     // fixed set of endpoints, read-only after newMetrics
	queries   atomic.Uint64
	unserved  atomic.Uint64 // valid queries for data the mirror does not hold
	inFlight  atomic.Int64
	dbLen     atomic.Int64
	dbLoaded  atomic.Int64 // unix seconds
	reloadsOK atomic.Uint64
	reloadsKO atomic.Uint64
}

func newMetrics() *metrics {
	m := &metrics{requests: map[string]*atomic.Uint64{}, latency: map[string]*histogram{}}
	for _, e := range endpoints {
		m.latency[e] = &histogram{counts: make([]atomic.Uint64, len(latencyBuckets)+1)}
	}
	return m
}

func (m *metrics) observe(endpoint string, status int, d time.Duration) {
	if status == 0 {
		status = 200
	}
	key := endpoint + "\x00" + strconv.Itoa(status)
	m.mu.Lock()
	c := m.requests[key]
	if c == nil {
		c = new(atomic.Uint64)
		m.requests[key] = c
	}
	m.mu.Unlock()
	c.Add(1)
	h := m.latency[endpoint]
	sec := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, sec)
	h.counts[i].Add(1)
	h.sumNS.Add(uint64(d.Nanoseconds()))
}

func (m *metrics) setDB(n int, loaded time.Time) {
	m.dbLen.Store(int64(n))
	m.dbLoaded.Store(loaded.Unix())
}

func (m *metrics) reload(ok bool) {
	if ok {
		m.reloadsOK.Add(1)
	} else {
		m.reloadsKO.Add(1)
	}
}

// expose writes every metric in the Prometheus text exposition format 0.0.4.
func (m *metrics) expose() []byte {
	var b []byte
	help := func(name, typ, text string) {
		b = fmt.Appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}

	help("pyvet_serve_requests_total", "counter", "HTTP requests answered, by endpoint and status code.")
	type kv struct {
		key string
		c   *atomic.Uint64
	}
	m.mu.Lock()
	rows := make([]kv, 0, len(m.requests))
	for k, c := range m.requests {
		rows = append(rows, kv{k, c})
	}
	m.mu.Unlock()
	slices.SortFunc(rows, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	for _, r := range rows {
		ep, code, _ := strings.Cut(r.key, "\x00")
		b = fmt.Appendf(b, "pyvet_serve_requests_total{endpoint=%q,code=%q} %d\n", ep, code, r.c.Load())
	}

	help("pyvet_serve_request_duration_seconds", "histogram", "Time to answer a request, by endpoint.")
	for _, ep := range endpoints {
		h := m.latency[ep]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i].Load()
			b = fmt.Appendf(b, "pyvet_serve_request_duration_seconds_bucket{endpoint=%q,le=%q} %d\n", ep, formatFloat(le), cum)
		}
		cum += h.counts[len(latencyBuckets)].Load()
		b = fmt.Appendf(b, "pyvet_serve_request_duration_seconds_bucket{endpoint=%q,le=\"+Inf\"} %d\n", ep, cum)
		b = fmt.Appendf(b, "pyvet_serve_request_duration_seconds_sum{endpoint=%q} %s\n", ep, formatFloat(float64(h.sumNS.Load())/1e9))
		b = fmt.Appendf(b, "pyvet_serve_request_duration_seconds_count{endpoint=%q} %d\n", ep, cum)
	}

	help("pyvet_serve_queries_total", "counter", "Package queries answered (each query of a batch counts).")
	b = fmt.Appendf(b, "pyvet_serve_queries_total %d\n", m.queries.Load())
	help("pyvet_serve_unserved_queries_total", "counter", "Valid queries this mirror holds no data for (commits, other ecosystems).")
	b = fmt.Appendf(b, "pyvet_serve_unserved_queries_total %d\n", m.unserved.Load())
	help("pyvet_serve_requests_in_flight", "gauge", "Requests being answered now.")
	b = fmt.Appendf(b, "pyvet_serve_requests_in_flight %d\n", m.inFlight.Load())
	help("pyvet_serve_advisories", "gauge", "Advisories in the database being served.")
	b = fmt.Appendf(b, "pyvet_serve_advisories %d\n", m.dbLen.Load())
	help("pyvet_serve_database_loaded_timestamp_seconds", "gauge", "When the database being served was loaded (Unix time).")
	b = fmt.Appendf(b, "pyvet_serve_database_loaded_timestamp_seconds %d\n", m.dbLoaded.Load())
	help("pyvet_serve_database_refreshes_total", "counter", "Database refreshes, by result.")
	b = fmt.Appendf(b, "pyvet_serve_database_refreshes_total{result=\"ok\"} %d\n", m.reloadsOK.Load())
	b = fmt.Appendf(b, "pyvet_serve_database_refreshes_total{result=\"error\"} %d\n", m.reloadsKO.Load())
	return b
}

func formatFloat(f float64) string {
	if math.IsInf(f, +1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// cacheReporter is a Source with an answer cache (DBSource).
type cacheReporter interface{ CacheStats() CacheStats }

// appendCacheMetrics writes the answer cache gauges of src, when it has a
// cache.
func appendCacheMetrics(b []byte, src Source) []byte {
	cr, ok := src.(cacheReporter)
	if !ok {
		return b
	}
	cs := cr.CacheStats()
	b = append(b, "# HELP pyvet_serve_answer_cache_bytes Memory held by remembered query answers (keys and answers).\n# TYPE pyvet_serve_answer_cache_bytes gauge\n"...)
	b = fmt.Appendf(b, "pyvet_serve_answer_cache_bytes %d\n", cs.Bytes)
	b = append(b, "# HELP pyvet_serve_answer_cache_max_bytes The answer cache's memory budget.\n# TYPE pyvet_serve_answer_cache_max_bytes gauge\n"...)
	b = fmt.Appendf(b, "pyvet_serve_answer_cache_max_bytes %d\n", cs.MaxBytes)
	b = append(b, "# HELP pyvet_serve_answer_cache_entries Query answers remembered.\n# TYPE pyvet_serve_answer_cache_entries gauge\n"...)
	b = fmt.Appendf(b, "pyvet_serve_answer_cache_entries %d\n", cs.Entries)
	b = append(b, "# HELP pyvet_serve_answer_cache_evictions_total Answers forgotten to stay within the budget.\n# TYPE pyvet_serve_answer_cache_evictions_total counter\n"...)
	b = fmt.Appendf(b, "pyvet_serve_answer_cache_evictions_total %d\n", cs.Evicted)
	return b
}
