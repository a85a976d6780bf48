package resolve

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseCutoff(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"2024-05-01":                time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"2024-05-01T08:30:00Z":      time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC),
		"2024-05-01T08:30:00+02:00": time.Date(2024, 5, 1, 6, 30, 0, 0, time.UTC),
		" 7d ":                      now.Add(-7 * 24 * time.Hour),
		"36h":                       now.Add(-36 * time.Hour),
		"2w":                        now.Add(-14 * 24 * time.Hour),
		"0d":                        now,
	}
	for in, want := range cases {
		got, err := ParseCutoff(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseCutoff(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7", "-7d", "+7d", "7y", "1.5d", "2024-13-01", "999999999d", "yesterday"} {
		if _, err := ParseCutoff(in, now); err == nil || !strings.Contains(err.Error(), "--uploaded-prior-to") {
			t.Errorf("ParseCutoff(%q): err = %v", in, err)
		}
	}
}

func FuzzParseCutoff(f *testing.F) {
	for _, s := range []string{"7d", "2024-05-01", "2024-05-01T08:30:00Z", "36h", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCutoff(s, now)
		if err != nil {
			if msg := err.Error(); utf8.RuneCountInString(msg) > 160 || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error not one bounded line: %q", msg)
			}
			return
		}
		if got.IsZero() {
			t.Errorf("ParseCutoff(%q) = zero time without an error", s)
		}
	})
}
