package size

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// The size check's rules and settings in pyvet.toml. Defaults are
// DefaultConfig's.
func init() {
	d := DefaultConfig()
	policy.Register(policy.Spec{Name: string(finding.RiskSize), Rules: []string{"size-heavy", "size-large", "size-trivial"}, Keys: []policy.Key{
		{Name: "max-transitive", Kind: policy.KindInt, Default: d.MaxTransitive, Validate: policy.AtLeast(0), Doc: "a direct dependency pulling in more packages is heavy (0: off)"},
		{Name: "max-dist-size", Kind: policy.KindInt, Default: int(d.MaxDistSize), Validate: policy.AtLeast(0), Doc: "a distribution file larger than this many bytes is large (0: off)"},
		{Name: "tiny-size", Kind: policy.KindInt, Default: int(d.TinySize), Validate: policy.AtLeast(0), Doc: "a distribution smaller than this many bytes is trivial (0: off)"},
	}})
}

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
