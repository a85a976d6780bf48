package osvclient

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
)

// tempPattern names LocalDB's temporary zip files.
const tempPattern = "pyvet-osv-*.zip"

// emptyID names the placeholder advisory of an empty LocalDB.
const emptyID = "PYVET-NONE-0"

// getConcurrency bounds the GET /v1/vulns requests in flight.
const getConcurrency = 16

// Audit matches the inventory against the remote service: it asks the
// service which advisories affect each package (by version when pinned, all
// of the package's advisories otherwise), fetches those entries, and runs the
// same check `pyvet audit` runs on the local database over them. Findings,
// aliases, fix versions, severities and skip reasons are therefore exactly
// those of a local audit against the database the service holds.
func Audit(ctx context.Context, c *Client, inv *inventory.Inventory) (*vuln.Result, error) {
	entries, err := Fetch(ctx, c, inv)
	if err != nil {
		return nil, err
	}
	db, err := LocalDB(entries)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return vuln.Check(inv, db), nil
}

// Fetch returns the full OSV entries of every advisory the service reports
// for the inventory's packages, keyed by id.
func Fetch(ctx context.Context, c *Client, inv *inventory.Inventory) (map[string]json.RawMessage, error) {
	if inv == nil {
		return nil, nil
	}
	type key struct{ name, version string }
	seen := map[key]bool{}
	var queries []Query
	for _, p := range inv.Packages {
		k := key{p.Name, strings.TrimSpace(p.Version)}
		if p.Name == "" || seen[k] {
			continue
		}
		seen[k] = true
		queries = append(queries, PyPIQuery(k.name, k.version))
	}
	// One budget bounds everything this run reads from the service.
	b := c.newBudget()
	results, err := c.queryBatch(ctx, b, queries)
	if err != nil {
		return nil, err
	}
	limit := c.Limits.withDefaults().Advisories
	var ids []string
	have := map[string]bool{}
	for _, refs := range results {
		for _, r := range refs {
			if r.ID != "" && !have[r.ID] {
				if len(ids) == limit {
					return nil, fmt.Errorf("%s/v1/querybatch: the service named more than %d advisories", c.BaseURL, limit)
				}
				have[r.ID] = true
				ids = append(ids, r.ID)
			}
		}
	}
	raws := make([]json.RawMessage, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(getConcurrency)
	for i, id := range ids {
		g.Go(func() error {
			raw, err := c.get(gctx, b, id)
			if err != nil {
				return fmt.Errorf("fetching %s: %w", id, err)
			}
			raws[i] = raw
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(ids))
	for i, id := range ids {
		out[id] = raws[i]
	}
	return out, nil
}

// LocalDB builds an advisory database from OSV entries (as Fetch returns
// them), so the local matcher can run over a service's answers. The entries
// go through a temporary zip in the all.zip layout, which is removed before
// LocalDB returns.
func LocalDB(entries map[string]json.RawMessage) (*advisory.DB, error) {
	if len(entries) == 0 {
		// A database needs one advisory; this one affects no package.
		entries = map[string]json.RawMessage{emptyID: json.RawMessage(`{"id":"` + emptyID + `","affected":[]}`)}
	}
	// A run killed while its database was open left its zip behind.
	safeio.RemoveStale(os.TempDir(), tempPattern, time.Hour)
	f, err := os.CreateTemp("", tempPattern)
	if err != nil {
		return nil, err
	}
	// The zip is removed on every path: the database reads it whole when
	// it opens it.
	defer os.Remove(f.Name())
	defer f.Close()
	zw := zip.NewWriter(f)
	n := 0
	for id, raw := range entries {
		if _, err := advisory.ParseJSON(id, raw); err != nil {
			return nil, fmt.Errorf("service answer for %s: %w", id, err)
		}
		// Members are numbered: ids come from the network and are no file names.
		n++
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%06d.json", n), Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return advisory.Open(f.Name())
}
