package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/server"
)

func newServeCmd(a *app) *cobra.Command {
	var (
		listen      string
		dbPath      string
		refresh     time.Duration
		answerCache int64
		tlsCert     string
		tlsKey      string
		opts        server.Options
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the advisory database over the OSV API",
		Long: `serve answers the OSV API (POST /v1/query, POST /v1/querybatch, GET /v1/vulns/{id})
from the local advisory database, plus /healthz and Prometheus /metrics, as an internal
mirror: pip-audit (--vulnerability-service osv --osv-url URL/v1/query) and pyvet audit
--service URL are pointed at it. It is stateless and read-only: run replicas behind a
load balancer.

With --tls-cert and --tls-key it serves HTTPS (TLS 1.2 or newer); the files are read again
on SIGHUP. Clients whose URL cannot be changed (osv-scanner, osv.dev's Go bindings: always
https://api.osv.dev) reach the mirror with a certificate for api.osv.dev from a private CA
they trust and a hosts or DNS entry for api.osv.dev: docs/serve.md shows the steps.

It holds PyPI only and validates as osv.dev does: input osv.dev rejects (an unknown or
wrongly cased ecosystem such as "pypi", a non-hex commit, a commit with a version, bad JSON)
is a 400 {"code":3,"message":...}. A commit query or another ecosystem is a 400 on
/v1/query saying the mirror holds only PyPI; in a /v1/querybatch it gets an empty result
and a Warning header, and the other queries are answered. /v1/vulns/{id} serves exact ids
only: an alias or another case is a 404 naming the id to ask for. Over-long fields (a
version above 128 bytes, a name above 256) are a 400; the answer cache is bounded by
--answer-cache-bytes.

The database is --db (an OSV zip, a directory of OSV files or a pyvet index) or the cached
one that "pyvet db update" maintains. It is refreshed every --refresh and on SIGHUP with an
atomic swap; SIGINT and SIGTERM shut down gracefully.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exitWith(exitUsage, fmt.Errorf("serve takes no arguments (got %q); use --db for the database", args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.MaxBatch < 1 || opts.MaxBatch > 1000 {
				return exitWith(exitUsage, fmt.Errorf("--max-batch %d: want 1 to 1000", opts.MaxBatch))
			}
			if refresh < 0 {
				return exitWith(exitUsage, fmt.Errorf("--refresh %s: want a positive duration or 0", refresh))
			}
			logw := io.Writer(cmd.ErrOrStderr())
			if a.quiet {
				logw = io.Discard
			}
			opts.Log = log.New(logw, "pyvet serve: ", log.LstdFlags)
			if answerCache < 0 {
				return exitWith(exitUsage, fmt.Errorf("--answer-cache-bytes %d: want 0 or more", answerCache))
			}
			if opts.MaxBodyBytes < 1 || opts.MaxBodyBytes > safeio.MaxJSON {
				return exitWith(exitUsage, fmt.Errorf("--max-body %d: want 1 to %d bytes", opts.MaxBodyBytes, safeio.MaxJSON))
			}
			var certs *server.CertFiles
			if tlsCert != "" || tlsKey != "" {
				if tlsCert == "" || tlsKey == "" {
					return exitWith(exitUsage, errors.New("--tls-cert and --tls-key go together: give both files"))
				}
				certs = &server.CertFiles{Cert: tlsCert, Key: tlsKey}
			}
			// The root's context ends on SIGINT and SIGTERM: a graceful
			// shutdown. SIGHUP reloads the database and the certificate.
			err := server.Run(cmd.Context(), server.RunOptions{Listen: listen, Server: opts, Refresh: refresh, Offline: a.offline, TLS: certs,
				Load: server.LoadOptions{Path: dbPath, CacheDir: a.cacheDir(), AnswerCacheBytes: answerCache}})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&dbPath, "db", "", "advisory database: OSV zip, directory of OSV files or pyvet index (default: the cached database)")
	f.DurationVar(&refresh, "refresh", 24*time.Hour, "reload (and, for the cached database, update) this often; 0 disables")
	f.Int64Var(&answerCache, "answer-cache-bytes", server.DefaultAnswerCacheBytes, "memory for remembered query answers per database, in bytes (0 disables)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS (TLS 1.2+) with this PEM certificate chain, leaf first (with --tls-key; reread on SIGHUP)")
	f.StringVar(&tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.Int64Var(&opts.MaxBodyBytes, "max-body", 8<<20, "largest request body in bytes")
	f.IntVar(&opts.MaxBatch, "max-batch", 1000, "most queries per /v1/querybatch request (at most 1000)")
	f.DurationVar(&opts.ReadTimeout, "read-timeout", 30*time.Second, "time to read a whole request")
	f.DurationVar(&opts.WriteTimeout, "write-timeout", 60*time.Second, "time to write an answer")
	f.DurationVar(&opts.IdleTimeout, "idle-timeout", 120*time.Second, "how long idle keep-alive connections stay open")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "grace period for requests in flight on shutdown")
	return cmd
}
