package pep440

import "testing"

var benchVersions = []string{
	"1.0", "2.31.0", "1!2.0.0rc1.post3.dev4+ubuntu.1", "v1.0-1", "0.9.8a", "2023.10.1", "1.2.3.4.5.6",
	"3.11.0b2", "20.0.0.dev0", "1.0+local.7",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(benchVersions[i%len(benchVersions)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	vs := make([]Version, len(benchVersions))
	for i, s := range benchVersions {
		vs[i] = MustParse(s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n += vs[i%len(vs)].Compare(vs[(i+3)%len(vs)])
	}
	_ = n
}

func benchContains(b *testing.B, spec string) {
	s := MustParseSpecifierSet(spec)
	vs := make([]Version, len(benchVersions))
	for i, str := range benchVersions {
		vs[i] = MustParse(str)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if s.Contains(vs[i%len(vs)]) {
			n++
		}
	}
	_ = n
}

func BenchmarkContainsRange(b *testing.B)    { benchContains(b, ">=1.0,<2.32.1,!=1.5") }
func BenchmarkContainsWildcard(b *testing.B) { benchContains(b, "==2.*,!=2.31.*") }
func BenchmarkContainsCompatible(b *testing.B) {
	benchContains(b, "~=2.31.0")
}
func BenchmarkContainsExclusive(b *testing.B) { benchContains(b, ">1.0,<3.11.0") }

func BenchmarkParseSpecifierSet(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ParseSpecifierSet(">=1.0, <2.32.1, !=1.5.*, ~=1.4"); err != nil {
			b.Fatal(err)
		}
	}
}
