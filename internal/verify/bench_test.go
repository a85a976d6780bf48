package verify

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// benchVenv builds an environment with n recorded files of 4 KiB each.
func benchVenv(b *testing.B, n int) string {
	venv := b.TempDir()
	sp := filepath.Join(venv, "lib", "python3.12", "site-packages")
	var rec strings.Builder
	content := strings.Repeat("x = 1\n", 700)
	for i := range n {
		p := fmt.Sprintf("big/mod%04d.py", i)
		writeB(b, filepath.Join(sp, p), content)
		fmt.Fprintf(&rec, "%s,%s,%d\n", p, recordHash([]byte(content)), len(content))
	}
	meta := "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n"
	writeB(b, filepath.Join(sp, "big-1.0.dist-info", "METADATA"), meta)
	fmt.Fprintf(&rec, "big-1.0.dist-info/METADATA,%s,%d\n", recordHash([]byte(meta)), len(meta))
	rec.WriteString("big-1.0.dist-info/RECORD,,\n")
	writeB(b, filepath.Join(sp, "big-1.0.dist-info", "RECORD"), rec.String())
	return venv
}

func BenchmarkCheckEnv1000Files(b *testing.B) {
	venv := benchVenv(b, 1000)
	for b.Loop() {
		rep, err := CheckEnv(venv)
		if err != nil || len(rep.Problems) != 0 {
			b.Fatal(err, rep.Problems)
		}
	}
}

func BenchmarkHashFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.whl")
	writeB(b, p, strings.Repeat("a", 1<<20))
	b.SetBytes(1 << 20)
	for b.Loop() {
		if _, err := HashFile(p, []string{"sha256"}); err != nil {
			b.Fatal(err)
		}
	}
}
