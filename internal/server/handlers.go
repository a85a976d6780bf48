package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/safeio"
)

// The endpoint names metrics use.
const (
	epQuery   = "query"
	epBatch   = "querybatch"
	epVulns   = "vulns"
	epHealth  = "healthz"
	epMetrics = "metrics"
	epOther   = "other"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/query", s.wrap(epQuery, s.handleQuery))
	mux.Handle("/v1/querybatch", s.wrap(epBatch, s.handleBatch))
	mux.Handle("/v1/vulns/{id}", s.wrap(epVulns, s.handleVuln))
	mux.Handle("/healthz", s.wrap(epHealth, s.handleHealth))
	mux.Handle("/metrics", s.wrap(epMetrics, s.handleMetrics))
	mux.Handle("/", s.wrap(epOther, func(w http.ResponseWriter, r *http.Request, _ *state) {
		writeError(w, http.StatusNotFound, osvclient.CodeNotFound, "Not found: "+safeio.Excerpt(r.URL.Path))
	}))
	return mux
}

// apiError is a bad request: the HTTP status and the OSV error body.
type apiError struct {
	status  int
	code    int
	message string
}

func (e *apiError) Error() string { return e.message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, osvclient.CodeInvalidArgument, fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	b, _ := json.Marshal(osvclient.Error{Code: code, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.code, ae.message)
		return
	}
	writeError(w, http.StatusInternalServerError, osvclient.CodeInternal, err.Error())
}

func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// statusWriter records the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap adds metrics, panic recovery and the database snapshot of the request.
func (s *Server) wrap(endpoint string, h func(http.ResponseWriter, *http.Request, *state)) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		s.metrics.inFlight.Add(1)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
				if w.status == 0 {
					writeError(w, http.StatusInternalServerError, osvclient.CodeInternal, "internal error")
				}
			}
			s.metrics.inFlight.Add(-1)
			s.metrics.observe(endpoint, w.status, time.Since(start))
		}()
		// Every request reads the database pointer exactly once.
		st := s.acquire()
		if st != nil {
			defer st.release()
		}
		h(w, r, st)
	})
}

func allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, osvclient.CodeUnimplemented, "Method "+safeio.Excerpt(r.Method)+" not allowed; use "+strings.Join(methods, " or "))
	return false
}

func noDatabase(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, osvclient.CodeUnavailable, "no advisory database loaded yet")
}

// readBody reads the request body within the size limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	var data []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= s.opts.MaxBodyBytes {
		// The declared length, read into one buffer (a body that is not
		// as long as declared is an error of the HTTP server's reader).
		data = make([]byte, 0, n+1)
		for err == nil {
			var k int
			k, err = body.Read(data[len(data):cap(data)])
			data = data[:len(data)+k]
			if len(data) == cap(data) {
				data = append(data, 0)[:len(data)]
			}
		}
		if err == io.EOF {
			err = nil
		}
	} else {
		data, err = io.ReadAll(body)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{http.StatusRequestEntityTooLarge, osvclient.CodeResourceExhausted,
				fmt.Sprintf("request body larger than %d bytes", s.opts.MaxBodyBytes)}
		}
		return nil, badRequest("reading request body: %s", safeio.ExcerptN(err.Error(), 160))
	}
	return data, nil
}

// decodeJSON parses exactly one JSON value; unknown fields are ignored, as
// OSV clients may send fields this server does not use.
func decodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("empty request body; want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON request: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("invalid JSON request: data after the JSON object")
	}
	return nil
}

// target is what a valid query asks for.
type target struct {
	name, version string
	// unserved says why this mirror has no data for a valid query (a
	// commit, another ecosystem); "" for a PyPI query.
	unserved string
	after    string
}

