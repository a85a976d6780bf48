package resolve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
)

// maxCutoffUnits bounds a duration's count (about 270 years in days), so a
// huge number is an error rather than an overflow.
const maxCutoffUnits = 100000

// ParseCutoff parses --uploaded-prior-to: an RFC 3339 date/time
// ("2024-05-01T12:00:00Z"), a date (YYYY-MM-DD, midnight UTC) or a duration
// back from now in hours, days or weeks ("36h", "7d", "2w"). Files uploaded
// at or after the returned time are left out of a resolution.
func ParseCutoff(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("--uploaded-prior-to: empty; want an RFC 3339 time, a date (YYYY-MM-DD) or a duration such as 7d, 36h or 2w")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if len(s) >= 2 && len(s) <= 12 {
		unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		digits := s[:len(s)-1]
		n, err := strconv.Atoi(digits)
		if err == nil && unit > 0 && n >= 0 && n <= maxCutoffUnits && digits[0] != '+' && digits[0] != '-' {
			return now.Add(-time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, fmt.Errorf("--uploaded-prior-to %s: want an RFC 3339 time, a date (YYYY-MM-DD) or a duration such as 7d, 36h or 2w", finding.Clip(s, 40))
}
