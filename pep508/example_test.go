package pep508_test

import (
	"fmt"

	"github.com/pyvet/pyvet/pep508"
)

func ExampleParseRequirement() {
	r, err := pep508.ParseRequirement(`Requests[security,socks] >=2.8.1, ==2.8.* ; python_version < "3.13"`)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Name, r.Extras, r.Specifier)
	fmt.Println(pep508.NormalizeName(r.Name))
	fmt.Println(r.Marker.Evaluate(pep508.DefaultEnv("3.12", "linux")))
	fmt.Println(r.Marker.Evaluate(pep508.DefaultEnv("3.13", "linux")))
	// Output:
	// Requests [security socks] ==2.8.*,>=2.8.1
	// requests
	// true
	// false
}

func ExampleParseMarker() {
	m, err := pep508.ParseMarker(`sys_platform == "win32" or (extra == "Dev_Tools" and python_version >= "3.10")`)
	if err != nil {
		panic(err)
	}
	env := pep508.DefaultEnv("3.11", "linux")
	fmt.Println(m.Evaluate(env))
	env["extra"] = "dev-tools" // extras compare by their normalised name
	fmt.Println(m.Evaluate(env))
	// Output:
	// false
	// true
}

func ExampleNormalizeName() {
	fmt.Println(pep508.NormalizeName("Zope.Interface"), pep508.NormalizeName("ruamel_yaml"))
	// Output: zope-interface ruamel-yaml
}
