package vuln

import (
	"fmt"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
)

// BenchmarkHostile2GroupAliases shows the cost of one finding's alias list
// as the advisory's aliases grow (an OSV document of 4 MiB, the import
// limit, can hold 200,000 aliases).
func BenchmarkHostile2GroupAliases(b *testing.B) {
	for _, n := range []int{1_000, 4_000, 16_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h := &advisory.Hit{ID: "PYSEC-2099-1"}
			for i := range n {
				h.Aliases = append(h.Aliases, fmt.Sprintf("CVE-2099-%06d", i))
			}
			g := []*advisory.Hit{h, {ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"PYSEC-2099-1"}}}
			for b.Loop() {
				if got := groupAliases(g); len(got) != n+1 {
					b.Fatalf("%d aliases, want %d", len(got), n+1)
				}
			}
		})
	}
}

// An advisory with 200,000 aliases (4 MiB, within the import and service
// limits) makes one finding: its alias list is built in linear time. Built
// by comparing each id with every id kept before it, 100,000 aliases took
// 100 s of `pyvet audit` (measured), 200,000 about 7 minutes, from one
// advisory of a --db export or of a --service mirror's answer. The guard
// below is a hang guard (a linear build takes well under a second), not a
// measurement: BenchmarkHostile2GroupAliases gives the numbers.
func TestHostile2GroupAliasesLinear(t *testing.T) {
	h := &advisory.Hit{ID: "PYSEC-2099-1"}
	for i := range 200_000 {
		h.Aliases = append(h.Aliases, fmt.Sprintf("CVE-2099-%06d", i))
	}
	h.Aliases = append(h.Aliases, "cve-2099-000001", "PYSEC-2099-1")
	done := make(chan []string, 1)
	go func() { done <- groupAliases([]*advisory.Hit{h}) }()
	select {
	case got := <-done:
		if len(got) != 200_000 || got[0] != "CVE-2099-000000" {
			t.Errorf("%d aliases, first %q", len(got), got[0])
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("groupAliases of 200,000 aliases has not returned after 2 minutes")
	}
}
