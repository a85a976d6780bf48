package finding

import (
	"strings"
	"testing"
)

// Text from an advisory or a file is shown on a terminal through Clip: the
// bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
// U+061C) reorder what the reader sees ("Trojan Source", CVE-2021-42574),
// so a hostile title can make a row read otherwise than it is. They are
// escaped like the other invisible controls.
func TestHostile2ClipEscapesBidiControls(t *testing.T) {
	for _, r := range []rune{'\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'} {
		s := "fixed in " + string(r) + "1.0 evil"
		got := Clip(s, 80)
		if strings.ContainsRune(got, r) {
			t.Errorf("Clip(%+q) = %+q: the control is shown as it is", s, got)
		}
		if Clip(got, 80) != got {
			t.Errorf("Clip is not idempotent on %+q", got)
		}
	}
}
