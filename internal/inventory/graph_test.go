package inventory

import (
	"reflect"
	"testing"
)

func TestPathFromDirect(t *testing.T) {
	pkgs := []*Package{
		{Name: "app", Direct: true},
		{Name: "web", Direct: true},
		{Name: "mid", Parents: []string{"app"}},
		{Name: "deep", Parents: []string{"mid", "web"}},
		{Name: "leaf", Parents: []string{"deep"}},
		{Name: "orphan", Parents: []string{"ghost"}},
		{Name: "loop-a", Parents: []string{"loop-b"}},
		{Name: "loop-b", Parents: []string{"loop-a"}},
	}
	byName := map[string]*Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	for name, want := range map[string][]string{
		"deep":   {"web", "deep"}, // the shortest chain wins
		"leaf":   {"web", "deep", "leaf"},
		"mid":    {"app", "mid"},
		"app":    nil,
		"orphan": nil,
		"loop-a": nil,
	} {
		if got := PathFromDirect(byName[name], byName); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}
