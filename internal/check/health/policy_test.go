package health

import (
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/policy"
)

func TestConfigFromPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("[checks.outdated]\nmin-behind = 3\nage = \"2w\"\n[checks.yanked]\nenabled = false\n[checks.immature]\nmin-releases = 5\nzerover = false\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFromPolicy(p)
	if c.OutdatedMinBehind != 3 || c.OutdatedAge != 14*24*time.Hour || c.Yanked || !c.Outdated || c.ImmatureMinReleases != 5 || c.ZeroVer {
		t.Errorf("config = %+v", c)
	}
	if d := DefaultConfig(); c.UnmaintainedAfter != d.UnmaintainedAfter || c.ImmatureAge != d.ImmatureAge {
		t.Errorf("unset keys changed: %+v", c)
	}
}
