package typosquat

import (
	"testing"

	"github.com/pyvet/pyvet/internal/policy"
)

func TestConfigFromPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("[checks.typosquat]\nallow = [\"reqests\"]\nmin-ratio = 10\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFromPolicy(p)
	if len(c.Allow) != 1 || c.Allow[0] != "reqests" || c.MinRatio != 10 || c.MinLength != DefaultConfig().MinLength {
		t.Errorf("config = %+v", c)
	}
}
