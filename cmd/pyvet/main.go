// Command pyvet secures the software supply chain of Python projects: it
// inventories dependencies, audits them for known vulnerabilities and the other
// OWASP open-source risks, verifies artifacts, writes SBOMs and fixes what it can.
package main

import (
	"fmt"
	"os"

	"github.com/pyvet/pyvet/internal/finding"
)

// maxError bounds the error message main prints: errors quote excerpts of
// input, and this is the last guard against one that quotes too much.
const maxError = 1000

func main() {
	code, msg := exitStatus(newRootCmd().Execute())
	if msg != nil {
		fmt.Fprintln(os.Stderr, "pyvet:", errorLine(msg))
	}
	os.Exit(code)
}

// errorLine is err's message on one bounded line, control characters escaped.
func errorLine(err error) string { return finding.Clip(err.Error(), maxError) }
