// Package pep440 parses, normalizes and orders Python package versions and
// evaluates version specifiers, following PEP 440 exactly as the reference
// implementation, Python's packaging library (23.0), does.
//
// # Versions
//
// Parse accepts every spelling packaging accepts: surrounding whitespace, a
// leading "v", any letter case, "-", "_" or "." separators (or none) before
// and inside pre, post and dev segments, the alternate spellings alpha, beta,
// c, pre, preview (pre-releases) and rev, r (post-releases), implicit post
// releases ("1.0-1"), omitted numbers (as 0), epochs ("1!2.0") and local
// labels ("1.0+ubuntu-1"). Numbers may carry leading zeros and have any size;
// they are never converted to machine integers, so nothing overflows.
//
// String returns the normalized form ("1.0-1" gives "1.0.post1").
// Compare orders versions as packaging does: by epoch, then release with
// trailing zeros ignored (1.0 == 1.0.0), then dev-only releases before
// pre-releases (a < b < rc) before the final release before post-releases,
// dev releases before their parent, and finally local labels (none first;
// numeric parts above alphanumeric parts; alphanumeric parts compared as
// lower-case strings; a shorter label first when it is a prefix).
//
// Each Version carries a precomputed byte-comparable key, so Compare is a
// single string comparison and never allocates.
//
// # Specifiers
//
// ParseSpecifierSet parses comma-separated clauses with the operators ~=,
// ==, !=, <, <=, >, >= and ===. "==" and "!=" accept a ".*" prefix wildcard
// and local labels; "~=" requires at least two release components; "<",
// "<=", ">", ">=" and "~=" refuse local labels; "===" compares strings
// case-insensitively. The exclusive operators follow PEP 440: ">1.7" does not
// contain 1.7.post1 nor 1.7+local, "<1.7" does not contain 1.7a1.
//
// Contains applies packaging's default pre-release rule: a pre-release or
// dev release is contained only when a clause of the set mentions a
// pre-release with an inclusive operator (==, >=, <=, ~=, ===).
// ContainsPrereleases forces the choice either way.
package pep440
