module github.com/pyvet/pyvet/pep508

go 1.22

require github.com/pyvet/pyvet/pep440 v0.1.0

// Development: build against the pep440 directory of this repository.
// Replace directives apply only when pep508 is the main module, so users of
// pep508 get the pep440 version required above.
replace github.com/pyvet/pyvet/pep440 => ../pep440