// resolveQuery validates one query as osv.dev does. What osv.dev rejects is
// an error; a valid query for data this mirror does not hold (commits, other
// ecosystems) resolves to a target with unserved set.
func resolveQuery(q osvclient.Query) (target, error) {
	var t target
	if err := checkLen("version", q.Version, MaxVersionLen); err != nil {
		return t, err
	}
	if err := checkLen("commit", q.Commit, MaxCommitLen); err != nil {
		return t, err
	}
	if q.PageToken != "" {
		if err := checkLen("page_token", q.PageToken, MaxPageTokenLen); err != nil {
			return t, err
		}
		after, err := decodePageToken(q.PageToken)
		if err != nil {
			return t, err
		}
		t.after = after
	}
	if q.Commit != "" {
		// commit and version are one field in osv.dev's API (a oneof);
		// a package beside a commit is ignored there.
		if q.Version != "" {
			return t, badRequest("a query gives either a commit or a version, not both")
		}
		if !isHex(q.Commit) {
			return t, badRequest("Invalid hash %s: a commit is given in hexadecimal", quoteField(q.Commit))
		}
		if q.Package != nil {
			if err := checkLen("ecosystem", q.Package.Ecosystem, MaxNameLen); err != nil {
				return t, err
			}
			if _, err := checkEcosystem(q.Package.Ecosystem); err != nil {
				return t, err
			}
		}
		t.unserved = unservedPrefix + ", matched by package and version; it does not match commits"
		return t, nil
	}
	if q.Package == nil {
		return t, badRequest("invalid query: give a package (name and ecosystem, or purl), or a commit")
	}
	p := q.Package
	if err := checkLen("package name", p.Name, MaxNameLen); err != nil {
		return t, err
	}
	if err := checkLen("ecosystem", p.Ecosystem, MaxNameLen); err != nil {
		return t, err
	}
	if p.PURL != "" {
		if p.Name != "" || p.Ecosystem != "" {
			return t, badRequest("a package gives either a purl or a name and ecosystem, not both")
		}
		if err := checkLen("purl", p.PURL, MaxPURLLen); err != nil {
			return t, err
		}
		typ, name, version, err := parsePURL(p.PURL)
		if err != nil {
			return t, badRequest("invalid purl %s: %v", safeio.Excerpt(p.PURL), err)
		}
		if err := checkLen("package name in the purl", name, MaxNameLen); err != nil {
			return t, err
		}
		if err := checkLen("version in the purl", version, MaxVersionLen); err != nil {
			return t, err
		}
		if version != "" && q.Version != "" {
			return t, badRequest("the version is given twice, in the purl and in the query")
		}
		if version == "" {
			version = q.Version
		}
		t.name, t.version = name, version
		if typ != "pypi" {
			t.unserved = unservedPrefix + ", not purl type " + quoteField(typ)
		}
		return t, nil
	}
	if strings.TrimSpace(p.Name) == "" {
		return t, badRequest("invalid query: the package has no name")
	}
	if p.Ecosystem == "" && q.Version == "" {
		// osv.dev lists a package's advisories only within an ecosystem.
		return t, badRequest("Invalid query: a package without a version needs its ecosystem (%q)", osvclient.EcosystemPyPI)
	}
	unserved, err := checkEcosystem(p.Ecosystem)
	if err != nil {
		return t, err
	}
	t.name, t.version, t.unserved = p.Name, q.Version, unserved
	return t, nil
}

// quoteField quotes a short request field (already length-checked) for a
// message.
func quoteField(s string) string { return safeio.ExcerptN(s, 80) }

// parsePURL splits a package URL (pkg:type/namespace/name@version?q#sub)
// into its lower-cased type, its name and its version, percent-decoded.
func parsePURL(s string) (typ, name, version string, err error) {
	rest, ok := cutPrefixFold(s, "pkg:")
	if !ok {
		return "", "", "", errors.New(`does not start with "pkg:"`)
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.LastIndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	typ, rest, ok = strings.Cut(rest, "/")
	if !ok || typ == "" {
		return "", "", "", errors.New("no type/name")
	}
	typ = strings.ToLower(typ)
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		if version, err = url.PathUnescape(rest[i+1:]); err != nil {
			return "", "", "", err
		}
		if version == "" {
			return "", "", "", errors.New("empty version after @")
		}
		rest = rest[:i]
	}
	rest = strings.TrimRight(rest, "/")
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	if name, err = url.PathUnescape(rest); err != nil {
		return "", "", "", err
	}
	if strings.TrimSpace(name) == "" {
		return "", "", "", errors.New("no name")
	}
	return typ, name, version, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Page tokens name the last id of the previous page; ids are served in
// sorted order, so a token stays meaningful across replicas and refreshes.
const tokenPrefix = "v1:"

func encodePageToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + lastID))
}

func decodePageToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !bytes.HasPrefix(b, []byte(tokenPrefix)) || len(b) == len(tokenPrefix) {
		return "", badRequest("invalid page_token")
	}
	return string(b[len(tokenPrefix):]), nil
}

// lookup answers a resolved query: the matching refs sorted by id, the page
// after t.after of at most size entries, and the token of the next page.
func lookup(src Source, t target, size int) ([]osvclient.VulnRef, string) {
	if t.unserved != "" {
		return nil, ""
	}
	refs := src.Query(t.name, t.version)
	if len(refs) == 0 {
		return nil, ""
	}
	if !slices.IsSortedFunc(refs, cmpRef) {
		refs = slices.Clone(refs)
		slices.SortFunc(refs, cmpRef)
	}
	if t.after != "" {
		i, found := slices.BinarySearchFunc(refs, t.after, func(r osvclient.VulnRef, id string) int { return strings.Compare(r.ID, id) })
		if found {
			i++
		}
		refs = refs[i:]
	}
	if len(refs) > size {
		return refs[:size], encodePageToken(refs[size-1].ID)
	}
	return refs, ""
}

func cmpRef(a, b osvclient.VulnRef) int { return strings.Compare(a.ID, b.ID) }

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, st *state) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	data, err := s.readBody(w, r)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	q, err := decodeQuery(data)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	t, err := resolveQuery(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if t.unserved != "" {
		s.metrics.unserved.Add(1)
		writeError(w, http.StatusBadRequest, osvclient.CodeInvalidArgument, t.unserved)
		return
	}
	if st == nil {
		noDatabase(w)
		return
	}
	s.metrics.queries.Add(1)
	refs, next := lookup(st.src, t, s.opts.PageSize)
	writeJSON(w, appendQueryResponse(nil, st.src, refs, next))
}

// appendQueryResponse writes {"vulns":[...],"next_page_token":...} with the
// entries' JSON copied as stored, or {} when there are none, growing b once.
func appendQueryResponse(b []byte, src Source, refs []osvclient.VulnRef, next string) []byte {
	var buf [16][]byte
	raws := buf[:0]
	size := len(`{"vulns":[],"next_page_token":""}`) + len(next)
	for _, ref := range refs {
		if raw, ok := src.Raw(ref.ID); ok {
			raws = append(raws, raw)
			size += len(raw) + 1
		}
	}
	b = slices.Grow(b, size)
	b = append(b, '{')
	for i, raw := range raws {
		if i == 0 {
			b = append(b, `"vulns":[`...)
		} else {
			b = append(b, ',')
		}
		b = append(b, raw...)
	}
	if len(raws) > 0 {
		b = append(b, ']')
	}
	if next != "" {
		if len(raws) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"next_page_token":`...)
		b = appendString(b, next)
	}
	return append(b, '}')
}

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request, st *state) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	data, err := s.readBody(w, r)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	queries, err := decodeBatch(data, s.opts.MaxBatch)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	targets := make([]target, len(queries))
	for i, q := range queries {
		t, err := resolveQuery(q)
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				ae.message = fmt.Sprintf("query %d: %s", i, ae.message)
			}
			writeAPIError(w, err)
			return
		}
		targets[i] = t
	}
	if st == nil {
		noDatabase(w)
		return
	}
	s.metrics.queries.Add(uint64(len(targets)))
	// Queries this mirror has no data for (commits, other ecosystems) are
	// answered empty, so mixed batches from osv-scanner still work, and
	// named in a Warning header.
	var unserved []int
	for i, t := range targets {
		if t.unserved != "" {
			unserved = append(unserved, i)
		}
	}
	if len(unserved) > 0 {
		s.metrics.unserved.Add(uint64(len(unserved)))
		w.Header().Set("Warning", unservedWarning(unserved, len(targets)))
	}
	type answer struct {
		refs []osvclient.VulnRef
		next string
	}
	answers := make([]answer, len(targets))
	parallel(len(targets), func(i int) {
		answers[i].refs, answers[i].next = lookup(st.src, targets[i], s.opts.BatchPageSize)
	})
	// The answer's size is known: one allocation.
	size := 16
	for _, a := range answers {
		size += batchResultSize(a.refs, a.next) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"results":[`...)
	for i, a := range answers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBatchResult(b, a.refs, a.next)
	}
	b = append(b, "]}"...)
	writeJSON(w, b)
}

