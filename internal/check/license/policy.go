package license

import "github.com/pyvet/pyvet/internal/policy"

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
