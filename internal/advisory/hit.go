package advisory

import (
	"slices"
	"strings"
)

// Hit is what a finding needs of one advisory matched for one package: the
// fields of the advisory a report shows and what the package's ranges say,
// computed once (when the index is built, or when a service's answer is
// read) instead of from the decoded advisory at every match. A Hit may be
// shared by every finding of the advisory and by concurrent callers: it and
// its slices must not be modified.
type Hit struct {
	// ID is the advisory's id.
	ID string
	// Aliases are the advisory's aliases, in the advisory's order.
	Aliases []string
	// Summary is the advisory's summary, trimmed of surrounding space.
	Summary string
	// Details is the advisory's details, trimmed of surrounding space.
	Details string
	// Published is the advisory's publication time, as written.
	Published string
	// Modified is the advisory's last modification time, as written.
	Modified string
	// Withdrawn is the advisory's withdrawal time; "" when not withdrawn.
	Withdrawn string
	// Malicious says the advisory reports a malicious package (MAL-).
	Malicious bool
	// Fixed are the versions that fix the advisory for the package
	// (FixVersions): sorted by PEP 440 (SortVersions), deduplicated.
	Fixed []string
	// Rating is the advisory's severity for the package (Rate).
	Rating Rating
	// Bounds say how range bounds that are not PEP 440 versions were read
	// (BoundNotes).
	Bounds []string
}

// HitOf computes the Hit of e for the package name (normalized) from the
// full entry. It is the reference every prepared form of the advisory data
// must agree with. A nil entry has no hit.
func HitOf(e *Entry, name string) *Hit {
	if e == nil {
		return nil
	}
	return &Hit{
		ID:        e.ID,
		Aliases:   slices.Clone(e.Aliases),
		Summary:   strings.TrimSpace(e.Summary),
		Details:   strings.TrimSpace(e.Details),
		Published: e.Published,
		Modified:  e.Modified,
		Withdrawn: e.Withdrawn,
		Malicious: e.IsMalicious(),
		Fixed:     FixVersions(e, name),
		Rating:    Rate(e, name),
		Bounds:    BoundNotes(e, name),
	}
}

// HitsOf computes the hits of entries (as HitOf) for the package name, in
// their order.
func HitsOf(entries []*Entry, name string) []*Hit {
	if entries == nil {
		return nil
	}
	out := make([]*Hit, 0, len(entries))
	for _, e := range entries {
		out = append(out, HitOf(e, name))
	}
	return out
}
