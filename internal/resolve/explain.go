package resolve

import (
	"fmt"
	"strings"
)

// explain renders the derivation of a terminal incompatibility, the way
// PubGrub's reporter (Dart pub, pubgrub-rs, uv) does: each line combines two
// causes, derived facts used more than once are numbered and referred to.
func (s *solver) explain(root *incompat) string {
	r := &reporter{s: s, derivations: map[*incompat]int{}, lineNums: map[*incompat]int{}}
	r.count(root)
	if root.kind == causeDerived {
		r.visit(root, true)
	} else {
		r.write(root, "Because "+r.str(root)+", version solving failed.", false)
	}
	if len(r.lineNums) == 1 { // one numbered line is never referred to
		r.lineNums = map[*incompat]int{}
		for i := range r.lines {
			r.lines[i].num = 0
		}
	}
	var b strings.Builder
	width := len(fmt.Sprint(len(r.lineNums)))
	for _, l := range r.lines {
		switch {
		case l.text == "":
			b.WriteString("\n")
			continue
		case len(r.lineNums) > 0 && l.num > 0:
			fmt.Fprintf(&b, "%*s ", width+2, fmt.Sprintf("(%d)", l.num))
		case len(r.lineNums) > 0:
			b.WriteString(strings.Repeat(" ", width+3))
		}
		b.WriteString(l.text)
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

type line struct {
	text string
	num  int
}

type reporter struct {
	s           *solver
	lines       []line
	derivations map[*incompat]int
	lineNums    map[*incompat]int
}

func (r *reporter) count(ic *incompat) {
	if _, ok := r.derivations[ic]; ok {
		r.derivations[ic]++
		return
	}
	r.derivations[ic] = 1
	if ic.kind == causeDerived {
		r.count(ic.c1)
		r.count(ic.c2)
	}
}

func (r *reporter) write(ic *incompat, msg string, numbered bool) {
	if numbered {
		n := len(r.lineNums) + 1
		r.lineNums[ic] = n
		r.lines = append(r.lines, line{msg, n})
		return
	}
	r.lines = append(r.lines, line{msg, 0})
}

func derived(ic *incompat) bool { return ic.kind == causeDerived }

func (r *reporter) visit(ic *incompat, conclusion bool) {
	numbered := conclusion || r.derivations[ic] > 1
	conj := "And"
	if conclusion {
		conj = "So,"
	}
	str := r.str(ic)
	a, b := ic.c1, ic.c2
	switch {
	case derived(a) && derived(b):
		la, oka := r.lineNums[a]
		lb, okb := r.lineNums[b]
		switch {
		case oka && okb:
			r.write(ic, fmt.Sprintf("Because %s (%d) and %s (%d), %s.", r.str(a), la, r.str(b), lb, str), numbered)
		case oka || okb:
			with, without, n := a, b, la
			if !oka {
				with, without, n = b, a, lb
			}
			r.visit(without, false)
			r.write(ic, fmt.Sprintf("%s because %s (%d), %s.", conj, r.str(with), n, str), numbered)
		default:
			singleA, singleB := !derived(a.c1) && !derived(a.c2), !derived(b.c1) && !derived(b.c2)
			if singleA || singleB {
				first, second := a, b
				if singleB {
					first, second = a, b
				} else {
					first, second = b, a
				}
				r.visit(first, false)
				r.visit(second, false)
				r.write(ic, fmt.Sprintf("Thus, %s.", str), numbered)
			} else {
				r.visit(a, true)
				r.lines = append(r.lines, line{})
				r.visit(b, false)
				r.write(ic, fmt.Sprintf("%s because %s (%d), %s.", conj, r.str(a), r.lineNums[a], str), numbered)
			}
		}
	case derived(a) || derived(b):
		d, ext := a, b
		if !derived(a) {
			d, ext = b, a
		}
		if n, ok := r.lineNums[d]; ok {
			r.write(ic, fmt.Sprintf("Because %s and %s (%d), %s.", r.str(ext), r.str(d), n, str), numbered)
		} else if r.collapsible(d) {
			cd, ce := d.c1, d.c2
			if !derived(cd) {
				cd, ce = d.c2, d.c1
			}
			r.visit(cd, false)
			r.write(ic, fmt.Sprintf("%s because %s and %s, %s.", conj, r.str(ce), r.str(ext), str), numbered)
		} else {
			r.visit(d, false)
			r.write(ic, fmt.Sprintf("%s because %s, %s.", conj, r.str(ext), str), numbered)
		}
	default:
		r.write(ic, fmt.Sprintf("Because %s and %s, %s.", r.str(a), r.str(b), str), numbered)
	}
}

func (r *reporter) collapsible(ic *incompat) bool {
	if r.derivations[ic] > 1 || derived(ic.c1) == derived(ic.c2) {
		return false
	}
	complex := ic.c1
	if !derived(complex) {
		complex = ic.c2
	}
	_, ok := r.lineNums[complex]
	return !ok
}

// str describes one incompatibility in words.
func (r *reporter) str(ic *incompat) string {
	s := r.s
	switch ic.kind {
	case causeRoot:
		return "the requirements must be satisfied"
	case causeDependency:
		from := "you require"
		if ic.from != 0 {
			from = s.pkgName(ic.from, single(s.pkgs[ic.from].n, ic.ver)) + " depends on"
		}
		if ic.req == nil { // an extra's package needs the project at its version
			base := s.pkgs[ic.from].base
			return from + " " + s.pkgName(base, single(s.pkgs[base].n, ic.ver))
		}
		msg := from + " " + ic.req.String()
		if len(ic.terms) == 1 { // the dependency's term was dropped: nothing matches
			q := s.byKey[depKeys(ic.req)[0]]
			if s.pkgs[q].missing {
				return msg + " (" + s.pkgs[q].name + " is not on the index)"
			}
			return msg + " (no version of " + s.pkgs[q].name + " matches)"
		}
		return msg
	case causeUnavailable:
		return s.pkgName(ic.terms[0].pkg, ic.terms[0].set) + " " + ic.reason
	case causeNoVersions:
		return "there is no usable version of " + s.pkgName(ic.terms[0].pkg, ic.terms[0].set)
	}
	// Derived: describe by its terms.
	var pos, neg []term
	for _, t := range ic.terms {
		if t.pkg == 0 {
			continue // the root is always selected
		}
		if t.set.has(s.pkgs[t.pkg].n) {
			neg = append(neg, t)
		} else {
			pos = append(pos, t)
		}
	}
	hasRoot := len(pos)+len(neg) < len(ic.terms)
	req := func(t term) string { // a negative term as the requirement it expresses
		return s.pkgName(t.pkg, t.set.not(s.pkgs[t.pkg].n))
	}
	switch {
	case len(pos)+len(neg) == 0:
		return "version solving failed"
	case len(pos) == 1 && len(neg) == 0 && hasRoot:
		return s.pkgName(pos[0].pkg, pos[0].set) + " cannot be used"
	case len(pos) == 1 && len(neg) == 0:
		return s.pkgName(pos[0].pkg, pos[0].set) + " cannot be used"
	case len(pos) == 0 && len(neg) == 1:
		if hasRoot {
			return "you require " + req(neg[0])
		}
		return req(neg[0]) + " is required"
	case len(pos) == 1 && len(neg) == 1:
		return s.pkgName(pos[0].pkg, pos[0].set) + " depends on " + req(neg[0])
	case len(neg) == 0 && len(pos) == 2:
		return s.pkgName(pos[0].pkg, pos[0].set) + " and " + s.pkgName(pos[1].pkg, pos[1].set) + " are incompatible"
	case len(neg) == 0 && hasRoot:
		return s.pkgName(pos[0].pkg, pos[0].set) + " cannot be used"
	}
	parts := make([]string, 0, len(pos)+len(neg))
	for _, t := range pos {
		parts = append(parts, s.pkgName(t.pkg, t.set))
	}
	for _, t := range neg {
		parts = append(parts, "not "+req(t))
	}
	return strings.Join(parts, ", ") + " cannot all hold"
}

// pkgName describes the versions of package p in set (the "not selected"
// state ignored): "a", "a==1.0", "a>=2.0", "a<=1.5", "a>=1.0,<=1.5", or
// ranges joined by " | ".
func (s *solver) pkgName(p int, set vset) string {
	pk := s.pkgs[p]
	if p == 0 {
		return "your project"
	}
	name := pk.key
	var runs [][2]int
	for i := 0; i < pk.n; i++ {
		if !set.has(i) {
			continue
		}
		if len(runs) > 0 && runs[len(runs)-1][1] == i-1 {
			runs[len(runs)-1][1] = i
		} else {
			runs = append(runs, [2]int{i, i})
		}
	}
	if len(runs) == 0 {
		return "no version of " + name
	}
	var parts []string
	for _, run := range runs {
		hi, lo := run[0], run[1] // indexes: newest first
		switch {
		case hi == lo:
			parts = append(parts, name+"=="+pk.versions[hi].String())
		case hi == 0 && lo == pk.n-1:
			parts = append(parts, name)
		case hi == 0:
			parts = append(parts, name+">="+pk.versions[lo].String())
		case lo == pk.n-1:
			parts = append(parts, name+"<="+pk.versions[hi].String())
		default:
			parts = append(parts, name+">="+pk.versions[lo].String()+",<="+pk.versions[hi].String())
		}
	}
	return strings.Join(parts, " | ")
}
