package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// Source is the read-only advisory database the server answers from. It must
// be safe for concurrent use; the server never modifies it.
type Source interface {
	// Query returns the advisories that affect the PyPI package name at
	// version, or every advisory of the package when version is "". Name is
	// as the client wrote it; the source normalizes it.
	Query(name, version string) []osvclient.VulnRef
	// Raw returns the full OSV JSON of the advisory whose id is exactly id
	// (not an alias, not another case): the server serves it under that id.
	Raw(id string) ([]byte, bool)
	// Len is the number of advisories.
	Len() int
}

// Options are the server's limits. Zero fields take the defaults.
type Options struct {
	MaxBodyBytes    int64         // request body limit (default 8 MiB)
	MaxBatch        int           // queries per /v1/querybatch (default and maximum 1,000)
	PageSize        int           // entries per /v1/query page (default 1,000)
	BatchPageSize   int           // ids per query per /v1/querybatch page (default 1,000)
	ReadTimeout     time.Duration // whole request, headers and body (default 30 s)
	WriteTimeout    time.Duration // writing the answer (default 60 s)
	IdleTimeout     time.Duration // keep-alive connections (default 120 s)
	ShutdownTimeout time.Duration // grace period for requests in flight (default 15 s)
	// TLS, when set, makes Serve answer HTTPS (HTTP/2 and HTTP/1.1) with
	// this configuration; Run sets it from RunOptions.TLS.
	TLS *tls.Config
	// Log receives one line per server event (load, swap, shutdown); nil
	// discards them.
	Log *log.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxBatch <= 0 || o.MaxBatch > osvclient.MaxBatch {
		o.MaxBatch = osvclient.MaxBatch
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.BatchPageSize <= 0 {
		o.BatchPageSize = 1000
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 60 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 120 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 15 * time.Second
	}
	return o
}

// state is one loaded database; the server swaps whole states. A retired
// state's source is closed (when it is an io.Closer) once the last request
// using it has finished.
type state struct {
	src        Source
	loaded     time.Time
	generation uint64
	refs       atomic.Int64
	retired    atomic.Bool
	closeOnce  sync.Once
}

// release ends one request's use of the state.
func (st *state) release() {
	if st.refs.Add(-1) == 0 && st.retired.Load() {
		st.close()
	}
}

func (st *state) close() {
	st.closeOnce.Do(func() {
		if c, ok := st.src.(io.Closer); ok {
			_ = c.Close()
		}
	})
}

// acquire returns the current state, counted as in use until release, or nil
// when no database is loaded.
func (s *Server) acquire() *state {
	for {
		st := s.cur.Load()
		if st == nil {
			return nil
		}
		st.refs.Add(1)
		if s.cur.Load() == st {
			return st
		}
		// Swapped meanwhile: the old state may be closing; use the new one.
		st.release()
	}
}

// Server answers OSV API requests from the current database.
type Server struct {
	opts    Options
	cur     atomic.Pointer[state]
	gen     atomic.Uint64
	metrics *metrics
	handler http.Handler
}

// New returns a server answering from src (which may be nil until the first
// Swap; requests then get 503).
func New(src Source, opts Options) *Server {
	s := &Server{opts: opts.withDefaults(), metrics: newMetrics()}
	if src != nil {
		s.Swap(src)
	}
	s.handler = s.routes()
	return s
}

// Swap makes src the database every new request answers from. Requests in
// flight finish with the database they started with; the previous source is
// then closed if it has a Close method.
func (s *Server) Swap(src Source) {
	if src == nil {
		return
	}
	st := &state{src: src, loaded: time.Now(), generation: s.gen.Add(1)}
	old := s.cur.Swap(st)
	s.metrics.setDB(src.Len(), st.loaded)
	if old != nil && old.src != src {
		old.retired.Store(true)
		if old.refs.Load() == 0 {
			old.close()
		}
	}
}

// Source returns the database currently served, or nil.
func (s *Server) Source() Source {
	if st := s.cur.Load(); st != nil {
		return st.src
	}
	return nil
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Log != nil {
		s.opts.Log.Printf(format, args...)
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting connections and waits up to ShutdownTimeout for requests
// in flight. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(10*time.Second, s.opts.ReadTimeout),
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          s.opts.Log,
	}
	errc := make(chan error, 1)
	scheme := "http"
	if s.opts.TLS != nil {
		scheme = "https"
		hs.TLSConfig = s.opts.TLS.Clone()
		// Certificates come from the configuration, not from files here.
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	s.logf("serving the OSV API on %s://%s", scheme, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Loader loads a complete database, e.g. by reading a zip or updating the
// cache first.
type Loader func(ctx context.Context) (Source, error)

// Refresh loads a new database with load and swaps it in. On error the
// current database stays.
func (s *Server) Refresh(ctx context.Context, load Loader) error {
	start := time.Now()
	src, err := load(ctx)
	if err == nil && src == nil {
		err = errors.New("loader returned no database")
	}
	if err != nil {
		s.metrics.reload(false)
		s.logf("refresh failed, still serving the previous database: %v", err)
		return err
	}
	s.Swap(src)
	s.metrics.reload(true)
	s.logf("database refreshed: %d advisories in %s", src.Len(), time.Since(start).Round(time.Millisecond))
	return nil
}

// RunRefresher refreshes the database every interval (when interval > 0) and
// whenever trigger receives, until ctx ends. Refreshes never overlap.
func (s *Server) RunRefresher(ctx context.Context, load Loader, interval time.Duration, trigger <-chan struct{}) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-trigger:
		}
		_ = s.Refresh(ctx, load)
	}
}
