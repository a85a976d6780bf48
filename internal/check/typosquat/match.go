package typosquat

import (
	"sort"
	"time"

	"github.com/pyvet/pyvet/pep508"
)

// Kind says how a name can be confused with a popular one.
type Kind string

// The kinds of name confusion, most convincing first.
const (
	KindSeparator Kind = "separator" // same letters, other separators ("python_dateutil" / "pythondateutil")
	KindHomoglyph Kind = "homoglyph" // look-alike characters ("reqeusts" is not one; "djang0" is)
	KindAffix     Kind = "affix"     // a python/py prefix or suffix added or dropped ("python-requests")
	KindEdit      Kind = "edit"      // one or two typing mistakes ("reqests", "requets")
)

// Match is one popular name a name can be confused with.
type Match struct {
	Name      string // the checked name, normalized
	Target    string // the popular name
	Kind      Kind
	Distance  int // edit distance (KindEdit), else 0
	Rank      int // 1-based popularity rank of the target
	Downloads int64
}

// Config holds the name-confusion thresholds.
type Config struct {
	// Targets is how many of the most popular names are compared against (0: all).
	Targets int
	// MinLength is the shortest name (without separators) compared by edit
	// distance; short names are too close to each other to mean anything.
	MinLength int
	// LongName is the length from which two edits (not just one) are a match.
	LongName int
	// MinRatio: the popular name must have at least this many times the downloads
	// of the checked one. Typosquats are far less used than their targets; two
	// popular packages with similar names are not.
	MinRatio float64
	// SkipPopular suppresses findings for names that are themselves in the
	// popularity list within the first SkipPopular ranks (0: never suppress).
	SkipPopular int
	// Allow lists names never reported (normalized on use).
	Allow []string
	// EstablishedAge and EstablishedReleases: a project the index has served
	// for longer than EstablishedAge (its first upload) with at least
	// EstablishedReleases releases is established and never reported,
	// whatever its name. Typosquats are removed within days or weeks; they do
	// not build years of releases.
	EstablishedAge      time.Duration
	EstablishedReleases int
	// Without index data (offline, not cached, index unreachable) a name
	// cannot be checked against its release history. It is then reported at
	// most as medium when it is one edit (or one separator or look-alike
	// character) from one of the UnverifiedTop most popular names, at low
	// when it is close to one of the first UnverifiedTargets, and not at all
	// otherwise.
	UnverifiedTop     int
	UnverifiedTargets int
	// Now returns the current time (nil: time.Now); tests set it.
	Now func() time.Time
}

// DefaultConfig returns the thresholds used when pyvet.toml sets none.
func DefaultConfig() Config {
	return Config{Targets: 0, MinLength: 5, LongName: 12, MinRatio: 50, SkipPopular: 15000,
		EstablishedAge: 2 * 365 * 24 * time.Hour, EstablishedReleases: 3, UnverifiedTop: 100, UnverifiedTargets: 1000}
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Lookup returns the popular names that name can be confused with, best first.
// It applies the target, length and download-ratio rules of cfg but not the
// SkipPopular and Allow suppressions (Check applies those).
func (p *Popularity) Lookup(name string, cfg Config) []Match {
	n := pep508.NormalizeName(name)
	if n == "" {
		return nil
	}
	self, selfListed := p.rank[n]
	var selfDL int64
	if selfListed {
		selfDL = p.downloads[self]
	}
	seen := map[int]bool{}
	var out []Match
	add := func(k int, kind Kind, d int) {
		if seen[k] || (cfg.Targets > 0 && k >= cfg.Targets) || p.names[k] == n {
			return
		}
		if cfg.MinRatio > 0 && float64(p.downloads[k]) < cfg.MinRatio*float64(selfDL) {
			return
		}
		seen[k] = true
		out = append(out, Match{Name: n, Target: p.names[k], Kind: kind, Distance: d, Rank: k + 1, Downloads: p.downloads[k]})
	}
	sq := squash(n)
	for _, k := range p.bySquash[sq] {
		add(k, KindSeparator, 0)
	}
	for _, k := range p.bySkeleton[skeleton(n)] {
		add(k, KindHomoglyph, 0)
	}
	// affix: "python-requests" -> "requests", and "dateutil" -> "python-dateutil"
	if c, ok := core(n); ok {
		if k, ok := p.rank[c]; ok {
			add(k, KindAffix, 0)
		}
		for _, k := range p.bySquash[squash(c)] {
			add(k, KindAffix, 0)
		}
	}
	for _, k := range p.byCore[n] {
		add(k, KindAffix, 0)
	}
	if len(sq) >= cfg.MinLength {
		maxD := 1
		if cfg.LongName > 0 && len(sq) >= cfg.LongName {
			maxD = 2
		}
		buf := make([]int, 3*(len(sq)+maxD+1))
		try := func(k int) {
			tsq := p.squashed[k]
			if seen[k] || len(tsq) < cfg.MinLength {
				return
			}
			if d := distance(sq, tsq, maxD, buf); d <= maxD && d > 0 {
				add(k, KindEdit, d)
			}
		}
		switch {
		case maxD == 1:
			for _, d := range deletes(sq) {
				for _, k := range p.byDelete[d] {
					try(k)
				}
			}
		default:
			for l := len(sq) - maxD; l <= len(sq)+maxD; l++ {
				for _, k := range p.byLen[l] {
					try(k)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Distance != out[j].Distance {
			return out[i].Distance < out[j].Distance
		}
		return out[i].Rank < out[j].Rank
	})
	return out
}
