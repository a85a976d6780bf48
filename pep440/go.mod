module github.com/pyvet/pyvet/pep440

go 1.22
