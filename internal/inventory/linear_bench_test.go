package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// Generators of large, valid inputs of every format whose parsing must stay
// linear in the size of the input.

// pyprojectDeps is a pyproject.toml with n [project] dependencies.
func pyprojectDeps(n int) []byte {
	var b strings.Builder
	b.WriteString("[project]\nname = \"big\"\nversion = \"1\"\ndependencies = [\n")
	for i := range n {
		fmt.Fprintf(&b, "  \"pkg%d>=1.%d\",\n", i, i)
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

// poetryDeps is a pyproject.toml with n [tool.poetry.dependencies].
func poetryDeps(n int) []byte {
	var b strings.Builder
	b.WriteString("[tool.poetry]\nname = \"big\"\nversion = \"1\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\n")
	for i := range n {
		fmt.Fprintf(&b, "pkg%d = \"^1.%d\"\n", i, i)
	}
	return []byte(b.String())
}

// poetryLockPackages is a poetry.lock with n packages, each requiring the next.
func poetryLockPackages(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[package]]\nname = \"pkg%d\"\nversion = \"1.%d\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [\n    {file = \"pkg%d-1.%d.tar.gz\", hash = \"sha256:%064x\"},\n]\n", i, i, i, i, i)
		if i+1 < n {
			fmt.Fprintf(&b, "\n[package.dependencies]\npkg%d = \"*\"\n", i+1)
		}
		b.WriteString("\n")
	}
	b.WriteString("[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"00\"\n")
	return []byte(b.String())
}

// pipfileLockPackages is a Pipfile.lock with n default packages.
func pipfileLockPackages(n int) []byte {
	var b strings.Builder
	b.WriteString("{\n    \"_meta\": {\"sources\": [{\"name\": \"pypi\", \"url\": \"https://pypi.org/simple\", \"verify_ssl\": true}]},\n    \"default\": {\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "        \"pkg%d\": {\n            \"hashes\": [\"sha256:%064x\"],\n            \"index\": \"pypi\",\n            \"version\": \"==1.%d\"\n        }", i, i, i)
	}
	b.WriteString("\n    },\n    \"develop\": {}\n}\n")
	return []byte(b.String())
}

// pipfileLockArrays is a Pipfile.lock whose one package has n hashes and
// whose _meta lists n sources.
func pipfileLockArrays(n int) []byte {
	var b strings.Builder
	b.WriteString("{\"_meta\": {\"sources\": [")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "{\"name\": \"s%d\", \"url\": \"https://i%d.example/simple\"}", i, i)
	}
	b.WriteString("]}, \"default\": {\"a\": {\"version\": \"==1\", \"hashes\": [")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\"sha256:%x\"", i)
	}
	b.WriteString("]}}}\n")
	return []byte(b.String())
}

// linearCases are the inputs whose parsing must be linear, with the parser
// Load uses for each.
var linearCases = []struct {
	name  string
	gen   func(int) []byte
	parse func(string, []byte, Options) (*Inventory, error)
	file  string
	bench [2]int // the two sizes the benchmark runs
}{
	{"pyproject dependencies", pyprojectDeps, ParsePyproject, "pyproject.toml", [2]int{25000, 50000}},
	{"poetry dependencies", poetryDeps, ParsePyproject, "pyproject.toml", [2]int{25000, 50000}},
	{"poetry.lock packages", poetryLockPackages, ParsePoetryLock, "poetry.lock", [2]int{10000, 20000}},
	{"Pipfile.lock packages", pipfileLockPackages, ParsePipfileLock, "Pipfile.lock", [2]int{10000, 20000}},
	{"Pipfile.lock arrays", pipfileLockArrays, ParsePipfileLock, "Pipfile.lock", [2]int{50000, 100000}},
}

// BenchmarkLinearFormats parses every linearCases input at two sizes, the
// second twice the first: the time per byte must stay about the same.
func BenchmarkLinearFormats(b *testing.B) {
	for _, c := range linearCases {
		for _, n := range c.bench {
			data := c.gen(n)
			b.Run(fmt.Sprintf("%s/%d", strings.ReplaceAll(c.name, " ", "_"), n), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					inv, err := c.parse(c.file, data, Options{})
					if err != nil {
						b.Fatal(err)
					}
					Merge(inv)
				}
			})
		}
	}
}
