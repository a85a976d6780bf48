//go:build linux

package report

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair and returns its terminal side.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot name the pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	// Drain what the table writes so the terminal's buffer never fills.
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := master.Read(buf); err != nil {
				return
			}
		}
	}()
	return tty
}

// TestTableColourOnTerminal checks the automatic mode against a real terminal
// and against a plain file.
func TestTableColourOnTerminal(t *testing.T) {
	tty := openPTY(t)
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	if !useColor(tty, ColorAuto) {
		t.Error("no colour on a terminal")
	}
	if err := Write(tty, "table", fixture(t), Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(t.TempDir() + "/out.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if useColor(f, ColorAuto) {
		t.Error("colour in a file")
	}
	if err := Write(f, "table", fixture(t), Options{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.Name())
	if strings.Contains(string(data), "\x1b[") {
		t.Error("escape codes written to a file")
	}
	t.Setenv("NO_COLOR", "1")
	if useColor(tty, ColorAuto) {
		t.Error("colour on a terminal despite NO_COLOR")
	}
}

// TestTableFitsTerminal writes the table to a pseudo-terminal 72 columns
// wide: the table takes that width from the terminal itself, in colour.
func TestTableFitsTerminal(t *testing.T) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot name the pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	defer tty.Close()
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: 72, Row: 40}); err != nil {
		t.Skipf("cannot size the pseudo-terminal: %v", err)
	}
	t.Setenv("COLUMNS", "")
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	got := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			b.Write(buf[:n])
			if err != nil || strings.Contains(b.String(), "fail the run") {
				got <- b.String()
				return
			}
		}
	}()
	if err := Write(tty, "table", manyAdvisories("/x"), Options{BaseDir: "/x"}); err != nil {
		t.Fatal(err)
	}
	out := <-got
	if !strings.Contains(out, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	plain := render(t, "table", manyAdvisories("/x"), Options{BaseDir: "/x", Width: 72})
	var widest int
	for _, l := range strings.Split(strings.ReplaceAll(stripANSI(out), "\r\n", "\n"), "\n") {
		widest = max(widest, textWidth(l))
	}
	if widest > 72 || !strings.Contains(strings.ReplaceAll(stripANSI(out), "\r\n", "\n"), strings.Split(plain, "\n")[1]) {
		t.Errorf("widest line %d on a 72-column terminal:\n%s", widest, stripANSI(out))
	}
}

// stripANSI removes the colour escapes the table writes.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
