// Package policy turns findings into decisions. A policy says which checks run
// and with which thresholds, how severe each kind of finding is, which findings
// are accepted (ignores with a reason and an expiry), which licences and package
// indexes are allowed, which packages must be signed or attested, and at which
// severity a run fails.
//
// A policy is read from pyvet.toml, or from the [tool.pyvet] table of
// pyproject.toml; command-line flags override both, and built-in defaults fill
// the rest. Every value remembers where it came from so `pyvet policy show` can
// print it.
package policy

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/pep508"
)

// Origin of values that nobody set.
const originDefault = "default"

// Ignore accepts a finding: an advisory id (or one of its aliases) or a rule id,
// optionally only for one package, with a reason and an optional expiry.
type Ignore struct {
	ID      string    // advisory id, alias or rule id
	Package string    // PEP 503 normalized package name; "" matches every package
	Reason  string    // why the finding is accepted
	Expires time.Time // zero = never; a date without time means "through that day" (UTC)
	Origin  string    // where the ignore was declared, e.g. "pyvet.toml:12" or "--ignore-vuln"

	dateOnly bool
}

// Expired reports whether the ignore no longer applies at now.
func (ig Ignore) Expired(now time.Time) bool {
	if ig.Expires.IsZero() {
		return false
	}
	end := ig.Expires
	if ig.dateOnly {
		end = end.AddDate(0, 0, 1)
		return !now.Before(end)
	}
	return now.After(end)
}

// ExpiryString returns the expiry as written: a date, a timestamp, or "never".
func (ig Ignore) ExpiryString() string {
	switch {
	case ig.Expires.IsZero():
		return "never"
	case ig.dateOnly:
		return ig.Expires.Format(time.DateOnly)
	}
	return ig.Expires.Format(time.RFC3339)
}

// matches reports whether the ignore covers the finding (expiry aside).
func (ig Ignore) matches(f *finding.Finding) bool {
	if ig.Package != "" && ig.Package != f.Package {
		return false
	}
	id := strings.ToUpper(ig.ID)
	if id == "*" || id == strings.ToUpper(f.ID) || strings.EqualFold(ig.ID, f.Rule) || strings.EqualFold(ig.ID, string(f.Risk)) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.ToUpper(a) == id {
			return true
		}
	}
	return false
}

// CheckConfig is the configuration of one check: whether it runs and its
// settings, checked against the keys the check declares (see Spec) and stored
// as the Go type of their kind; the check reads them with the typed getters.
type CheckConfig struct {
	Enabled  bool
	Settings map[string]any
}

// Int returns the integer setting key, or def when it is absent or not a number.
func (c CheckConfig) Int(key string, def int) int {
	switch v := c.Settings[key].(type) {
	case int64:
		return int(v)
	case int:
		return v
	case float64:
		return int(v)
	}
	return def
}

// Float returns the number setting key, or def when it is absent or not a number.
func (c CheckConfig) Float(key string, def float64) float64 {
	switch v := c.Settings[key].(type) {
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case float64:
		return v
	}
	return def
}

// String returns the string setting key, or def when it is absent or not a string.
func (c CheckConfig) String(key, def string) string {
	if v, ok := c.Settings[key].(string); ok {
		return v
	}
	return def
}

// Bool returns the boolean setting key, or def when it is absent or not a boolean.
func (c CheckConfig) Bool(key string, def bool) bool {
	if v, ok := c.Settings[key].(bool); ok {
		return v
	}
	return def
}

