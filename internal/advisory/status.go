package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DBStatus is what `pyvet db status` reports about the cached database.
type DBStatus struct {
	Meta
	// Now is when the status was taken; the ages are relative to it.
	Now time.Time
	// DataAge is the age of the data: how long before Now its newest
	// advisory was modified. HasDataAge is false when no advisory has a
	// modification time.
	DataAge    time.Duration
	HasDataAge bool
	// StaleData says the data is older than StaleData: results may miss
	// recent advisories.
	StaleData bool
	// CheckAge is how long ago the database was last fetched or confirmed
	// current. Stale says it is older than MaxAge, so audit refreshes it
	// (unless --offline).
	CheckAge time.Duration
	Stale    bool
	// Downloaded says the source is a URL; otherwise it was imported from
	// a file or directory.
	Downloaded bool
}

// ReadStatus returns the status at now of the database cached in cacheDir,
// without keeping it open. No database is a *NoDatabaseError; a damaged one
// is an error saying how to replace it.
func ReadStatus(cacheDir string, now time.Time) (*DBStatus, error) {
	db, err := OpenCached(cacheDir)
	if err != nil {
		if errors.Is(err, ErrNoDatabase) {
			return nil, err
		}
		return nil, fmt.Errorf("%v; run `pyvet db update --force` to replace it", err)
	}
	m := db.Meta()
	db.Close()
	return statusOf(m, now), nil
}

// statusOf derives the status of a database from its metadata.
func statusOf(m Meta, now time.Time) *DBStatus {
	s := &DBStatus{Meta: m, Now: now, CheckAge: m.Age(now), Downloaded: isURL(m.Source)}
	s.Stale = s.CheckAge > MaxAge
	s.DataAge, s.HasDataAge = m.DataAge(now)
	s.StaleData = s.HasDataAge && s.DataAge > StaleData
	return s
}

// MarshalJSON writes the metadata's fields and data_age, the age of the
// data as a Go duration rounded to the second ("960h0m0s"), when known.
func (s *DBStatus) MarshalJSON() ([]byte, error) {
	out := struct {
		Meta
		DataAge string `json:"data_age,omitempty"`
	}{Meta: s.Meta}
	if s.HasDataAge {
		out.DataAge = s.DataAge.Round(time.Second).String()
	}
	return json.Marshal(out)
}

// WriteText writes the status as `pyvet db status` prints it. Age is the age
// of the data, how long before now its newest advisory was modified, not the
// time since the download: an export that is fetched every hour can still be
// months old.
func (s *DBStatus) WriteText(w io.Writer) error {
	m := s.Meta
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("Source:      %s\n", m.Source)
	p("Path:        %s\n", m.Path)
	p("Advisories:  %d (%d withdrawn), %d packages\n", m.Count, m.Withdrawn, m.Packages)
	if s.HasDataAge {
		old := ""
		if s.StaleData {
			old = " (old: results may miss recent advisories)"
		}
		p("Age:         %s, newest advisory modified %s%s\n", FormatAge(s.DataAge), m.Newest.Format(time.RFC3339), old)
	} else {
		p("Age:         unknown (no advisory has a modification time)\n")
	}
	if !m.Fetched.IsZero() {
		how := "Imported:    "
		if s.Downloaded {
			how = "Downloaded:  "
		}
		p("%s%s\n", how, m.Fetched.Format(time.RFC3339))
	}
	if !m.Checked.IsZero() || !m.Fetched.IsZero() {
		stale := ""
		if s.Stale {
			stale = " (audit refreshes it unless --offline)"
		}
		t := m.Checked
		if m.Fetched.After(t) {
			t = m.Fetched
		}
		p("Checked:     %s, %s ago%s\n", t.Format(time.RFC3339), FormatAge(s.CheckAge), stale)
	}
	if m.ETag != "" {
		p("ETag:        %s\n", m.ETag)
	}
	_, err := fmt.Fprintf(w, "SHA-256:     %s\n", m.ContentSHA256)
	return err
}
