package osvclient

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/inventory"
)

// getConcurrency bounds the GET /v1/vulns requests in flight.
const getConcurrency = 16

// Audit matches the inventory against the remote service: it asks the
// service which advisories affect each package (by version when pinned, all
// of the package's advisories otherwise), fetches those entries, and runs the
// same check `pyvet audit` runs on the local database over them (the
// advisories' hits are prepared when the answers are indexed). Findings,
// aliases, fix versions, severities and skip reasons are therefore exactly
// those of a local audit against the database the service holds.
func Audit(ctx context.Context, c *Client, inv *inventory.Inventory) (*vuln.Result, error) {
	src, err := NewSource(ctx, c, inv)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	res := vuln.Check(inv, src)
	if err := res.Err(); err != nil {
		return nil, err
	}
	return res, nil
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

// NewSource asks the service which advisories affect the inventory's
// packages (see Fetch) and returns them as an advisory source held in
// memory, matched by the same matcher as the local database: vuln.Check over
// it gives exactly the findings of a local audit against the database the
// service holds. Meta().Source is the service's URL. Nothing is written to
// disk.
func NewSource(ctx context.Context, c *Client, inv *inventory.Inventory) (advisory.Source, error) {
	entries, err := Fetch(ctx, c, inv)
	if err != nil {
		return nil, err
	}
	return sourceFrom(c.BaseURL, entries)
}

// sourceFrom indexes a service's answers in memory.
func sourceFrom(url string, entries map[string]json.RawMessage) (*advisory.DB, error) {
	raws := make(map[string][]byte, len(entries))
	for id, raw := range entries {
		raws[id] = raw
	}
	db, err := advisory.FromJSON(raws, advisory.Meta{Source: url, Format: "service"})
	if err != nil {
		return nil, fmt.Errorf("service answer: %w", err)
	}
	return db, nil
}
