// Package all lists pyvet's risk checks: one line per check, in the order
// `pyvet audit` runs them. Adding a check is one package under
// internal/check (its register.go declares the check) and one line here.
package all

import (
	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/check/attest"
	"github.com/pyvet/pyvet/internal/check/cooldown"
	"github.com/pyvet/pyvet/internal/check/health"
	"github.com/pyvet/pyvet/internal/check/license"
	"github.com/pyvet/pyvet/internal/check/pinning"
	"github.com/pyvet/pyvet/internal/check/size"
	"github.com/pyvet/pyvet/internal/check/typosquat"
	"github.com/pyvet/pyvet/internal/check/vuln"
)

// constructors is the list of checks. The order matters: the advisory
// match first, and the name-confusion checks after health, whose release
// histories they then find in the index cache.
var constructors = []func() check.Check{
	vuln.New,
	cooldown.New,
	pinning.New,
	health.New,
	typosquat.New,
	typosquat.NewDependencyConfusion,
	license.New,
	size.New,
	attest.New,
}

// The risks the checks declare are known to the policy and the reports as
// soon as this package is linked.
func init() { Registry() }

// Registry returns a new registry of every check, in order.
func Registry() *check.Registry {
	var r check.Registry
	for _, c := range constructors {
		r.Register(c())
	}
	return &r
}