// Strings returns the string-list setting key (a single string counts as a
// one-element list), or nil.
func (c CheckConfig) Strings(key string) []string {
	switch v := c.Settings[key].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Duration returns the duration setting key ("90d", "2w", "36h" or a Go
// duration), or def when it is absent or malformed.
func (c CheckConfig) Duration(key string, def time.Duration) time.Duration {
	if d, ok := c.Settings[key].(time.Duration); ok {
		return d
	}
	s, ok := c.Settings[key].(string)
	if !ok {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		return def
	}
	return d
}

// ParseDuration parses a duration with day ("d") and week ("w") units as well
// as Go's units, e.g. "90d", "2w", "36h".
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n := len(t); n > 1 && (t[n-1] == 'd' || t[n-1] == 'w') {
		var v float64
		if _, err := fmt.Sscanf(t[:n-1], "%g", &v); err != nil || v < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := 24 * time.Hour
		if t[n-1] == 'w' {
			unit *= 7
		}
		return time.Duration(v * float64(unit)), nil
	}
	return time.ParseDuration(t)
}

// LicensePolicy lists SPDX licence identifiers that are allowed or denied.
// An empty allow list allows every licence not denied.
type LicensePolicy struct {
	Allow []string
	Deny  []string
}

// IndexPolicy lists the package indexes a project may use. An empty list
// allows only the default index (PyPI).
type IndexPolicy struct {
	Allowed []string
}

// VerifyPolicy names packages that must carry a Sigstore signature or a PEP 740
// attestation. "*" names every package.
type VerifyPolicy struct {
	RequireSignatures   []string
	RequireAttestations []string
}

// Policy is the effective policy of a run.
type Policy struct {
	FailOn   finding.Severity            // findings at or above fail the run
	Ignores  []Ignore                    // accepted findings
	Checks   map[string]CheckConfig      // by check name (a risk name or a rule id)
	Severity map[string]finding.Severity // severity overrides by rule id or risk name
	Licenses LicensePolicy
	Indexes  IndexPolicy
	Verify   VerifyPolicy

	origins map[string]string // key → where its value came from
	ran     map[string]bool   // checks that ran (MarkRun), beyond the vulnerability match

	// Files are the policy files read, in the order applied.
	Files []string
}

// DefaultFailOn is the gate when no policy sets one: every rated finding from
// low up (and every finding of unknown severity) fails the run.
const DefaultFailOn = finding.SeverityLow

// DefaultIndex is the only index allowed when the policy lists none.
const DefaultIndex = "https://pypi.org/simple"

// Default returns the built-in policy: every check enabled with its own
// defaults, fail on low and above, nothing ignored.
func Default() *Policy {
	return &Policy{
		FailOn:   DefaultFailOn,
		Checks:   map[string]CheckConfig{},
		Severity: map[string]finding.Severity{},
		origins:  map[string]string{},
	}
}

// Check returns the configuration of the named check (enabled, no settings,
// when the policy does not mention it).
func (p *Policy) Check(name string) CheckConfig {
	if c, ok := p.Checks[normKey(name)]; ok {
		return c
	}
	return CheckConfig{Enabled: true}
}

// Enabled reports whether the named check runs.
func (p *Policy) Enabled(name string) bool { return p.Check(name).Enabled }

// Origin returns where the value of key came from ("default" when nobody set it).
// Keys are dotted paths as in the file: "fail-on", "checks.typosquat.enabled".
func (p *Policy) Origin(key string) string {
	if o, ok := p.origins[key]; ok {
		return o
	}
	return originDefault
}

func (p *Policy) setOrigin(key, origin string) {
	if p.origins == nil {
		p.origins = map[string]string{}
	}
	p.origins[key] = origin
}

// SetFailOn sets the gate, recording origin (e.g. "--fail-on").
func (p *Policy) SetFailOn(s finding.Severity, origin string) {
	p.FailOn = s
	p.setOrigin("fail-on", origin)
}

// AddIgnore adds an ignore, e.g. from --ignore-vuln; its Origin is set to origin
// when empty.
func (p *Policy) AddIgnore(ig Ignore, origin string) {
	if ig.Origin == "" {
		ig.Origin = origin
	}
	if ig.Package != "" {
		ig.Package = pep508.NormalizeName(strings.TrimSpace(ig.Package))
	}
	p.Ignores = append(p.Ignores, ig)
}

// SetCheck enables or disables a check, recording origin.
func (p *Policy) SetCheck(name string, enabled bool, origin string) {
	if p.Checks == nil {
		p.Checks = map[string]CheckConfig{}
	}
	name = normKey(name)
	c := p.Check(name)
	c.Enabled = enabled
	p.Checks[name] = c
	p.setOrigin("checks."+name+".enabled", origin)
}

// IndexAllowed reports whether url is an index the policy allows. Trailing
// slashes and case of the host do not matter; PyPI is always allowed.
func (p *Policy) IndexAllowed(url string) bool {
	u := canonicalIndex(url)
	if u == canonicalIndex(DefaultIndex) || u == "https://pypi.python.org/simple" {
		return true
	}
	for _, a := range p.Indexes.Allowed {
		if canonicalIndex(a) == u {
			return true
		}
	}
	return false
}

func canonicalIndex(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		host, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(host, "@"); at >= 0 { // drop credentials
			host = host[at+1:]
		}
		u = strings.ToLower(u[:i]) + "://" + strings.ToLower(host)
		if path != "" {
			u += "/" + path
		}
	}
	return u
}

