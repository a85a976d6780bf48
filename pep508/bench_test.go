package pep508

import "testing"

var benchRequirements = []string{
	"requests",
	"requests[security,socks] >=2.8.1, ==2.8.* ; python_version < \"3.13\"",
	"Django (>=4.2,<5.0)",
	"name @ git+https://github.com/o/r.git@v1.0 ; sys_platform == 'linux'",
	"typing-extensions>=4.0; python_version < '3.11' and platform_python_implementation == 'CPython' or extra == 'dev'",
}

func BenchmarkParseRequirement(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseRequirement(benchRequirements[i%len(benchRequirements)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMarker(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ParseMarker(`python_version >= "3.8" and (sys_platform == "linux" or extra == "dev")`); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	m, err := ParseMarker(`python_version >= "3.8" and (sys_platform == "linux" or extra == "dev")`)
	if err != nil {
		b.Fatal(err)
	}
	env := DefaultEnv("3.12", "linux")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if !m.Evaluate(env) {
			b.Fatal("false")
		}
	}
}
