package size

import "github.com/pyvet/pyvet/internal/policy"

// ConfigFromPolicy reads the [checks.size] settings of pyvet.toml:
// max-transitive, max-dist-size and tiny-size (bytes; 0 turns a check off).
// Unset keys keep DefaultConfig's values.
func ConfigFromPolicy(p *policy.Policy) Config {
	c := DefaultConfig()
	if p == nil {
		return c
	}
	s := p.Check("size")
	c.MaxTransitive = s.Int("max-transitive", c.MaxTransitive)
	c.MaxDistSize = int64(s.Int("max-dist-size", int(c.MaxDistSize)))
	c.TinySize = int64(s.Int("tiny-size", int(c.TinySize)))
	return c
}