// RequiresSignature reports whether the policy requires a Sigstore signature for pkg.
func (p *Policy) RequiresSignature(pkg string) bool {
	return listHas(p.Verify.RequireSignatures, pkg)
}

// RequiresAttestation reports whether the policy requires a PEP 740 attestation for pkg.
func (p *Policy) RequiresAttestation(pkg string) bool {
	return listHas(p.Verify.RequireAttestations, pkg)
}

func listHas(list []string, pkg string) bool {
	n := pep508.NormalizeName(pkg)
	for _, e := range list {
		if e == "*" || pep508.NormalizeName(strings.TrimSpace(e)) == n {
			return true
		}
	}
	return false
}

// disabled reports whether the policy turns off the rule, the risk or the
// check (the one declaring the rule) of a finding.
func (p *Policy) disabled(f *finding.Finding) bool {
	names := []string{f.Rule, string(f.Risk)}
	if owner, ok := owningCheck(f.Rule); ok {
		names = append(names, owner)
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		if c, ok := p.Checks[normKey(n)]; ok && !c.Enabled {
			return true
		}
	}
	return false
}

// MarkRun records that the named checks ran in this run, so that Apply can
// tell an ignore of one of their rules that matched nothing. The match
// against advisories (checks vulnerability and malicious) always counts as
// run.
func (p *Policy) MarkRun(checks ...string) {
	if p.ran == nil {
		p.ran = map[string]bool{}
	}
	for _, c := range checks {
		if owner, ok := owningCheck(c); ok {
			p.ran[owner] = true
		}
	}
}

// covers reports whether the findings an ignore of id could match were
// looked for in this run: advisory ids always, rule ids and check names when
// their check ran.
func (p *Policy) covers(id string) bool {
	if id == "*" {
		return true
	}
	owner, ok := owningCheck(id)
	if !ok || owner == string(finding.RiskVulnerability) || owner == string(finding.RiskMalicious) {
		return true // an advisory id or alias
	}
	return p.ran[owner]
}

// Apply applies the policy to findings: drops findings of disabled checks,
// applies severity overrides (a rule id wins over a risk name), and marks
// findings an unexpired ignore covers as Ignored. It returns the findings,
// sorted, and notes for the user, e.g. about expired ignores. It works in
// place: the findings returned are in fs's array, which the caller no
// longer uses.
func (p *Policy) Apply(fs []finding.Finding, now time.Time) ([]finding.Finding, []string) {
	out := fs[:0] // in place: the findings are not copied
	expiredUsed := map[int]bool{}
	matched := map[int]bool{}
	for _, f := range fs {
		if p.disabled(&f) {
			continue
		}
		if s, ok := p.Severity[f.Rule]; ok && f.Risk != finding.RiskMalicious {
			f.Severity = s
		} else if s, ok := p.Severity[string(f.Risk)]; ok && f.Risk != finding.RiskMalicious {
			f.Severity = s
		}
		for i, ig := range p.Ignores {
			if !ig.matches(&f) {
				continue
			}
			matched[i] = true
			if ig.Expired(now) {
				expiredUsed[i] = true
				continue
			}
			f.Ignored = true
			f.IgnoreReason = ig.Reason
			if f.IgnoreReason == "" {
				f.IgnoreReason = "ignored by " + ig.Origin
			}
			break
		}
		out = append(out, f)
	}
	var notes []string
	for i, ig := range p.Ignores {
		if !ig.Expired(now) {
			continue
		}
		what := ig.describe()
		n := fmt.Sprintf("ignore for %s expired on %s (%s); it no longer applies", what, ig.ExpiryString(), ig.Origin)
		if expiredUsed[i] {
			n += " and the finding is reported again"
		}
		notes = append(notes, n)
	}
	for i, ig := range p.Ignores {
		if matched[i] || ig.Expired(now) || !p.covers(ig.ID) {
			continue
		}
		notes = append(notes, fmt.Sprintf("ignore for %s (%s) matched no finding; remove it or check the id", ig.describe(), ig.Origin))
	}
	finding.Sort(out)
	return out, notes
}

