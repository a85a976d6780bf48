package health

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// The health checks and their settings in pyvet.toml. The defaults are
// DefaultConfig's, so the file and the code cannot disagree.
func init() {
	d := DefaultConfig()
	policy.Register(policy.Spec{Name: string(finding.RiskOutdated), Rules: []string{"outdated", "outdated-range"}, Keys: []policy.Key{
		{Name: "min-behind", Kind: policy.KindInt, Default: d.OutdatedMinBehind, Validate: policy.AtLeast(1), Doc: "newer releases that make a pin outdated"},
		{Name: "age", Kind: policy.KindDuration, Default: d.OutdatedAge, Doc: "an outdated pin this much older than the latest release is medium severity"},
	}})
	policy.Register(policy.Spec{Name: "yanked", Doc: "pins of yanked releases", Rules: []string{"yanked"}})
	policy.Register(policy.Spec{Name: string(finding.RiskUntracked), Rules: []string{"version-missing"}})
	policy.Register(policy.Spec{Name: string(finding.RiskUnmaintained), Rules: []string{"unmaintained-inactive", "unmaintained-deprecated", "unmaintained-stale"}, Keys: []policy.Key{
		{Name: "after", Kind: policy.KindDuration, Default: d.UnmaintainedAfter, Doc: "time since the last release after which a project is unmaintained (twice as long: higher severity)"},
	}})
	policy.Register(policy.Spec{Name: string(finding.RiskImmature), Rules: []string{"immature-new", "immature-few-releases", "immature-prerelease", "immature-zerover"}, Keys: []policy.Key{
		{Name: "age", Kind: policy.KindDuration, Default: d.ImmatureAge, Doc: "a project whose first release is younger is immature"},
		{Name: "min-releases", Kind: policy.KindInt, Default: d.ImmatureMinReleases, Validate: policy.AtLeast(0), Doc: "a project with fewer releases is immature"},
		{Name: "zerover", Kind: policy.KindBool, Default: d.ZeroVer, Doc: "report pins of 0.x versions (as info)"},
	}})
}

// ConfigFromPolicy reads the health settings of pyvet.toml: the checks
// "outdated" (min-behind, age), "unmaintained" (after), "immature" (age,
// min-releases, zerover) and "yanked", each with "enabled". Unset keys keep
// DefaultConfig's values.
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
