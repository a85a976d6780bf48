package typosquat

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// The name-confusion checks and their settings in pyvet.toml. Defaults are
// DefaultConfig's.
func init() {
	d := DefaultConfig()
	policy.Register(policy.Spec{Name: string(finding.RiskNameConfusion)})
	policy.Register(policy.Spec{Name: "typosquat", Doc: "names one typing mistake away from a popular package", Rules: []string{"typosquat"}, Keys: []policy.Key{
		{Name: "allow", Kind: policy.KindStrings, Default: []string{}, Doc: "names never reported"},
		{Name: "targets", Kind: policy.KindInt, Default: d.Targets, Validate: policy.AtLeast(0), Doc: "how many of the most popular names are compared against (0: all)"},
		{Name: "min-length", Kind: policy.KindInt, Default: d.MinLength, Validate: policy.AtLeast(0), Doc: "shortest name compared by edit distance"},
		{Name: "long-name", Kind: policy.KindInt, Default: d.LongName, Validate: policy.AtLeast(0), Doc: "length from which two edits (not just one) are a match"},
		{Name: "min-ratio", Kind: policy.KindFloat, Default: d.MinRatio, Validate: policy.AtLeast(0), Doc: "the popular name must have this many times the downloads"},
		{Name: "skip-popular", Kind: policy.KindInt, Default: d.SkipPopular, Validate: policy.AtLeast(0), Doc: "names themselves within this popularity rank are not reported (0: never skip)"},
		{Name: "established-age", Kind: policy.KindDuration, Default: d.EstablishedAge, Doc: "a project first uploaded this long ago (with established-releases releases) is never reported (0: off)"},
		{Name: "established-releases", Kind: policy.KindInt, Default: d.EstablishedReleases, Validate: policy.AtLeast(0), Doc: "releases an established project has at least"},
		{Name: "unverified-top", Kind: policy.KindInt, Default: d.UnverifiedTop, Validate: policy.AtLeast(0), Doc: "without index data, a name one edit from one of this many most popular names is at most medium"},
		{Name: "unverified-targets", Kind: policy.KindInt, Default: d.UnverifiedTargets, Validate: policy.AtLeast(0), Doc: "without index data, a name close to one of this many most popular names is low; others are not reported"},
	}})
	policy.Register(policy.Spec{Name: "dependency-confusion", Doc: "internal names that are also on a public index", Rules: []string{"dependency-confusion"}})
}

// ConfigFromPolicy reads the [checks.typosquat] settings of pyvet.toml: allow
// (names never reported), targets, min-length, long-name, min-ratio,
// skip-popular, established-age, established-releases, unverified-top and
// unverified-targets. Unset keys keep DefaultConfig's values.
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
	c.EstablishedAge = t.Duration("established-age", c.EstablishedAge)
	c.EstablishedReleases = t.Int("established-releases", c.EstablishedReleases)
	c.UnverifiedTop = t.Int("unverified-top", c.UnverifiedTop)
	c.UnverifiedTargets = t.Int("unverified-targets", c.UnverifiedTargets)
	return c
}