// describe names what an ignore accepts: "ID" or "ID in package".
func (ig Ignore) describe() string {
	what := finding.Clip(ig.ID, 80)
	if ig.Package != "" {
		what += " in " + finding.Clip(ig.Package, 80)
	}
	return what
}

// Fails reports whether one finding fails the run under this policy.
func (p *Policy) Fails(f *finding.Finding) bool {
	return !f.Ignored && f.Severity.Rank() >= p.FailOn
}

// ExitCode returns 1 when any finding that is not ignored is at or above
// fail-on, else 0. A finding of unknown severity counts as medium.
func (p *Policy) ExitCode(fs []finding.Finding) int {
	for i := range fs {
		if p.Fails(&fs[i]) {
			return 1
		}
	}
	return 0
}

// Entry is one value of the effective policy, for display.
type Entry struct {
	Key     string `json:"key"`               // dotted key as in pyvet.toml
	Value   string `json:"value"`             // the effective value, TOML-like
	Default string `json:"default,omitempty"` // the built-in value, for check settings
	Origin  string `json:"origin"`            // where it came from: "default", "pyvet.toml:3", "--fail-on", ...
	Doc     string `json:"doc,omitempty"`     // what the setting does, for check settings
}

// Entries lists the effective policy, one entry per value, in a stable order.
func (p *Policy) Entries() []Entry {
	var es []Entry
	add := func(key, value string) {
		es = append(es, Entry{Key: key, Value: value, Origin: p.Origin(key)})
	}
	add("fail-on", quote(p.FailOn.String()))
	// Every declared check with every setting, set or not.
	declared := map[string]bool{}
	for _, spec := range Specs() {
		declared[spec.Name] = true
		c := p.Check(spec.Name)
		es = append(es, Entry{Key: "checks." + spec.Name + ".enabled", Value: fmt.Sprint(c.Enabled), Default: "true",
			Origin: p.Origin("checks." + spec.Name + ".enabled"), Doc: spec.Doc})
		for _, k := range spec.Keys {
			v, set := c.Settings[k.Name]
			if !set {
				v = k.Default
			}
			key := "checks." + spec.Name + "." + k.Name
			es = append(es, Entry{Key: key, Value: formatSetting(v), Default: formatSetting(k.Default), Origin: p.Origin(key), Doc: k.Doc})
		}
	}
	// Rules turned on or off by id, and anything else set but not declared.
	names := make([]string, 0, len(p.Checks))
	for n := range p.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if declared[n] {
			continue
		}
		c := p.Checks[n]
		add("checks."+n+".enabled", fmt.Sprint(c.Enabled))
		keys := make([]string, 0, len(c.Settings))
		for k := range c.Settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add("checks."+n+"."+k, formatSetting(c.Settings[k]))
		}
	}
	sevs := make([]string, 0, len(p.Severity))
	for k := range p.Severity {
		sevs = append(sevs, k)
	}
	sort.Strings(sevs)
	for _, k := range sevs {
		add("severity."+k, quote(p.Severity[k].String()))
	}
	add("licenses.allow", formatList(p.Licenses.Allow))
	add("licenses.deny", formatList(p.Licenses.Deny))
	add("indexes.allowed", formatList(p.Indexes.Allowed))
	add("verify.require-signatures", formatList(p.Verify.RequireSignatures))
	add("verify.require-attestations", formatList(p.Verify.RequireAttestations))
	if len(p.Ignores) == 0 {
		add("ignore", "[]")
	}
	for _, ig := range p.Ignores {
		v := fmt.Sprintf("{ id = %s", quote(ig.ID))
		if ig.Package != "" {
			v += ", package = " + quote(ig.Package)
		}
		v += ", reason = " + quote(ig.Reason)
		if !ig.Expires.IsZero() {
			v += ", expires = " + ig.ExpiryString()
		}
		v += " }"
		es = append(es, Entry{Key: "ignore", Value: v, Origin: ig.Origin})
	}
	return es
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func formatList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func formatValue(v any) string {
	switch t := v.(type) {
	case string:
		return quote(t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = formatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		return formatList(t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " = " + formatValue(t[k])
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v)
}

// Flags are the policy settings a command line can give; they override every
// policy file.
type Flags struct {
	File    string   // --policy: read this file instead of looking in the project directory
	FailOn  string   // --fail-on
	Ignore  []string // --ignore-vuln / --ignore: ids (advisory, alias or rule), "ID" or "ID:package"
	Disable []string // --disable: check names
	Enable  []string // --enable: check names
}

// Resolve returns the effective policy for the project in dir: defaults, then
// the policy files (fl.File, or Load(dir)), then the flags.
func (fl Flags) Resolve(dir string) (*Policy, error) {
	var p *Policy
	var err error
	if fl.File != "" {
		p, err = LoadFile(fl.File)
	} else {
		p, err = Load(dir)
	}
	if err != nil {
		return nil, err
	}
	if fl.FailOn != "" {
		s, err := finding.ParseSeverity(fl.FailOn)
		if err != nil {
			return nil, fmt.Errorf("--fail-on: %v", err)
		}
		p.SetFailOn(s, "--fail-on")
	}
	for _, id := range fl.Ignore {
		id = strings.TrimSpace(id)
		if id == "" {
			return nil, fmt.Errorf("--ignore-vuln: empty id")
		}
		ig := Ignore{ID: id, Reason: "ignored on the command line"}
		if i := strings.LastIndex(id, ":"); i >= 0 {
			ig.ID, ig.Package = strings.TrimSpace(id[:i]), strings.TrimSpace(id[i+1:])
			if ig.ID == "" || ig.Package == "" {
				return nil, fmt.Errorf("--ignore-vuln %s: want ID or ID:package", finding.Clip(id, 80))
			}
		}
		p.AddIgnore(ig, "--ignore-vuln")
	}
	for _, set := range []struct {
		flag  string
		names []string
		on    bool
	}{{"--disable", fl.Disable, false}, {"--enable", fl.Enable, true}} {
		for _, list := range set.names {
			for _, c := range strings.Split(list, ",") {
				c = strings.TrimSpace(c)
				if !Known(c) {
					return nil, fmt.Errorf("%s: %s", set.flag, unknownName("check or rule", finding.Clip(c, 60)))
				}
				p.SetCheck(c, set.on, set.flag)
			}
		}
	}
	return p, nil
}

// Show writes the effective policy, one value per line with its origin.
func (p *Policy) Show(w io.Writer) error { return WriteEntries(w, p.Entries()) }

// WriteEntries writes policy entries as `pyvet policy show` prints them: one
// value per line, aligned, with its origin (and the default when the value
// is not it).
func WriteEntries(w io.Writer, es []Entry) error {
	width := 0
	for _, e := range es {
		if n := len(e.Key) + 3 + len(e.Value); n > width && n < 70 {
			width = n
		}
	}
	var b strings.Builder
	for _, e := range es {
		line := e.Key + " = " + e.Value
		pad := width - len(line)
		if pad < 0 {
			pad = 0
		}
		origin := e.Origin
		if e.Default != "" && origin != originDefault && e.Default != e.Value {
			origin += " (default " + e.Default + ")"
		}
		fmt.Fprintf(&b, "%s%s# %s\n", line, strings.Repeat(" ", pad+2), origin)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LicenseAllowed judges one SPDX licence identifier against [licenses]: a
// denied identifier is refused, and when an allow list is set, so is every
// identifier not on it. Matching ignores case. reason says why it was refused.
// Compound expressions (MIT OR Apache-2.0) are for the caller to split.
func (p *Policy) LicenseAllowed(id string) (ok bool, reason string) {
	id = strings.TrimSpace(id)
	for _, d := range p.Licenses.Deny {
		if strings.EqualFold(d, id) {
			return false, fmt.Sprintf("%s is on the policy's deny list (%s)", id, p.Origin("licenses.deny"))
		}
	}
	if len(p.Licenses.Allow) == 0 {
		return true, ""
	}
	for _, a := range p.Licenses.Allow {
		if strings.EqualFold(a, id) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("%s is not on the policy's allow list (%s)", id, p.Origin("licenses.allow"))
}
