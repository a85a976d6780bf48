// Package server serves a local advisory database over the OSV API, so that
// existing clients can use an organisation's internal mirror instead of
// osv.dev: pip-audit (`--vulnerability-service osv --osv-url`) and `pyvet
// audit --service` are given its URL; clients whose URL is fixed to
// https://api.osv.dev, such as osv-scanner and osv.dev's Go bindings, reach
// it over HTTPS (Options.TLS, `pyvet serve --tls-cert --tls-key`) with a
// certificate for api.osv.dev from a private CA they trust and a hosts (or
// DNS) entry pointing the name at the mirror; docs/serve.md shows how.
//
// # Endpoints
//
//   - POST /v1/query: one query, by {"package":{"name","ecosystem":"PyPI"},
//     "version"} or {"package":{"purl":"pkg:pypi/name@version"}}. The answer is
//     {"vulns":[full OSV entries]} or {} when nothing matches. A query without a
//     version returns every advisory of the package. Long answers are paged:
//     the answer carries "next_page_token", which the client sends back as the
//     query's "page_token" (or "pageToken", as protobuf JSON spells it).
//   - POST /v1/querybatch: {"queries":[...]} with at most 1,000 queries. The
//     answer is {"results":[{"vulns":[{"id","modified"}],"next_page_token"?}]},
//     one result per query in order, ids only, as osv.dev answers; clients fetch
//     the entries with GET /v1/vulns/{id}.
//   - GET /v1/vulns/{id}: one full OSV entry, exactly as the database holds it
//     (withdrawn ones too), for exactly that id: an alias (a CVE or GHSA id
//     of a PYSEC entry) or a differently cased id is 404, as on osv.dev,
//     never an entry with another id.
//   - GET /healthz: 200 with the advisory count when a database is loaded.
//   - GET /metrics: Prometheus text exposition (requests by endpoint and
//     status, latency histograms, queries, database size and reloads).
//
// Errors are OSV-style JSON, {"code":N,"message":"..."}, where N is the gRPC
// status code osv.dev uses (3 invalid argument, 5 not found, 8 resource
// exhausted, 12 unimplemented), with a 4xx HTTP status for every bad request.
//
// # Only PyPI
//
// The mirror holds the PyPI ecosystem only. Queries are validated as osv.dev
// validates them, and what osv.dev rejects is a 400 here too: an ecosystem
// that is not an OSV ecosystem name (the OSV schema's list, with an optional
// ":release" suffix), including "pypi" or "PYPI" (names are
// case-sensitive; the message says to write "PyPI"), a commit that is not
// hexadecimal, a commit together with a version, a malformed purl. A valid
// query this mirror has no data for — a commit (osv.dev matches commits
// against git ranges), another ecosystem such as "npm" or "Debian:12", a purl
// of another type — is a 400 on /v1/query whose message says the mirror holds
// only PyPI advisories, rather than an empty answer that would read as "no
// vulnerabilities". In a /v1/querybatch such a query does not fail the batch
// (a commit beside a package is a commit query, as on osv.dev): its result
// is empty, the answer carries a `Warning: 299 pyvet "queries 1, 2 (2 of 5)
// answered empty: ..."` header naming it, and
// pyvet_serve_unserved_queries_total counts it, so osv-scanner's mixed
// batches still work. Invalid input in a batch fails the whole batch with a
// 400 naming the query ("query 3: Invalid hash ..."), as osv.dev does. A
// package name and version without an ecosystem are taken as PyPI; a name
// with neither ecosystem nor version is a 400, as osv.dev's "Invalid
// query.". Fields the API does not define are ignored, as osv.dev's
// gateway drops them. docs/serve.md lists each case beside osv.dev's answer.
//
// # Refresh
//
// The database sits behind an atomic pointer. A refresh (periodic, or on
// SIGHUP in `pyvet serve`) loads a complete new database beside the old one
// and swaps the pointer; each request reads the pointer once, so no request
// ever sees a half-loaded database or a mix of two. A failed refresh keeps the
// old database and is counted in the metrics.
//
// # Memory
//
// The advisory index is read in place (mapped where possible): a DBSource
// holds only the sorted advisory ids and a cache, so loading or refreshing
// a database costs one pass that checks every entry can be read, not a copy
// of the entries, and two databases during a swap do not mean two copies.
// The cache remembers the answers to queries and the JSON of the
// advisories served (the index keeps each one compressed), since the same
// packages are asked about again and again. It is bounded by bytes, keys
// and values together (DefaultAnswerCacheBytes, 32 MiB, or `pyvet serve
// --answer-cache-bytes`), forgets the least recently used answers first and
// never remembers a key longer than MaxCacheKey. /metrics reports its size
// (pyvet_serve_answer_cache_bytes, _entries, _max_bytes, _evictions_total).
//
// # Scaling
//
// The server is stateless and read-only: every answer depends only on the
// request and the loaded database, and page tokens name the last id returned
// rather than server-side state. Run as many replicas as needed behind a load
// balancer, each with its own copy of the database (or a shared read-only
// volume); /healthz suits readiness probes. Replicas may briefly serve
// different database versions during a rolling refresh.
//
// # Limits
//
// Request bodies are capped (Options.MaxBodyBytes, 8 MiB by default),
// batches hold at most 1,000 queries and are counted while they are decoded,
// so a body of a million empty queries is refused after the 1,001st. Query
// fields longer than any real one are a 400 answer: package names above
// MaxNameLen (256 bytes), versions above MaxVersionLen (128; the longest
// version in the PyPA database has 32), purls above MaxPURLLen, page tokens
// above MaxPageTokenLen and commits above MaxCommitLen. Error messages quote
// at most a short escaped excerpt of the request. The HTTP server has read,
// write and idle timeouts, a panic in a handler becomes a 500 answer instead
// of a crash, and Serve shuts down gracefully, finishing requests in flight,
// when its context ends.
package server
