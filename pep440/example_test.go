package pep440_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pyvet/pyvet/pep440"
)

func ExampleParse() {
	v, err := pep440.Parse("1.0RC1.post2")
	if err != nil {
		panic(err)
	}
	fmt.Println(v, v.IsPrerelease(), v.IsPostrelease())
	// Output: 1.0rc1.post2 true true
}

func ExampleVersion_Canonical() {
	// Versions PEP 440 calls equal share one key, so it can index a map.
	for _, s := range []string{"1", "1.0", "1.0.0", "v1.0.0+local"} {
		fmt.Println(pep440.MustParse(s).Canonical())
	}
	// Output:
	// 1
	// 1
	// 1
	// 1+local
}

func ExampleSort() {
	vs := []pep440.Version{
		pep440.MustParse("1.0"), pep440.MustParse("1.0rc1"),
		pep440.MustParse("1.0.post1"), pep440.MustParse("1.0.dev3"), pep440.MustParse("0.9"),
	}
	pep440.Sort(vs)
	fmt.Println(vs)
	fmt.Println(pep440.Max(vs))
	// Output:
	// [0.9 1.0.dev3 1.0rc1 1.0 1.0.post1]
	// 1.0.post1
}

func ExampleSpecifierSet_Contains() {
	s, err := pep440.ParseSpecifierSet(">=2.0,<3,!=2.5.*")
	if err != nil {
		panic(err)
	}
	for _, v := range []string{"1.9", "2.4.1", "2.5.3", "3.0rc1"} {
		fmt.Println(v, s.Contains(pep440.MustParse(v)))
	}
	// Pre-releases are excluded unless asked for, as pip does.
	fmt.Println(s.ContainsPrereleases(pep440.MustParse("2.6rc1"), true))
	// Output:
	// 1.9 false
	// 2.4.1 true
	// 2.5.3 false
	// 3.0rc1 false
	// true
}

func ExampleVersion_BumpRelease() {
	// The epoch is kept, and numbers of any size stay exact.
	fmt.Println(pep440.MustParse("1!2.3.4").BumpRelease(0))
	fmt.Println(pep440.MustParse("0.99999999999999999999").BumpRelease(1))
	// Output:
	// 1!3.0.0
	// 0.100000000000000000000
}

func ExampleVersion_MarshalText() {
	doc := struct {
		Version pep440.Version      `json:"version"`
		Allowed pep440.SpecifierSet `json:"allowed"`
	}{pep440.MustParse("2.0.0"), pep440.MustParseSpecifierSet(">=1.5, <3")}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		panic(err)
	}
	var back struct {
		Allowed pep440.SpecifierSet `json:"allowed"`
	}
	if err := json.Unmarshal([]byte(`{"allowed":">=1.5,<3"}`), &back); err != nil {
		panic(err)
	}
	fmt.Println(back.Allowed.Contains(doc.Version))
	// Output:
	// {"version":"2.0.0","allowed":"<3,>=1.5"}
	// true
}
