package cooldown

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// CheckName is the check's name, its rule id and its policy section
// ([checks.cooldown]).
const CheckName = "cooldown"

// The cooldown check and its setting in pyvet.toml; the default is
// DefaultConfig's.
func init() {
	policy.Register(policy.Spec{Name: CheckName, Doc: "versions uploaded fewer than `days` days ago (risk 2)", Rules: []string{CheckName}, Keys: []policy.Key{
		{Name: "days", Kind: policy.KindInt, Default: DefaultConfig().Days, Validate: policy.AtLeast(0), Doc: "a version uploaded fewer than this many days ago is reported (0: off)"},
	}})
}

// ConfigFromPolicy reads [checks.cooldown] of pyvet.toml: enabled and days.
// Unset keys keep DefaultConfig's values. Turning off the risk the findings
// are filed under (compromise) turns the check off too, as the policy would
// drop its findings.
func ConfigFromPolicy(p *policy.Policy) Config {
	c := DefaultConfig()
	if p == nil {
		return c
	}
	s := p.Check(CheckName)
	c.Days = s.Int("days", c.Days)
	if !s.Enabled || !p.Enabled(string(finding.RiskCompromise)) {
		c.Days = 0
	}
	return c
}
