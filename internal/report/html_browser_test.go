package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium with args and returns its standard output.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("headless browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("headless browser test skipped: /usr/bin/chromium is not installed (apt-get install -y chromium)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromiumPath, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func writeReport(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, "html", fixture(t), Options{Title: "Audit of demo"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTMLInBrowserDOM(t *testing.T) {
	path := writeReport(t)
	dom := string(chromium(t, "--dump-dom", "file://"+path))
	if !strings.Contains(dom, "<title>Audit of demo</title>") {
		t.Errorf("rendered page has no title:\n%.400s", dom)
	}
	// The summary a user reads: counts per risk and in total.
	for _, re := range []string{
		`data-risk="vulnerability" data-count="1"><span class="num">1</span>`,
		`data-risk="unapproved-change" data-count="3"><span class="num">3</span>`,
		`<strong id="total-count">4</strong>`,
		`Fails the policy`,
		// The upgrade that clears werkzeug's advisory, linked to its row.
		`<a href="#finding-werkzeug"><strong>werkzeug</strong></a> 2.0.0 → <span class="to">2.3.8</span>`,
		`<tr class="finding" id="finding-werkzeug"`,
	} {
		if !strings.Contains(dom, re) {
			t.Errorf("rendered page lacks %q", re)
		}
	}
	// The path to the affected package: flask, unfolded, then werkzeug.
	if !regexp.MustCompile(`<li class="node" data-package="flask"><details open=""><summary><span class="pkg" id="dep-flask">flask</span>.*?</summary><ul><li class="node affected leaf" data-package="werkzeug" data-severity="high">`).MatchString(dom) {
		t.Error("the path flask → werkzeug is not drawn")
	}
	for _, off := range []string{"jinja2", "markupsafe", "click", "urllib3"} {
		if strings.Contains(dom, `data-package="`+off+`"`) {
			t.Errorf("%s, on no path to a finding, is drawn", off)
		}
	}
	// Four findings rows (the ignored one is hidden by default).
	if n := strings.Count(dom, `<tr class="finding`); n != 4 {
		t.Errorf("%d finding rows, want 4", n)
	}
}

// TestHTMLInBrowserLayout loads a page with long unbreakable texts and a
// 400-package graph at 1000 px: nothing overflows horizontally, the graph
// draws only the paths to affected packages, and the page's own style and
// script apply under its Content-Security-Policy.
func TestHTMLInBrowserLayout(t *testing.T) {
	inv, fs, relevant := largeGraph()
	long := strings.Repeat("x", 150)
	f := &fs[0]
	f.Title = "Overflow in " + long
	f.Aliases = []string{"CVE-2026-" + strings.Repeat("1", 40), "GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff"}
	f.Detail = "## Details\n\nSee https://example.org/" + long + " and `" + long + "`.\n\n```\n" + strings.Repeat("y", 300) +
		"\n```\n\n| a | b | c | d | e | f | g | h |\n|---|---|---|---|---|---|---|---|\n| " + strings.Repeat(long+" | ", 8) + "\n"
	f.Fix = []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12"}
	f.Location = &inventory.Location{File: "/srv/" + strings.Repeat("deep/", 20) + "requirements-" + long + ".txt", Line: 12}
	f.Action = "Upgrade t0100 to 2.1 (" + long + ")"
	res := &Result{Tool: "pyvet audit", Inventory: inv, Findings: fs, Failed: true,
		Meta: map[string]string{"db": "/var/cache/" + long + ".zip", "db_sha256": strings.Repeat("ab", 32)}}
	var page bytes.Buffer
	if err := Write(&page, "html", res, Options{Title: "Layout of " + long}); err != nil {
		t.Fatal(err)
	}
	// A probe runs after the page's script (it clicks a risk card, which
	// only the page's script handles) and reports the layout; the policy
	// admits it by its hash, and nothing else changes.
	const probe = `(function () {
  var d = document.documentElement, wide = [], nodes = [];
  document.querySelectorAll("section").forEach(function (s) { if (s.scrollWidth > s.clientWidth) { wide.push(s.id); } });
  document.querySelectorAll("#graph li.node").forEach(function (n) { nodes.push(n.getAttribute("data-package")); });
  document.querySelector('.card[data-risk="unapproved-change"]').click();
  var hidden = 0;
  document.querySelectorAll("tr.finding").forEach(function (r) { if (r.style.display === "none") { hidden++; } });
  document.body.setAttribute("data-probe", JSON.stringify({sw: d.scrollWidth, cw: d.clientWidth, wide: wide, nodes: nodes, hidden: hidden,
    header: getComputedStyle(document.querySelector("header")).backgroundColor}));
})();`
	out := page.String()
	if !strings.Contains(out, "script-src ") || !strings.Contains(out, "</body>") {
		t.Fatal("page without script-src or body")
	}
	out = strings.Replace(out, "script-src ", "script-src "+html.EscapeString(cspHash(probe))+" ", 1)
	out = strings.Replace(out, "</body>", "<script>"+probe+"</script></body>", 1)
	path := filepath.Join(t.TempDir(), "layout.html")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(chromium(t, "--window-size=1000,900", "--dump-dom", "file://"+path))
	m := regexp.MustCompile(`data-probe="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run (blocked by the policy?):\n%.600s", dom)
	}
	var got struct {
		SW, CW int
		Wide   []string
		Nodes  []string
		Hidden int
		Header string
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("probe output %q: %v", m[1], err)
	}
	if got.CW < 950 || got.CW > 1000 {
		t.Fatalf("viewport %d px wide, want 1000", got.CW)
	}
	if got.SW > got.CW || len(got.Wide) > 0 {
		t.Errorf("horizontal overflow at %d px: page %d px wide; sections wider than their box: %v", got.CW, got.SW, got.Wide)
	}
	shown := map[string]int{}
	for _, n := range got.Nodes {
		shown[n]++
	}
	if len(shown) != len(relevant) || shown["t0100"] != 2 {
		t.Errorf("graph draws %v, want each of %v once (t0100, reached by two paths, twice)", shown, relevant)
	}
	for n := range shown {
		if !relevant[n] {
			t.Errorf("graph draws %s, which leads to no finding", n)
		}
	}
	if got.Hidden != 3 {
		t.Errorf("clicking a risk card hid %d rows, want 3: the page's script did not run", got.Hidden)
	}
	if got.Header != "rgb(17, 24, 39)" {
		t.Errorf("header background %q: the page's style did not apply", got.Header)
	}
}

func TestHTMLInBrowserScreenshot(t *testing.T) {
	path := writeReport(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, "--screenshot="+shot, "--window-size=1280,1600", "file://"+path)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot is %dx%d", b.Dx(), b.Dy())
	}
	// A rendered report has many colours: dark header, white sections, red
	// highlights. A blank or error page has a handful.
	colours := map[color.RGBA]bool{}
	badge := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			colours[c] = true
			if c == (color.RGBA{0xff, 0xed, 0xd5, 255}) { // a high-severity badge
				badge++
			}
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has only %d colours: the page did not render", len(colours))
	}
	if badge < 20 {
		t.Errorf("only %d pixels of high-severity badges: werkzeug is not highlighted", badge)
	}
	if dark := countDark(img); dark < b.Dx()*20/4 {
		t.Errorf("the dark header is missing (%d dark pixels)", dark)
	}
	if os.Getenv("PYVET_KEEP_SCREENSHOT") != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(os.Getenv("PYVET_KEEP_SCREENSHOT"), data, 0o644)
	}
}

func countDark(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Min.Y+60 && y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 40 && g>>8 < 40 && bl>>8 < 60 {
				n++
			}
		}
	}
	return n
}
