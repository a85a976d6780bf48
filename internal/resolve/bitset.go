package resolve

import "math/bits"

// vset is a set of the possible states of one package: bit i < n stands for
// its i-th known version (newest first), bit n for "not selected". A positive
// PubGrub term ("a is selected, at a version in S") has the none bit clear; a
// negative term ("a is not selected at a version in S") is the complement of
// S and so includes "not selected". Intersection, union and complement of
// terms are then plain bit operations, and PubGrub's relations between terms
// are subset tests.
type vset []uint64

func words(n int) int { return (n + 1 + 63) / 64 }

// full returns the set of every state of a package with n versions.
func full(n int) vset {
	s := make(vset, words(n))
	for i := range s {
		s[i] = ^uint64(0)
	}
	s.trim(n)
	return s
}

// single returns {version i}.
func single(n, i int) vset {
	s := make(vset, words(n))
	s.add(i)
	return s
}

func (s vset) trim(n int) {
	if r := (n + 1) % 64; r != 0 {
		s[len(s)-1] &= (uint64(1) << r) - 1
	}
}

func (s vset) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s vset) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

func (s vset) and(t vset) vset {
	o := make(vset, len(s))
	for i := range s {
		o[i] = s[i] & t[i]
	}
	return o
}

// not complements s within a package of n versions.
func (s vset) not(n int) vset {
	o := make(vset, len(s))
	for i := range s {
		o[i] = ^s[i]
	}
	o.trim(n)
	return o
}

func (s vset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s vset) equal(t vset) bool {
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// subset reports s ⊆ t.
func (s vset) subset(t vset) bool {
	for i := range s {
		if s[i]&^t[i] != 0 {
			return false
		}
	}
	return true
}

// disjoint reports s ∩ t = ∅.
func (s vset) disjoint(t vset) bool {
	for i := range s {
		if s[i]&t[i] != 0 {
			return false
		}
	}
	return true
}

func (s vset) count() int {
	c := 0
	for _, w := range s {
		c += bits.OnesCount64(w)
	}
	return c
}

// first returns the lowest version index in s (the newest version), or -1.
func (s vset) first(n int) int {
	for i, w := range s {
		if w != 0 {
			j := i*64 + bits.TrailingZeros64(w)
			if j < n {
				return j
			}
			return -1
		}
	}
	return -1
}
