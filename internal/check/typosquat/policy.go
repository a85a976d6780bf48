package typosquat

import "github.com/pyvet/pyvet/internal/policy"

// ConfigFromPolicy reads the [checks.typosquat] settings of pyvet.toml: allow
// (names never reported), targets, min-length, long-name, min-ratio and
// skip-popular. Unset keys keep DefaultConfig's values.
func ConfigFromPolicy(p *policy.Policy) Config {
	c := DefaultConfig()
	if p == nil {
		return c
	}
	t := p.Check("typosquat")
	c.Allow = append(c.Allow, t.Strings("allow")...)
	c.Targets = t.Int("targets", c.Targets)
	c.MinLength = t.Int("min-length", c.MinLength)
	c.LongName = t.Int("long-name", c.LongName)
	c.MinRatio = t.Float("min-ratio", c.MinRatio)
	c.SkipPopular = t.Int("skip-popular", c.SkipPopular)
	return c
}
