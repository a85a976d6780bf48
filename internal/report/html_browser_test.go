package report

import (
	"bytes"
	"context"
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
	} {
		if !strings.Contains(dom, re) {
			t.Errorf("rendered page lacks %q", re)
		}
	}
	// A highlighted node on a risky path, and the risky package itself.
	if !regexp.MustCompile(`<g class="node risky sev-high" data-package="werkzeug"`).MatchString(dom) {
		t.Error("werkzeug is not highlighted in the graph")
	}
	if !strings.Contains(dom, `class="node onpath" data-package="flask"`) {
		t.Error("flask is not marked as lying on a risky path")
	}
	if n := strings.Count(dom, `class="edge risky"`); n < 3 {
		t.Errorf("%d risky edges drawn, want at least 3", n)
	}
	// Four findings rows (the ignored one is hidden by default).
	if n := strings.Count(dom, `<tr class="finding`); n != 4 {
		t.Errorf("%d finding rows, want 4", n)
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
	reddish := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			colours[c] = true
			if c.R > 150 && c.G < 80 && c.B < 80 {
				reddish++
			}
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has only %d colours: the page did not render", len(colours))
	}
	if reddish < 50 {
		t.Errorf("only %d red pixels: risky paths are not highlighted", reddish)
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
