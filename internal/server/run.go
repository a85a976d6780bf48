package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
)

// RunOptions say what Run serves and how it keeps the database fresh.
type RunOptions struct {
	// Listen is the address to listen on (host:port; port 0 picks one).
	Listen string
	// Load names the database: LoadOptions.Path, or the cached one in
	// LoadOptions.CacheDir.
	Load LoadOptions
	// Server configures the server; its Log receives the run's events.
	Server Options
	// Refresh reloads (and, for the cached database, updates) the database
	// this often; 0 only on SIGHUP.
	Refresh time.Duration
	// Offline never downloads: no first download of a missing cached
	// database, no updates on refresh.
	Offline bool
	// TLS, when set, serves HTTPS with this certificate and key (TLS 1.2 or
	// newer), read again on SIGHUP.
	TLS *CertFiles
}

// Run is `pyvet serve`: it loads the database (downloading the cached one
// when there is none, unless offline), listens, and serves the OSV API until
// ctx ends, which shuts the server down gracefully. The database is reloaded
// every o.Refresh and on SIGHUP with an atomic swap; SIGHUP also reads the
// TLS certificate again. A cached database is updated on each reload unless
// offline, and at once when it is older than advisory.MaxAge. An error is a
// database that cannot be loaded, an address that cannot be listened on, a
// TLS certificate or key that cannot be used, or the server's own.
func Run(ctx context.Context, o RunOptions) error {
	logf := func(format string, args ...any) {
		if o.Server.Log != nil {
			o.Server.Log.Printf(format, args...)
		}
	}
	// A bad certificate fails at once, before the database is loaded.
	var certs *certStore
	if o.TLS != nil {
		var err error
		if certs, err = newCertStore(*o.TLS); err != nil {
			return err
		}
		logf("%s", describeCert(certs.cur.Load(), time.Now()))
		o.Server.TLS = certs.tlsConfig()
	}
	lo := o.Load
	src, err := lo.Loader()(ctx)
	if errors.Is(err, advisory.ErrNoDatabase) && !o.Offline {
		logf("no cached advisory database; downloading it")
		lo.Update = true
		src, err = lo.Loader()(ctx)
	}
	if err != nil {
		return err
	}
	lo.Update = lo.Path == "" && !o.Offline
	s := New(src, o.Server)
	logf("%d advisories loaded", src.Len())

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	trigger := make(chan struct{}, 1)
	go func() {
		for range hup {
			// The certificate is cheap to read again: at once, and a
			// bad one keeps the previous one.
			if certs != nil {
				if c, err := certs.reload(); err != nil {
					logf("TLS certificate not reloaded, still serving the previous one: %v", err)
				} else {
					logf("reloaded %s", describeCert(c, time.Now()))
				}
			}
			select {
			case trigger <- struct{}{}:
			default: // a refresh is already pending
			}
		}
	}()
	if ds, ok := src.(*DBSource); ok && lo.Update && ds.DB.Meta().Age(time.Now()) > advisory.MaxAge {
		logf("the cached database is older than %s; updating it now", advisory.MaxAge)
		trigger <- struct{}{}
	}
	go s.RunRefresher(ctx, lo.Loader(), o.Refresh, trigger)
	return s.Serve(ctx, ln)
}
