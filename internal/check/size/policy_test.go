package size

import (
	"testing"

	"github.com/pyvet/pyvet/internal/policy"
)

func TestConfigFromPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("[checks.size]\nmax-transitive = 10\ntiny-size = 0\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := ConfigFromPolicy(p)
	if c.MaxTransitive != 10 || c.TinySize != 0 || c.MaxDistSize != DefaultConfig().MaxDistSize {
		t.Errorf("config = %+v", c)
	}
}
