package inventory

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep508"
)

// fastPathInputs are strings near the edges of the fast paths: separators
// at either end and doubled, upper case, non-ASCII, hash forms.
func fastPathInputs() []string {
	in := []string{
		"", "-", "--", "a", "a-b", "a--b", "-a", "a-", "a_b", "a.b", "A", "requests",
		"zope.interface", "Django", "ruamel-yaml-clib", "x9-", "ß", "İstanbul", "naïve-pkg",
		"sha256:abc", "SHA256:abc", "sha256=abc", "=abc", ":abc", "md5:a=b", "sha256:a:b",
		"https://h/p/a.whl", "https://h/p/a.whl?x=1#y", `C:\d\a.tar.gz`, "a#b?c", "a/b\\c", "?", "#",
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZz09-_.:=?#/\\é"
	for range 5000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(string([]rune(alphabet)[r.IntN(len([]rune(alphabet)))]))
		}
		in = append(in, b.String())
	}
	return in
}

func TestFastPathsMatchTheGeneralFunctions(t *testing.T) {
	for _, s := range fastPathInputs() {
		if got, want := normalizeName(s), pep508.NormalizeName(s); got != want {
			t.Errorf("normalizeName(%q) = %q, pep508.NormalizeName: %q", s, got, want)
		}
		if got, want := canonicalName(" "+s+"\t"), newPackage(" "+s+"\t").Name; got != want {
			t.Errorf("canonicalName(%q) = %q, newPackage: %q", s, got, want)
		}
		if got, want := indexEither(s, '?', '#'), strings.IndexAny(s, "?#"); got != want {
			t.Errorf("indexEither(%q) = %d, strings.IndexAny: %d", s, got, want)
		}
		if got, want := lastIndexEither(s, '/', '\\'), strings.LastIndexAny(s, `/\`); got != want {
			t.Errorf("lastIndexEither(%q) = %d, strings.LastIndexAny: %d", s, got, want)
		}
		if got, want := isLowerASCII(s), strings.ToLower(s) == s && !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }); got != want {
			t.Errorf("isLowerASCII(%q) = %v, want %v", s, got, want)
		}
		want := s
		if want = strings.TrimSpace(want); strings.ContainsAny(want, ":=") {
			i := strings.IndexAny(want, ":=")
			if i > 0 {
				want = strings.ToLower(want[:i]) + ":" + want[i+1:]
			}
		}
		if got := hashString(s); got != want {
			t.Errorf("hashString(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestUploadTimeKeptOrReprinted checks that an upload time printed the way
// it is written is returned as it is, and any other form reprinted in UTC.
func TestUploadTimeKeptOrReprinted(t *testing.T) {
	for in, want := range map[string]string{
		"2024-10-28T19:06:27.857Z":      "2024-10-28T19:06:27.857Z",
		"2024-10-28T19:06:27.850Z":      "2024-10-28T19:06:27.85Z",
		"2024-10-28 19:06:27Z":          "2024-10-28T19:06:27Z",
		"2024-10-28T21:06:27.857+02:00": "2024-10-28T19:06:27.857Z",
		"2024-10-28T19:06:27z":          "",
		"yesterday":                     "",
	} {
		var u uploadTimes
		if got := u.read(in, 3); got != want {
			t.Errorf("read(%q) = %q, want %q", in, got, want)
		}
	}
}
