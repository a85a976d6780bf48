// Command osvdiff compares pyvet's JSON audit report with osv-scanner's JSON
// output on the same requirements file and explains every difference from
// the advisories themselves.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

type pyvetReport struct {
	Dependencies []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Vulns   []struct {
			ID      string   `json:"id"`
			Aliases []string `json:"aliases"`
		} `json:"vulns"`
	} `json:"dependencies"`
}

type osvReport struct {
	Results []struct {
		Packages []struct {
			Package struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"package"`
			Vulnerabilities []struct {
				ID      string   `json:"id"`
				Aliases []string `json:"aliases"`
			} `json:"vulnerabilities"`
			Groups []struct {
				IDs     []string `json:"ids"`
				Aliases []string `json:"aliases"`
			} `json:"groups"`
		} `json:"packages"`
	} `json:"results"`
}

// group is one reported advisory with its aliases.
type group struct{ ids []string }

func (g group) overlaps(o group) bool {
	for _, a := range g.ids {
		for _, b := range o.ids {
			if strings.EqualFold(a, b) {
				return true
			}
		}
	}
	return false
}

func main() {
	pyvetPath := flag.String("pyvet", "", "pyvet audit --format json output")
	osvPath := flag.String("osv", "", "osv-scanner --format json output")
	dbPath := flag.String("db", "", "the OSV export both used")
	reqPath := flag.String("requirements", "", "the requirements file both scanned")
	flag.Parse()
	db, err := advisory.Open(*dbPath)
	check(err)
	written := readPins(*reqPath)

	var pv pyvetReport
	check(readJSON(*pyvetPath, &pv))
	var ov osvReport
	check(readJSON(*osvPath, &ov))

	// Versions are compared by PEP 440 equality: the two tools may print
	// "4.0.0.dev" and "4.0.0.dev0" for the same pin.
	type key struct{ name, version string }
	shown := map[key]string{}
	mine := map[key][]group{}
	for _, d := range pv.Dependencies {
		for _, v := range d.Vulns {
			k := key{pep508.NormalizeName(d.Name), advisory.VersionKey(d.Version)}
			mine[k] = append(mine[k], group{append([]string{v.ID}, v.Aliases...)})
			shown[k] = d.Version
		}
	}
	theirs := map[key][]group{}
	for _, r := range ov.Results {
		for _, p := range r.Packages {
			k := key{pep508.NormalizeName(p.Package.Name), advisory.VersionKey(p.Package.Version)}
			if shown[k] == "" {
				shown[k] = p.Package.Version
			}
			if len(p.Groups) > 0 {
				for _, g := range p.Groups {
					theirs[k] = append(theirs[k], group{append(append([]string{}, g.IDs...), g.Aliases...)})
				}
				continue
			}
			for _, v := range p.Vulnerabilities {
				theirs[k] = append(theirs[k], group{append([]string{v.ID}, v.Aliases...)})
			}
		}
	}
	count := func(m map[key][]group) (n int) {
		for _, gs := range m {
			n += len(gs)
		}
		return n
	}
	fmt.Printf("pyvet:       %d advisories (alias groups) in %d packages\n", count(mine), len(mine))
	fmt.Printf("osv-scanner: %d advisories (alias groups) in %d packages\n", count(theirs), len(theirs))

	keys := map[key]bool{}
	for k := range mine {
		keys[k] = true
	}
	for k := range theirs {
		keys[k] = true
	}
	var sorted []key
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i].name < sorted[j].name || sorted[i].name == sorted[j].name && shown[sorted[i]] < shown[sorted[j]]
	})
	reasons := map[string]int{}
	var lines []string
	for _, k := range sorted {
		for _, g := range mine[k] {
			if !anyOverlap(g, theirs[k]) {
				cat, r := whyMissed(db, written[k.name], k.name, shown[k], g.ids[0])
				reasons["only pyvet: "+cat]++
				lines = append(lines, fmt.Sprintf("  only pyvet        %s==%s %s: %s", writtenName(written, k.name), shown[k], g.ids[0], r))
			}
		}
		for _, g := range theirs[k] {
			if !anyOverlap(g, mine[k]) {
				r := whyExtra(db, k.name, shown[k], g.ids)
				reasons["only osv-scanner: "+r]++
				lines = append(lines, fmt.Sprintf("  only osv-scanner  %s==%s %s: %s", writtenName(written, k.name), shown[k], g.ids[0], r))
			}
		}
	}
	fmt.Printf("differences: %d\n", len(lines))
	var rs []string
	for r, n := range reasons {
		rs = append(rs, fmt.Sprintf("  %4d  %s", n, r))
	}
	sort.Strings(rs)
	fmt.Println(strings.Join(rs, "\n"))
	if len(lines) > 0 {
		fmt.Println("each difference:")
		fmt.Println(strings.Join(lines, "\n"))
	}
}

func anyOverlap(g group, gs []group) bool {
	for _, o := range gs {
		if g.overlaps(o) {
			return true
		}
	}
	return false
}

// whyMissed explains an advisory pyvet reports and osv-scanner does not: a
// category for the summary and the details.
func whyMissed(db *advisory.DB, writtenName, name, version, id string) (string, string) {
	e, ok := db.Get(id)
	if !ok {
		return "advisory not in the database", id
	}
	var cats, why []string
	if writtenName != "" && writtenName != name {
		cats = append(cats, "name spelled with capitals, dots or underscores")
		why = append(why, fmt.Sprintf("the name is written %q; PEP 503 normalizes it to %q", writtenName, name))
	}
	inList, literal := false, false
	for _, a := range e.Affected {
		if pep508.NormalizeName(a.Package.Name) != name {
			continue
		}
		for _, v := range a.Versions {
			if v == version {
				literal = true
			}
			if advisory.VersionKey(v) == advisory.VersionKey(version) {
				inList = true
			}
		}
	}
	switch {
	case literal:
	case inList:
		cats = append(cats, "version PEP 440-equal to a listed one but spelled differently")
		why = append(why, fmt.Sprintf("%s is PEP 440-equal to a version the advisory lists, spelled differently", version))
	default:
		if p, err := pep440.Parse(version); err == nil && p.IsPrerelease() {
			cats = append(cats, "pre-release inside an ECOSYSTEM range, not in the versions list")
		} else {
			cats = append(cats, "version inside an ECOSYSTEM range, not in the versions list")
		}
		why = append(why, fmt.Sprintf("%s is inside an ECOSYSTEM range of the advisory but not in its versions list", version))
	}
	if len(why) == 0 {
		return "listed literally (unexplained)", "unexplained"
	}
	return strings.Join(cats, " + "), strings.Join(why, "; ")
}

// whyExtra explains an advisory osv-scanner reports and pyvet does not.
func whyExtra(db *advisory.DB, name, version string, ids []string) string {
	for _, id := range ids {
		e, ok := db.Get(id)
		if !ok {
			continue
		}
		if e.Withdrawn != "" {
			return "the advisory is withdrawn (" + e.Withdrawn + ")"
		}
		if !advisory.Affects(e, name, version) {
			return "the advisory's ranges and versions list do not include " + version
		}
		return "pyvet matches it too (unexplained)"
	}
	return "advisory not in the snapshot"
}

// readPins maps normalized names to the names as the requirements file writes them.
func readPins(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "=="); i > 0 && !strings.HasPrefix(line, "#") {
			out[pep508.NormalizeName(line[:i])] = line[:i]
		}
	}
	return out
}

func writtenName(w map[string]string, name string) string {
	if s := w[name]; s != "" {
		return s
	}
	return name
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "osvdiff:", err)
		os.Exit(2)
	}
}
