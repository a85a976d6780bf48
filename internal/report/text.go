package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/verify"
)

// writeKindText writes the text of a run that is not an audit, as wide as
// it is: markdown and html quote it.
func writeKindText(w io.Writer, res *Result) error { return writeKindTextWidth(w, res, 0) }

// writeKindTextWidth writes the text of a run that is not an audit: what
// the command has always printed, fitted to width columns (0: as wide as
// it is). Tables shrink their widest columns and wrap their cells; lines
// of label and value wrap under the value. Diffs and policy entries are
// left whole: a wrapped line of either would no longer be one.
func writeKindTextWidth(w io.Writer, res *Result, width int) error {
	var b strings.Builder
	switch res.kind() {
	case KindDeps:
		if res.Inventory != nil {
			writeDepsTable(&b, res.Inventory, width)
		}
	case KindVersion:
		fmt.Fprintf(&b, "pyvet %s (%s, %s)\n", res.Version, res.Meta["go"], res.Meta["platform"])
	case KindPackageInfo:
		if res.Package != nil {
			var info strings.Builder
			writePackageInfo(&info, res.Package)
			b.WriteString(fitLines(info.String(), width))
		}
	case KindDBStatus:
		switch {
		case res.Database == nil:
		case res.Meta["update"] != "":
			writeDBUpdate(&b, res.Database.Meta, res.Meta)
		default:
			writeDBStatus(&b, res.Database)
		}
		if p := res.Meta["popularity_list"]; p != "" {
			fmt.Fprintf(&b, "Updated the popularity list in %s\n", p)
		}
	case KindSBOM:
		for _, f := range res.Files {
			fmt.Fprintf(&b, "Wrote %s (%d packages, %d vulnerabilities)\n", f.Path, f.Packages, f.Vulnerabilities)
		}
	case KindPopularity:
		for _, f := range res.Files {
			fmt.Fprintf(&b, "Installed the popularity list (%d packages, updated %s) in %s\n", f.Packages, res.Meta["updated"], f.Path)
		}
	case KindPolicy:
		if err := policy.WriteEntries(&b, res.Policy); err != nil {
			return err
		}
	case KindFix:
		writeRemedy(&b, res, width)
	case KindVerify:
		var v strings.Builder
		for i := range res.Verifications {
			writeVerification(&v, &res.Verifications[i])
		}
		b.WriteString(fitLines(v.String(), width))
	}
	out := b.String()
	switch res.kind() {
	case KindDBStatus, KindSBOM, KindPopularity, KindVersion:
		out = fitLines(out, width)
	}
	_, err := io.WriteString(w, out)
	return err
}