// unservedWarning is the Warning header (RFC 7234 code 299) of a batch
// with queries this mirror has no data for: their indexes, at most ten.
func unservedWarning(idx []int, total int) string {
	var b strings.Builder
	b.WriteString(`299 pyvet "`)
	if len(idx) == 1 {
		b.WriteString("query ")
	} else {
		b.WriteString("queries ")
	}
	for i, n := range idx[:min(len(idx), 10)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(n))
	}
	if len(idx) > 10 {
		fmt.Fprintf(&b, " and %d more", len(idx)-10)
	}
	fmt.Fprintf(&b, " (%d of %d) answered empty: %s, by package and version; no commits, no other ecosystems\"", len(idx), total, unservedPrefix)
	return b.String()
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines, so one large
// batch is answered by every core.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/32+1)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failure atomic.Value // the first panic of a worker
	for range workers {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					failure.CompareAndSwap(nil, fmt.Sprint(v))
				}
			}()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
	// A panic is raised again in the caller, whose handler turns it into a
	// 500 answer: in a worker goroutine it would end the process.
	if v := failure.Load(); v != nil {
		panic(v)
	}
}

// batchResultSize is the length of appendBatchResult's output, or more when
// a string needs escaping.
func batchResultSize(refs []osvclient.VulnRef, next string) int {
	n := 2 + len(`"vulns":[],"next_page_token":""`) + len(next)
	for _, r := range refs {
		n += len(`{"id":"","modified":""},`) + len(r.ID) + len(r.Modified)
	}
	return n
}

func appendBatchResult(b []byte, refs []osvclient.VulnRef, next string) []byte {
	b = append(b, '{')
	if len(refs) > 0 {
		b = append(b, `"vulns":[`...)
		for j, ref := range refs {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, ref.ID)
			if ref.Modified != "" {
				b = append(b, `,"modified":`...)
				b = appendString(b, ref.Modified)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if next != "" {
		if len(refs) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"next_page_token":`...)
		b = appendString(b, next)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (s *Server) handleVuln(w http.ResponseWriter, r *http.Request, st *state) {
	if !allowMethod(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	id := r.PathValue("id")
	if id == "" {
		writeError(w, http.StatusBadRequest, osvclient.CodeInvalidArgument, "no vulnerability id")
		return
	}
	if st == nil {
		noDatabase(w)
		return
	}
	raw, ok := st.src.Raw(id)
	if !ok {
		writeError(w, http.StatusNotFound, osvclient.CodeNotFound, notFoundMessage(st.src, id))
		return
	}
	writeJSON(w, raw)
}

// idResolver is an optional method of a Source: the id of the advisory an
// alias or a differently cased id names.
type idResolver interface {
	Resolve(id string) (string, bool)
}

// notFoundMessage is osv.dev's "Bug not found." and, when the source knows
// the id as an alias or in another case, which id to ask for: the entry is
// never served under a name it does not carry.
func notFoundMessage(src Source, id string) string {
	const msg = "Bug not found."
	r, ok := src.(idResolver)
	if !ok || len(id) > MaxCommitLen {
		return msg
	}
	other, ok := r.Resolve(id)
	if !ok || other == id {
		return msg
	}
	if strings.EqualFold(other, id) {
		return msg + " Ids are case-sensitive, as on osv.dev: the advisory is " + other + "."
	}
	return msg + " Advisories are served by their own id only, as on osv.dev: " + quoteField(id) + " is an alias of " + other + "."
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, st *state) {
	if !allowMethod(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	if st == nil {
		noDatabase(w)
		return
	}
	b, _ := json.Marshal(struct {
		Status     string `json:"status"`
		Advisories int    `json:"advisories"`
		Loaded     string `json:"loaded"`
		Generation uint64 `json:"generation"`
	}{"ok", st.src.Len(), st.loaded.UTC().Format(time.RFC3339), st.generation})
	writeJSON(w, b)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, st *state) {
	if !allowMethod(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	b := s.metrics.expose()
	if st != nil {
		b = appendCacheMetrics(b, st.src)
	}
	_, _ = w.Write(b)
}
