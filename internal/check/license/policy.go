package license

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// The license check's rules and settings in pyvet.toml; the allow and deny
// lists are the policy's [licenses] table. Defaults are DefaultConfig's.
func init() {
	d := DefaultConfig()
	policy.Register(policy.Spec{Name: string(finding.RiskLicense),
		Rules: []string{"license-denied", "license-unknown", "license-not-allowed", "license-copyleft", "license-proprietary", "license-metadata"},
		Keys: []policy.Key{
			{Name: "unknown", Kind: policy.KindBool, Default: d.Unknown, Doc: "report packages whose license cannot be determined"},
			{Name: "copyleft", Kind: policy.KindBool, Default: d.Copyleft, Doc: "report strong-copyleft and proprietary licenses"},
		}})
}

// ConfigFromPolicy reads the [licenses] allow and deny lists of pyvet.toml and
// the [checks.license] settings "unknown" and "copyleft" (booleans). Unset
// keys keep DefaultConfig's values.
func ConfigFromPolicy(p *policy.Policy) Config {
	c := DefaultConfig()
	if p == nil {
		return c
	}
	c.Allow = append(c.Allow, p.Licenses.Allow...)
	c.Deny = append(c.Deny, p.Licenses.Deny...)
	l := p.Check("license")
	c.Unknown = l.Bool("unknown", c.Unknown)
	c.Copyleft = l.Bool("copyleft", c.Copyleft)
	return c
}
