package pep740

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// hostileWheel returns a wheel name whose three tag components have n
// compressed alternatives each (n*n*n tags when expanded), listed in
// reverse order when reverse is set.
func hostileWheel(n int, reverse bool) string {
	comp := func(prefix string) string {
		alts := make([]string, n)
		for i := range alts {
			alts[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		if reverse {
			slices.Reverse(alts)
		}
		return strings.Join(alts, ".")
	}
	return "name-1.0-" + comp("py") + "-" + comp("abi") + "-" + comp("plat") + ".whl"
}

// TestCompressedTagsLinear: 100 x 100 x 100 compressed tags (a million when
// expanded) compare in a bounded number of allocations, with the right
// answer for the same set in another order and for a set missing one tag.
func TestCompressedTagsLinear(t *testing.T) {
	a, b := hostileWheel(100, false), hostileWheel(100, true)
	if !SameDistribution(a, b) {
		t.Fatal("the same tag sets in another order do not match")
	}
	short := strings.Replace(b, "plat0.", "", 1)
	short = strings.Replace(short, ".plat0.whl", ".whl", 1)
	if SameDistribution(a, short) {
		t.Fatal("a tag set missing a platform matches")
	}
	allocs := testing.AllocsPerRun(5, func() { SameDistribution(a, b) })
	if allocs > 100 {
		t.Errorf("SameDistribution on 100x100x100 tags: %.0f allocations, want at most 100 (no expansion)", allocs)
	}
	// The statement check runs the same comparison on an attestation subject.
	st := &Statement{PredicateType: PredicatePublishV1, Subject: []Subject{{Name: b, Digest: map[string]string{"sha256": strings.Repeat("00", 32)}}}}
	if err := CheckStatement(st, a, make([]byte, 32)); err != nil {
		t.Errorf("hostile but matching subject: %v", err)
	}
	st.Subject[0].Name = short
	if err := CheckStatement(st, a, make([]byte, 32)); err == nil || len(err.Error()) > 400 {
		t.Errorf("mismatching subject: error %.200v (%d bytes)", err, len(fmt.Sprint(err)))
	}
}

func TestSameDistributionSets(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"a-1.0-py3.py3-none-any.whl", "a-1.0-py3-none-any.whl", true},
		{"a-1.0-py2.py3-none-any.whl", "a-1.0-py2-none-any.whl", false},
		{"a-1.0-py2.py3-none.abi3-any.whl", "a-1.0-py3.py2-abi3.none-any.whl", true},
		{"a-1.0-py2-none.abi3-any.whl", "a-1.0-py2.none-abi3-any.whl", false},
	} {
		if got := SameDistribution(c.a, c.b); got != c.same {
			t.Errorf("%s vs %s: %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

// expandedKey is the definition distKey must agree with: the set of
// expanded tags.
func expandedKey(file string) (string, bool) {
	if !strings.HasSuffix(file, ".whl") {
		return distKey(file)
	}
	parts := strings.Split(strings.TrimSuffix(file, ".whl"), "-")
	if len(parts) != 5 && len(parts) != 6 {
		return "", false
	}
	build := ""
	if len(parts) == 6 {
		build = parts[2]
	}
	n := len(parts)
	var tags []string
	for _, py := range strings.Split(parts[n-3], ".") {
		for _, abi := range strings.Split(parts[n-2], ".") {
			for _, plat := range strings.Split(parts[n-1], ".") {
				tags = append(tags, py+"\x00"+abi+"\x00"+plat)
			}
		}
	}
	slices.Sort(tags)
	return normName(parts[0]) + "|" + strings.ToLower(parts[1]) + "|" + build + "|" + strings.Join(slices.Compact(tags), ","), true
}

func FuzzSameDistribution(f *testing.F) {
	f.Add("a-1.0-py2.py3-none-any.whl", "a-1.0-py3.py2-none-any.whl")
	f.Add("x-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl")
	f.Add("a-1.0-1-py3-none-any.whl", "a-1.0.tar.gz")
	f.Add("a-1.0-py2-none.abi3-any.whl", "a-1.0-py2.none-abi3-any.whl")
	f.Fuzz(func(t *testing.T, a, b string) {
		got := SameDistribution(a, b)
		if got != SameDistribution(b, a) {
			t.Fatalf("not symmetric: %q %q", a, b)
		}
		if !SameDistribution(a, a) {
			t.Fatalf("not reflexive: %q", a)
		}
		if strings.Count(a, ".") > 30 || strings.Count(b, ".") > 30 {
			return // keep the expanded reference small
		}
		ka, oka := expandedKey(a)
		kb, okb := expandedKey(b)
		want := a == b || (oka && okb && ka == kb)
		if got != want {
			t.Fatalf("%q vs %q: %v, the expanded tag sets say %v", a, b, got, want)
		}
		_, _, _ = ProjectVersion(a)
	})
}

func BenchmarkSameDistributionHostile(b *testing.B) {
	x, y := hostileWheel(100, false), hostileWheel(100, true)
	b.ReportAllocs()
	for b.Loop() {
		SameDistribution(x, y)
	}
}