// fitLines wraps every line of text wider than width at spaces; the
// continuation lines start under the line's value: after its first run of
// two or more spaces ("Path:        /a/long/path", "modified    x.py"),
// else two spaces further in than the line itself. width <= 0 changes
// nothing.
func fitLines(text string, width int) string {
	if width <= 0 {
		return text
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if textWidth(body) <= width {
			b.WriteString(line)
			continue
		}
		lead := len(body) - len(strings.TrimLeft(body, " "))
		indent := lead + 2
		if i := strings.Index(body[lead:], "  "); i > 0 {
			j := lead + i
			for j < len(body) && body[j] == ' ' {
				j++
			}
			if j < len(body) && textWidth(body[:j]) < width/2 {
				indent = textWidth(body[:j])
			}
		}
		for _, l := range wrapText(body, width, strings.Repeat(" ", indent)) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// writeDepsTable prints one row per package, and a count, fitted to width
// (0: as wide as the rows); a resolved inventory is drawn as a tree instead
// (tree.go).
func writeDepsTable(w io.Writer, inv *inventory.Inventory, width int) {
	if resolvedInventory(inv) {
		// A tree's lines are cut, not wrapped: a wrapped line would break
		// its guides.
		var tree strings.Builder
		writeDepsTree(&tree, inv)
		for _, l := range strings.SplitAfter(tree.String(), "\n") {
			if body := strings.TrimSuffix(l, "\n"); width > 0 && textWidth(body) > width {
				l = cut(body, width) + "\n"
			}
			io.WriteString(w, l)
		}
		return
	}
	g := &grid{}
	for _, h := range []string{"NAME", "VERSION", "DIRECT", "SOURCE", "LOCATION", "PARENTS", "EXTRAS", "MARKER", "HASHES"} {
		g.cols = append(g.cols, gridCol{header: h, min: len(h)})
	}
	// Names stay whole (up to 30 columns); the columns that wrap keep
	// room enough to be read, else they are left out.
	for _, p := range inv.Packages {
		g.cols[0].min = max(g.cols[0].min, min(textWidth(p.Name), 30))
	}
	g.cols[4].min, g.cols[5].min, g.cols[7].min = 16, 12, 20
	// MARKER, PARENTS, LOCATION and EXTRAS give up their width first; on a
	// narrow terminal MARKER, EXTRAS, HASHES, PARENTS and SOURCE are left out.
	g.shrink = []int{7, 5, 4, 6, 3, 0, 1}
	g.drop = []int{7, 6, 8, 5, 3}
	direct := 0
	for _, p := range inv.Packages {
		if p.Direct {
			direct++
		}
		version := p.Version
		switch {
		case version != "":
		case p.Specifier != "":
			version = p.Specifier
		case p.Source.Ref != "":
			version = "@" + p.Source.Ref
		default:
			version = "*"
		}
		kind := "transitive"
		if p.Direct {
			kind = "direct"
		}
		if p.Project {
			kind = "project"
		}
		src := string(p.Source.Kind)
		if p.Source.Editable {
			src += " (editable)"
		}
		loc := "-"
		if len(p.Locations) > 0 {
			loc = p.Locations[0].File
			if p.Locations[0].Line > 0 {
				loc += fmt.Sprintf(":%d", p.Locations[0].Line)
			}
			if len(p.Locations) > 1 {
				loc += fmt.Sprintf(" (+%d)", len(p.Locations)-1)
			}
		}
		g.rows = append(g.rows, gridRow{cells: []string{p.Name, version, kind, src, loc,
			dash(abbreviate(p.Parents, 3)), dash(strings.Join(p.Extras, ",")), dash(p.Marker), strconv.Itoa(len(p.Hashes))}})
	}
	var b strings.Builder
	g.render(&b, width, false)
	io.WriteString(w, b.String())
	fmt.Fprintf(w, "\n%d packages (%d direct) from %d sources\n", len(inv.Packages), direct, len(inv.Sources))
}

// abbreviate joins the first n items and says how many more there are.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ",")
	}
	return fmt.Sprintf("%s (+%d)", strings.Join(items[:n], ","), len(items)-n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writePackageInfo prints what the index knows about a package, one
// escaped line per fact.
func writePackageInfo(w io.Writer, s *PackageInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, finding.Clip(v, maxLine))
		}
	}
	row("name", s.Name)
	row("version", s.Version)
	row("summary", s.Summary)
	row("license", fmt.Sprintf("%s (%s, from %s)", dash(s.License), s.LicenseClass, dash(s.LicenseSource)))
	row("releases", fmt.Sprint(s.Releases))
	row("yanked", strings.Join(s.Yanked, ", "))
	row("first release", s.FirstRelease)
	row("latest upload", s.LatestUpload)
	row("requires python", s.RequiresPython)
	row("project status", s.Status)
	if s.PopularityRank > 0 {
		row("popularity", fmt.Sprintf("#%d by downloads", s.PopularityRank))
	}
	tw.Flush()
}

// writeDBStatus prints the database status. Age is the age of the data
// (how long before the status its newest advisory was modified), not the
// time since the download.
func writeDBStatus(w io.Writer, s *advisory.DBStatus) {
	m := s.Meta
	fmt.Fprintf(w, "Source:      %s\n", m.Source)
	fmt.Fprintf(w, "Path:        %s\n", m.Path)
	fmt.Fprintf(w, "Advisories:  %d (%d withdrawn), %d packages\n", m.Count, m.Withdrawn, m.Packages)
	if s.HasDataAge {
		old := ""
		if s.StaleData {
			old = " (old: results may miss recent advisories)"
		}
		fmt.Fprintf(w, "Age:         %s, newest advisory modified %s%s\n", advisory.FormatAge(s.DataAge), m.Newest.Format(time.RFC3339), old)
	} else {
		fmt.Fprintf(w, "Age:         unknown (no advisory has a modification time)\n")
	}
	if !m.Fetched.IsZero() {
		how := "Imported:    "
		if s.Downloaded {
			how = "Downloaded:  "
		}
		fmt.Fprintf(w, "%s%s\n", how, m.Fetched.Format(time.RFC3339))
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
		fmt.Fprintf(w, "Checked:     %s, %s ago%s\n", t.Format(time.RFC3339), advisory.FormatAge(s.CheckAge), stale)
	}
	if m.ETag != "" {
		fmt.Fprintf(w, "ETag:        %s\n", m.ETag)
	}
	fmt.Fprintf(w, "SHA-256:     %s\n", m.ContentSHA256)
}

// writeDBUpdate prints what `db update` did (meta["update"]): imported a
// local export, found the database current, or downloaded a new one.
func writeDBUpdate(w io.Writer, m advisory.Meta, meta map[string]string) {
	switch meta["update"] {
	case "imported":
		fmt.Fprintf(w, "Imported %d advisories (%d packages) from %s into %s\n", m.Count, m.Packages, meta["from"], m.Path)
	case "current":
		fmt.Fprintf(w, "Advisory database is current (%d advisories, %s)\n", m.Count, m.Source)
	default:
		n, _ := strconv.ParseInt(meta["downloaded_bytes"], 10, 64)
		fmt.Fprintf(w, "Updated advisory database: %d advisories (%d withdrawn), %d packages, %s downloaded from %s\n",
			m.Count, m.Withdrawn, m.Packages, byteSize(n), m.Source)
	}
}

