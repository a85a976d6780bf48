// Package check defines the one interface every risk check implements and
// the registry that lists them.
//
// A check is one package under internal/check: it reads the inventory (and,
// where it needs them, the shared services of Input) and returns findings.
// It never prints and never exits. Each check package declares its Info (the
// check's name, the risks it reports with their OWASP numbers and report
// titles, when it runs, the policy names it governs) and a constructor in
// its register.go; the list in internal/check/all holds one line per check
// and fixes the order in which they run.
package check

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// Check is one risk check.
type Check interface {
	// Info describes the check; it is the same on every call.
	Info() Info
	// Run checks in.Inventory. Problems that leave the findings valid (a
	// package the index could not answer for, a list that is not cached)
	// are Result.Notes; an error means the check could not run at all, and
	// the audit fails with it (exit 2).
	Run(ctx context.Context, in *Input) (Result, error)
}

// Mode says when a check runs.
type Mode int

// The modes of a check.
const (
	// Always: every audit runs the check (the advisory match).
	Always Mode = iota + 1
	// WithAll: `audit --all` runs the check.
	WithAll
	// WithAttestations: `audit --attestations` runs the check (and a check
	// implementing Required runs when that says so).
	WithAttestations
)

// String names the mode as the command line selects it.
func (m Mode) String() string {
	switch m {
	case Always:
		return "always"
	case WithAll:
		return "--all"
	case WithAttestations:
		return "--attestations"
	}
	return "never"
}

// Info describes a check.
type Info struct {
	// Name identifies the check in the registry ("vulnerability",
	// "health", ...); unique.
	Name string
	// Mode says when it runs.
	Mode Mode
	// Risks are the risks whose findings the check reports, declared here:
	// OWASP number, report title, policy documentation. A risk reported by
	// several checks is declared by one of them (the others name it in
	// Policy).
	Risks []finding.RiskInfo
	// Policy names the policy checks (policy.Spec names, declared by the
	// check package with policy.Register) whose findings this check
	// reports; a run of the check marks them as run (policy.MarkRun). The
	// names of Risks are included without being listed.
	Policy []string
}

// PolicyNames returns the policy checks the check governs: its risks, then
// Policy, without repeats.
func (i Info) PolicyNames() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, r := range i.Risks {
		add(string(r.Risk))
	}
	for _, n := range i.Policy {
		add(n)
	}
	return out
}

// Required is implemented by a check that also runs when it was not
// selected, because the policy requires what it verifies (the attestation
// check, when the policy requires attestations of a package).
type Required interface {
	Required(in *Input) bool
}

// Result is what one run of a check found.
type Result struct {
	Findings []finding.Finding
	// Notes are one-line messages for the report: why some packages could
	// not be checked, which data is missing.
	Notes []string
	// Setup are notes on data the check needs and the cache lacks, each
	// saying how to install it (the popularity list): the report says them
	// once, before every other note.
	Setup []string
	// Skipped maps a package (name, or name==version) to why it could not be
	// checked exactly; `audit --strict` fails on any.
	Skipped map[string]string
}

// Input is what a check reads: the inventory, the policy, and the services
// the checks share. A field a check does not need may be zero.
type Input struct {
	Inventory *inventory.Inventory
	Policy    *policy.Policy

	// Advisories is the advisory source the vulnerability match runs
	// against: the local index or a service's answers (nil: no advisories).
	Advisories advisory.Source
	// Index is the package-index client (JSON and Simple APIs), one for the
	// run so that what one check fetched is in the cache for the next.
	Index *pypi.Client
	// CacheDir is pyvet's cache directory: the popularity list
	// (typosquat.PopularityPath) lives there.
	CacheDir string
	// Attestations configures the PEP 740 provenance checks.
	Attestations Attestations
	// Offline: never use the network.
	Offline bool
	// Progress, when set, receives progress lines.
	Progress io.Writer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Attestations are the services the attestation check uses.
type Attestations struct {
	// Client fetches provenance from the index's integrity API.
	Client *pep740.Client
	// Root says where the Sigstore trusted root comes from.
	Root sigstore.RootOptions
}

// Clock returns in.Now, or time.Now when unset.
func (in *Input) Clock() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

// ErrorNotes turns the error of a check that ran partly into notes, one line
// per cause (the errors of the checks already name the check).
func ErrorNotes(err error) []string {
	if err == nil {
		return nil
	}
	var n finding.Notes
	n.AddError(err)
	return n.Lines()
}

// Registry is an ordered list of checks.
type Registry struct {
	mu     sync.RWMutex
	checks []Check
	names  map[string]bool
}

// Register adds c at the end of r, and declares its risks to the finding
// package and to the policy (a risk becomes a policy check name, with its
// documentation). A second check of the same name or a check without a name
// or mode is a programming error and panics.
func (r *Registry) Register(c Check) {
	info := c.Info()
	if info.Name == "" || info.Mode == 0 {
		panic(fmt.Sprintf("check.Register: %T has no name or no mode", c))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[info.Name] {
		panic("check.Register: check " + info.Name + " registered twice")
	}
	if r.names == nil {
		r.names = map[string]bool{}
	}
	r.names[info.Name] = true
	for _, ri := range info.Risks {
		finding.RegisterRisk(ri)
		policy.Register(policy.Spec{Name: string(ri.Risk), Doc: ri.Doc})
	}
	r.checks = append(r.checks, c)
}

// Checks returns the registered checks in order.
func (r *Registry) Checks() []Check {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]Check(nil), r.checks...)
}

// Lookup returns the check of that name.
func (r *Registry) Lookup(name string) (Check, bool) {
	for _, c := range r.Checks() {
		if c.Info().Name == name {
			return c, true
		}
	}
	return nil, false
}
