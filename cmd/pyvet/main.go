// Command pyvet secures the software supply chain of Python projects: it
// inventories dependencies, audits them for known vulnerabilities and the other
// OWASP open-source risks, verifies artifacts, writes SBOMs and fixes what it can.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	err := newRootCmd().Execute()
	if err == nil {
		return
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.err != nil {
			fmt.Fprintln(os.Stderr, "pyvet:", ex.err)
		}
		os.Exit(ex.code)
	}
	fmt.Fprintln(os.Stderr, "pyvet:", err)
	os.Exit(2)
}