// byteSize is n bytes for people: "12.3 MB", "4.0 kB", "12 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// writeRemedy prints what fix did: the diffs of a dry run, the plan, and
// the advisories the policy accepts, which fix leaves.
func writeRemedy(b *strings.Builder, res *Result, width int) {
	r := res.Remedy
	switch {
	case r == nil || r.Result == nil || r.Result.Plan == nil || len(r.Result.Plan.Fixes) == 0:
		b.WriteString("No known vulnerabilities to fix.\n")
	default:
		if r.DryRun {
			for _, d := range r.Diffs {
				b.WriteString(d.Diff)
			}
		}
		b.WriteString(fitLines(r.Result.Summary(), width))
		if !r.DryRun && r.Written > 0 {
			fmt.Fprintf(b, "Rewrote %d file(s).\n", r.Written)
		}
	}
	for _, f := range res.Findings {
		if f.Ignored && (f.Risk == finding.RiskVulnerability || f.Risk == finding.RiskMalicious) {
			b.WriteString(fitLines(fmt.Sprintf("Not fixed, ignored by the policy: %s %s %s (%s)\n", f.Package, f.Version, f.ID, f.IgnoreReason), width))
		}
	}
}

// writeVerification prints one verification as `pyvet verify` does.
func writeVerification(b *strings.Builder, v *Verification) {
	switch {
	case v.Hashes != nil:
		for _, r := range v.Hashes.Results {
			fmt.Fprintf(b, "%-16s %s", r.Status, r.File)
			if r.Detail != "" {
				fmt.Fprintf(b, "  (%s)", r.Detail)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "%d files, %d findings\n", len(v.Hashes.Results), len(v.Hashes.Findings))
	case v.Env != nil:
		for _, p := range v.Env.Problems {
			fmt.Fprintf(b, "%-11s %s  [%s] %s\n", p.Kind, p.Path, dash(p.Package), p.Detail)
		}
		fmt.Fprintf(b, "%d distributions, %d recorded files, %d problems in %s\n", v.Env.Packages, v.Env.Files, len(v.Env.Problems), strings.Join(v.Env.SitePackages, ", "))
	case v.Result != nil:
		if v.Result.Command == "dist" && len(v.Result.Attestations) > 0 {
			for i := range v.Result.Attestations {
				writeVerifyResult(b, &v.Result.Attestations[i], "dist")
			}
			return
		}
		writeVerifyResult(b, v.Result, v.Result.Command)
	}
}

// writeVerifyResult prints the label line of one result and its evidence.
func writeVerifyResult(b *strings.Builder, r *verify.Result, command string) {
	if r.Expected != "" {
		fmt.Fprintln(b, "expected: "+r.Expected)
	}
	fmt.Fprintf(b, "%s: %s\n", r.Status, r.Artifact)
	var fields [][2]string
	switch command {
	case "dist":
		fields = append(fields, [2]string{"published by", r.Publisher}, [2]string{"predicate", r.PredicateType})
	case "provenance":
		fields = append(fields, [2]string{"predicate", r.PredicateType}, [2]string{"builder", r.Builder},
			[2]string{"sources", strings.Join(r.Sources, ", ")}, [2]string{"provenance", r.Provenance})
	}
	if s := r.Sigstore; s != nil {
		fields = append(fields, [2]string{"signer", r.Identity}, [2]string{"issuer", r.Issuer})
		if r.SourceRepository != "" {
			fields = append(fields, [2]string{"source", fmt.Sprintf("%s @ %s (%s)", r.SourceRepository, r.SourceRef, r.SourceDigest)})
		}
		if !r.SignedAt.IsZero() {
			fields = append(fields, [2]string{"signed", r.SignedAt.UTC().Format(time.RFC3339)})
		}
		fields = append(fields, [2]string{"bundle", r.BundleVersion}, [2]string{"root", r.RootSource})
	}
	if r.Note != "" {
		fields = append(fields, [2]string{"note", r.Note})
	}
	width := 0
	for _, f := range fields {
		width = max(width, len(f[0])+1)
	}
	for _, f := range fields {
		fmt.Fprintf(b, "  %-*s %s\n", width, f[0]+":", f[1])
	}
	if r.Sigstore != nil {
		b.WriteString("  evidence:\n")
		for _, e := range r.Checks {
			fmt.Fprintf(b, "    - %s\n", e)
		}
	}
}
