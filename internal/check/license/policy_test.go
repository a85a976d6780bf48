package license

import (
	"testing"

	"github.com/pyvet/pyvet/internal/policy"
)

func TestConfigFromPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\ndeny = [\"AGPL-3.0-only\"]\n[checks.license]\ncopyleft = false\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFromPolicy(p)
	if len(c.Allow) != 2 || len(c.Deny) != 1 || c.Copyleft || !c.Unknown {
		t.Errorf("config = %+v", c)
	}
}
