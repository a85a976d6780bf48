package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/pep508"
)

// AttestOptions configure AttestInventory.
type AttestOptions struct {
	// Client fetches provenance (index URL, timeouts, retries).
	Client *pep740.Client
	// Root is the Sigstore trusted root; nil loads one with RootOptions.
	Root        *sigstore.Root
	RootOptions sigstore.RootOptions
	// Concurrency bounds parallel fetches (default 8).
	Concurrency int
	// Progress, when set, is called after each file.
	Progress func(done, total int)
}

// AttestationResult is the attestation status of one distribution file.
type AttestationResult struct {
	Package string `json:"package"`
	Version string `json:"version"`
	File    string `json:"file"`
	// Status is "attested" (every attestation the index publishes verified:
	// signature, digest and the publisher it names), "not-attested",
	// "invalid", "error" (this file's provenance could not be fetched) or
	// "unchecked" (not asked: the index cannot be reached in this run).
	Status string `json:"status"`
	// Publisher says who published an attested file.
	Publisher     string   `json:"publisher,omitempty"`
	PredicateType []string `json:"predicate_types,omitempty"`
	Detail        string   `json:"detail,omitempty"`

	cause error // the run-wide failure that left the file unchecked
}

type attestJob struct {
	pkg  *inventory.Package
	file inventory.File
	sum  []byte
}

// AttestInventory fetches, for every distribution file a lockfile records with
// a sha256 (Package.Files), the PEP 740 provenance from the index's integrity
// API and verifies it against that sha256 and the publisher it names. Files
// with invalid attestations produce high-severity findings, unattested files
// informational ones (RiskCompromise). Packages without recorded files are
// skipped.
//
// A failure shared by the whole run (offline, the integrity API's host
// unreachable or given up on by the circuit breaker) stops the fetches: the
// files not checked get the status "unchecked", no finding each, and the
// error is a *NotCheckedError saying so once for the run. Not checked is
// never attested: callers that require attestations must treat those files
// as failures. The error is otherwise non-nil only when nothing could be
// checked (no root).
func AttestInventory(ctx context.Context, inv *inventory.Inventory, opts AttestOptions) ([]finding.Finding, []AttestationResult, error) {
	root := opts.Root
	if root == nil {
		r, err := sigstore.LoadRoot(ctx, opts.RootOptions)
		if err != nil {
			return nil, nil, err
		}
		root = r
	}
	client := opts.Client
	if client == nil {
		client = &pep740.Client{}
	}
	var jobs []attestJob
	for _, p := range inv.Packages {
		if p.Version == "" {
			continue
		}
		for _, f := range p.Files {
			name := f.Name
			if name == "" {
				name = fileNameFromURL(f.URL)
			}
			if name == "" {
				continue
			}
			f.Name = name
			for _, h := range f.Hashes {
				if a, hx, ok := strings.Cut(h, ":"); ok && strings.EqualFold(a, "sha256") {
					if sum, err := hex.DecodeString(hx); err == nil && len(sum) == 32 {
						jobs = append(jobs, attestJob{pkg: p, file: f, sum: sum})
						break
					}
				}
			}
		}
	}
	results := make([]AttestationResult, len(jobs))
	n := opts.Concurrency
	if n <= 0 {
		n = 8
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var cause error // the run-wide failure, once one is seen
	finish := func(i int, r AttestationResult) {
		mu.Lock()
		defer mu.Unlock()
		results[i] = r
		if r.cause != nil && cause == nil {
			cause = r.cause
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(jobs))
		}
	}
	stopped := func() error {
		mu.Lock()
		defer mu.Unlock()
		return cause
	}
	for i, j := range jobs {
		sem <- struct{}{}
		if c := stopped(); c != nil {
			<-sem
			finish(i, uncheckedResult(j, c))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if c := stopped(); c != nil {
				finish(i, uncheckedResult(j, c))
				return
			}
			finish(i, attestOne(ctx, client, root, j))
		}()
	}
	wg.Wait()
	sort.SliceStable(results, func(a, b int) bool {
		if results[a].Package != results[b].Package {
			return results[a].Package < results[b].Package
		}
		return results[a].File < results[b].File
	})
	return attestFindings(results), results, notChecked(results)
}

// runWide reports whether a fetch error is shared by every file of the run:
// offline, or the integrity API's host unreachable or given up on.
func runWide(err error) bool {
	return errors.Is(err, httpx.ErrOffline) || errors.Is(err, httpx.ErrUnreachable) || errors.Is(err, httpx.ErrCircuitOpen)
}

func uncheckedResult(j attestJob, cause error) AttestationResult {
	return AttestationResult{Package: j.pkg.Name, Version: j.pkg.Version, File: j.file.Name,
		Status: "unchecked", Detail: causeText(cause), cause: cause}
}

