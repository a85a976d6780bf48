package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// sameAsGoTOML decodes data with decodeTOML and toml.Unmarshal into fresh
// values of v's type and reports how they differ ("" when they agree: both
// fail, or both succeed with equal values).
func sameAsGoTOML(data []byte, v any) string {
	t := reflect.TypeOf(v).Elem()
	a, b := reflect.New(t), reflect.New(t)
	errA := decodeTOML("f.toml", data, a.Interface())
	errB := toml.Unmarshal(data, b.Interface())
	switch {
	case (errA == nil) != (errB == nil):
		return fmt.Sprintf("decodeTOML error %v, toml.Unmarshal error %v", errA, errB)
	case errA == nil:
		if where := firstDifference(a.Elem(), b.Elem(), ""); where != "" {
			return "values differ at " + where
		}
	}
	return ""
}

// firstDifference returns the path of the first place a and b differ, or
// "" when they are equal (a nil and an empty map or slice are equal).
func firstDifference(a, b reflect.Value, path string) string {
	if a.IsValid() != b.IsValid() {
		return path + " (one is missing)"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s (%s vs %s)", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + " (nil vs not nil)"
			}
			return ""
		}
		return firstDifference(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		if ta, ok := a.Interface().(time.Time); ok {
			// The same instant; the decoders may give different *Location values for UTC.
			if tb := b.Interface().(time.Time); !ta.Equal(tb) {
				return path + fmt.Sprintf(" (%v vs %v)", ta, tb)
			}
			return ""
		}
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				if !reflect.DeepEqual(a.Interface(), b.Interface()) {
					return path + fmt.Sprintf(" (%v vs %v)", a.Interface(), b.Interface())
				}
				return ""
			}
			if d := firstDifference(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s (%d vs %d keys)", path, a.Len(), b.Len())
		}
		for _, k := range a.MapKeys() {
			if d := firstDifference(a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s (%d vs %d items)", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := firstDifference(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s (%v vs %v)", path, a.Interface(), b.Interface())
	}
	return ""
}

func TestDecodeTOMLMatchesGoTOML(t *testing.T) {
	docs := []string{
		"a = 1\nb = 'x'\nc = \"y\\u0041\"\nd = true\ne = 1.5\nf = [1, 'a', {x = 1}]\n",
		"[t]\nx = 1\n[t.u]\ny = 2\n[[arr]]\nn = 1\n[[arr]]\nn = 2\n[arr.sub]\nm = 3\n",
		"a.b.c = 1\na.b.d = 2\n[x]\ny.z = 'q'\n",
		"d1 = 1979-05-27\nd2 = 07:32:00\nd3 = 1979-05-27T07:32:00\nd4 = 1979-05-27T07:32:00Z\nd5 = 1979-05-27 07:32:00.999-07:00\n",
		"t1 = 07:32\nt2 = 1979-05-27T07:32\nt3 = 1979-05-27 07:32Z\nt4 = 1979-05-27T07:32:00.5+01:30\n",
		"big = 0xDEAD_BEEF\noct = 0o755\nbin = 0b1010\nneg = -1_000\ninf = inf\nf2 = 1e10\n",
		"s = \"\"\"\nmulti\nline\"\"\"\nl = '''\nraw\\n'''\n",
		// Invalid documents: both refuse them.
		"a = 1\na = 2\n",
		"[t]\n[t]\n",
		"a.b = 1\n[a.b]\n",
		"x = {a = 1}\n[x.b]\n",
		"x = {a = 1}\nx.b = 2\n",
		"[[a]]\n[a]\n",
		"a = [1]\n[[a]]\n",
		"a = 1\n[a.b]\n",
		"a = \n",
		"[t\n",
		"a = 99999999999999999999\n",
	}
	for _, d := range docs {
		if diff := sameAsGoTOML([]byte(d), new(map[string]any)); diff != "" {
			t.Errorf("%q: %s", d, diff)
		}
	}
	var doc pyprojectDoc
	if diff := sameAsGoTOML([]byte("[project]\nname = 'x'\ndependencies = ['a']\n[tool.poetry.dependencies]\nb = {version = '^1', extras = ['e']}\n[dependency-groups]\ng = ['c', {include-group = 'h'}]\n"), &doc); diff != "" {
		t.Error(diff)
	}
	// A type mismatch is an error naming the line of the key.
	err := decodeTOML("f.toml", []byte("[project]\n\nname = 5\n"), &doc)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(pe.Msg, "project.name") {
		t.Errorf("type mismatch: %v", err)
	}
}

// TestDecodeTOMLCorpus decodes every TOML file of the corpus into the
// structure its reader uses, with decodeTOML and toml.Unmarshal, and
// compares the results.
func TestDecodeTOMLCorpus(t *testing.T) {
	root := filepath.Join(corpusDir(t), "lockfiles")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var target any
		switch base := d.Name(); {
		case strings.HasSuffix(base, "pyproject.toml"):
			target = new(pyprojectDoc)
		case strings.HasSuffix(base, "uv.lock"):
			target = new(uvLock)
		case strings.HasSuffix(base, "poetry.lock"):
			target = new(poetryLock)
		case strings.HasSuffix(base, "pdm.lock"):
			target = new(pdmLock)
		case strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml"):
			target = new(pylock)
		case base == "Pipfile":
			target = new(map[string]any)
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if diff := sameAsGoTOML(data, target); diff != "" {
			t.Errorf("%s: %s", path, safeDiff(diff))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("only %d TOML files in the corpus", n)
	}
	t.Logf("%d TOML files decode alike", n)
}

func safeDiff(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// FuzzDecodeTOML checks decodeTOML against toml.Unmarshal on arbitrary
// documents: both accept or both refuse, and accepted documents decode to
// the same value.
func FuzzDecodeTOML(f *testing.F) {
	for _, s := range []string{
		"a = 1\n", "[t]\nx = 'y'\n[[a]]\nb = [1, {c = 2}]\n", "a.b = 1\n[a.c]\n", "x = {a = 1}\n",
		"d = 1979-05-27T07:32:00Z\n", "a = 0x_1\n", "[a]\n[a.b]\n[a]\n", "[[a.b]]\n[a]\n",
		"s = \"\"\"x\"\"\"\n", "k = \"\\u00e9\"\n", "'q.k' = 1\n\"q.k\" = 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if diff := sameAsGoTOML(data, new(map[string]any)); diff != "" {
			t.Fatal(safeDiff(diff))
		}
	})
}
