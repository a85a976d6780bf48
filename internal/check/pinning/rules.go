// Package pinning finds unapproved (mutable) changes from the inventory alone:
// requirements that are not pinned to one version, missing hashes, VCS
// references that can move, direct URLs without a hash, insecure or additional
// package indexes, trusted hosts, editable installs in production files, and
// lockfiles out of date with their project file. It is OWASP OSS risk 9.
package pinning

import "github.com/pyvet/pyvet/internal/finding"

// Rule describes one pinning rule.
type Rule struct {
	ID          string           // stable id, e.g. "pin-unpinned"
	Severity    finding.Severity // default severity
	Name        string           // short name
	Explanation string           // why it matters
	Action      string           // what to do
}

// Rule ids.
const (
	RuleUnpinned      = "pin-unpinned"
	RuleLoose         = "pin-loose"
	RuleHashMissing   = "pin-hash-missing"
	RuleHashMode      = "pin-hash-mode-unhashable"
	RuleVCSRef        = "pin-vcs-ref"
	RuleURLNoHash     = "pin-url-no-hash"
	RuleHTTPIndex     = "pin-insecure-url"
	RuleExtraIndex    = "pin-extra-index"
	RuleIndexNotAllow = "pin-index-not-allowed"
	RuleTrustedHost   = "pin-trusted-host"
	RuleEditable      = "pin-editable"
	RuleLockStale     = "pin-lock-stale"
)

// rules lists every rule, in the order the documentation shows them.
var rules = []Rule{
	{RuleUnpinned, finding.SeverityMedium, "unpinned requirement",
		"The requirement names no version, so every install takes whatever the index serves that day: a new release (or a hijacked one) reaches the build without review.",
		"Pin an exact version (name==X.Y.Z), ideally with --hash, or install from a lockfile."},
	{RuleLoose, finding.SeverityLow, "loosely pinned requirement",
		"The specifier allows more than one version, so what gets installed changes when new releases appear, without anyone approving the change.",
		"Pin an exact version (name==X.Y.Z) in the file you deploy from, or lock the project (uv lock, poetry lock, pdm lock, pip-compile)."},
	{RuleHashMissing, finding.SeverityHigh, "missing hash",
		"Other requirements in this file carry --hash, which puts pip in hash-checking mode: every requirement must then be pinned with == and hashed, or the whole install fails. A lockfile entry without a hash cannot be verified either.",
		"Regenerate the file with hashes for every requirement (pip-compile --generate-hashes, uv pip compile --generate-hashes, pip hash)."},
	{RuleHashMode, finding.SeverityHigh, "unhashable requirement in hash-checking mode",
		"pip's hash-checking mode cannot verify version-control checkouts, local directories or editable installs, so pip refuses to install this file.",
		"Replace the reference with a pinned, hashed release or a hashed archive URL, or move it to a file that is not hash-checked."},
	{RuleVCSRef, finding.SeverityMedium, "mutable VCS reference",
		"A branch or tag can be moved to other code at any time; only a full commit id names fixed content.",
		"Reference the full commit id (git+https://...@<40-hex-commit>), or depend on a released version."},
	{RuleURLNoHash, finding.SeverityMedium, "direct URL without hash",
		"The archive behind a URL can be replaced; without a hash nothing checks that the file is the one that was reviewed.",
		"Add the archive's hash (#sha256=... on the URL or --hash=sha256:...)."},
	{RuleHTTPIndex, finding.SeverityHigh, "plain-HTTP source",
		"Packages fetched over plain HTTP (or git://) can be replaced by anyone on the network path.",
		"Use the https:// URL of the index or repository."},
	{RuleExtraIndex, finding.SeverityHigh, "extra index (dependency confusion)",
		"pip treats --extra-index-url as equal to the main index and installs the highest version found on any of them, so anyone who registers an internal package name on the public index can take over the install.",
		"Use a single index that proxies the others (or --index-url alone), pin with hashes, or list the index under [indexes] allowed in pyvet.toml once reviewed."},
	{RuleIndexNotAllow, finding.SeverityMedium, "index not allowed by policy",
		"The package index is not in the policy's list of allowed indexes.",
		"Use an allowed index or add this one to [indexes] allowed in pyvet.toml."},
	{RuleTrustedHost, finding.SeverityMedium, "trusted host",
		"--trusted-host turns off TLS certificate checks for the host, so its packages can be replaced in transit.",
		"Remove --trusted-host and fix the host's certificate (or point pip at the right CA bundle with --cert)."},
	{RuleEditable, finding.SeverityMedium, "editable install in a production file",
		"An editable install runs whatever is in the directory or checkout at run time, not a reviewed, versioned build.",
		"Build and pin a versioned package for production; keep -e for development requirement files."},
	{RuleLockStale, finding.SeverityHigh, "lockfile out of date",
		"The lockfile's content hash does not match the project file: dependencies were changed without re-locking, so what is installed is not what the project declares.",
		"Re-lock (poetry lock, pipenv lock, pdm lock) and commit the result."},
}

var ruleByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(rules))
	for i := range rules {
		m[rules[i].ID] = &rules[i]
	}
	return m
}()

// Rules returns every pinning rule.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// LookupRule returns the rule with the given id.
func LookupRule(id string) (Rule, bool) {
	r, ok := ruleByID[id]
	if !ok {
		return Rule{}, false
	}
	return *r, true
}