// causeText is the short reason of a run-wide failure: "offline", or the
// host and what went wrong ("pypi.org: connection refused").
func causeText(err error) string {
	if errors.Is(err, httpx.ErrOffline) {
		return "offline"
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		return he.Error()
	}
	return err.Error()
}

// NotCheckedError says that attestations were not checked for Files of the
// Total files of a run, for one Reason shared by the run (Err).
type NotCheckedError struct {
	Reason string // "offline", or the host and the failure
	Files  int    // files not checked
	Total  int    // files with a recorded sha256
	Err    error  // the first run-wide failure
}

func (e *NotCheckedError) Error() string {
	n := count(e.Files) + " files"
	if e.Files != e.Total {
		n = count(e.Files) + " of " + count(e.Total) + " files"
	}
	return "attestations not checked: " + e.Reason + " (" + n + ")"
}

// Unwrap returns the run-wide failure, so errors.Is(err, httpx.ErrOffline)
// holds for an offline run.
func (e *NotCheckedError) Unwrap() error { return e.Err }

func notChecked(results []AttestationResult) error {
	var e *NotCheckedError
	for _, r := range results {
		if r.Status != "unchecked" {
			continue
		}
		if e == nil {
			e = &NotCheckedError{Reason: r.Detail, Total: len(results), Err: r.cause}
		}
		e.Files++
	}
	if e == nil {
		return nil
	}
	return e
}

// count writes n with thousands separators: 1,062.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fileNameFromURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndex(u, "/"); i >= 0 {
		return u[i+1:]
	}
	return ""
}

func attestOne(ctx context.Context, c *pep740.Client, root *sigstore.Root, j attestJob) AttestationResult {
	r := AttestationResult{Package: j.pkg.Name, Version: j.pkg.Version, File: j.file.Name}
	project := pep508.NormalizeName(j.pkg.Name)
	prov, err := c.Provenance(ctx, project, j.pkg.Version, j.file.Name)
	switch {
	case errors.Is(err, pep740.ErrNoProvenance):
		r.Status, r.Detail = "not-attested", "the index publishes no attestation for this file"
		return r
	case sigstore.IsInputError(err):
		r.Status, r.Detail = "invalid", err.Error()
		return r
	case runWide(err):
		return uncheckedResult(j, err)
	case err != nil:
		r.Status, r.Detail = "error", err.Error()
		return r
	}
	res, err := pep740.VerifyProvenance(prov, j.file.Name, j.sum, root, nil)
	if err == nil && len(res) == 0 {
		err = errors.New("no attestation was verified")
	}
	for _, x := range res {
		if err == nil && !x.Status.Verified() {
			err = fmt.Errorf("attestation for %s not verified", x.File)
		}
	}
	if err != nil {
		r.Status, r.Detail = "invalid", err.Error()
		return r
	}
	pubs := map[string]bool{}
	preds := map[string]bool{}
	for _, x := range res {
		pubs[x.Publisher] = true
		preds[x.PredicateType] = true
	}
	r.Status = "attested"
	r.Publisher = strings.Join(sortedKeys(pubs), "; ")
	r.PredicateType = sortedKeys(preds)
	return r
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func attestFindings(results []AttestationResult) []finding.Finding {
	var out []finding.Finding
	for _, r := range results {
		f := finding.Finding{Risk: finding.RiskCompromise, Package: r.Package, Version: r.Version, Exact: true,
			Evidence: map[string]string{"file": r.File, "attestation": r.Status}}
		switch r.Status {
		case "attested", "unchecked":
			continue // unchecked: one NotCheckedError for the run
		case "invalid":
			f.Rule, f.Severity = "attestation-invalid", finding.SeverityHigh
			f.Title = "attestation does not verify for " + r.File
			f.Detail = "The index publishes an attestation for this file, but it does not verify: " + r.Detail + ". The file may not be what its publisher built."
			f.Action = "do not install this file until the mismatch is explained; compare with the project's release"
		case "not-attested":
			f.Rule, f.Severity = "attestation-missing", finding.SeverityInfo
			f.Title = "no attestation for " + r.File
			f.Detail = "The publisher did not attest this file (PEP 740), so who built it cannot be checked."
		default:
			f.Rule, f.Severity = "attestation-unchecked", finding.SeverityInfo
			f.Title = "attestation could not be checked for " + r.File
			f.Detail = r.Detail
		}
		out = append(out, f)
	}
	return out
}

// AttestSummary counts results by status, for reports.
func AttestSummary(rs []AttestationResult) string {
	c := map[string]int{}
	for _, r := range rs {
		c[r.Status]++
	}
	return fmt.Sprintf("%d files: %d attested, %d not attested, %d invalid, %d unchecked", len(rs), c["attested"], c["not-attested"], c["invalid"], c["error"]+c["unchecked"])
}
