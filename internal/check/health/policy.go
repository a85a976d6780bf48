package health

import "github.com/pyvet/pyvet/internal/policy"

// ConfigFromPolicy reads the health settings of pyvet.toml: the checks
// "outdated" (min-behind, age), "unmaintained" (after), "immature" (age,
// min-releases, zerover) and "yanked", each with "enabled". Durations accept
// "90d", "2w" or Go durations. Unset keys keep DefaultConfig's values.
func ConfigFromPolicy(p *policy.Policy) Config {
	c := DefaultConfig()
	if p == nil {
		return c
	}
	o, u, i := p.Check("outdated"), p.Check("unmaintained"), p.Check("immature")
	c.Outdated, c.Unmaintained, c.Immature, c.Yanked = o.Enabled, u.Enabled, i.Enabled, p.Enabled("yanked")
	c.OutdatedMinBehind = o.Int("min-behind", c.OutdatedMinBehind)
	c.OutdatedAge = o.Duration("age", c.OutdatedAge)
	c.UnmaintainedAfter = u.Duration("after", c.UnmaintainedAfter)
	c.ImmatureAge = i.Duration("age", c.ImmatureAge)
	c.ImmatureMinReleases = i.Int("min-releases", c.ImmatureMinReleases)
	c.ZeroVer = i.Bool("zerover", c.ZeroVer)
	return c
}
