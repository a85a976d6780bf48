// Package resolve selects the versions pip would install for a set of
// requirements in one target environment, using PubGrub.
//
// # Why PubGrub
//
// pip uses resolvelib, a backtracking search that undoes its most recent
// choices when it meets a conflict and, since pip 21, "backjumps" a little
// further; when it gives up, it reports the last conflicting pair, not why
// the whole set is impossible. PubGrub (Natalie Weizenbaum's algorithm, used
// by Dart's pub, uv and Poetry) learns an incompatibility from every
// conflict, jumps straight back to the decision that caused it, and keeps
// the derivation: on failure it explains, from the requirements given, why
// no solution exists. Both pick the newest allowed version of each package
// first, so on a satisfiable input they agree on what pip installs whenever
// the newest-first choice is not ambiguous; the explanation and the bounded
// work on conflict-heavy inputs decided the choice.
//
// # Terms as bit sets
//
// A package's versions are known once its index page is read, so a PubGrub
// term is a bit set over them, plus one bit for "not selected" (a negative
// term includes it). Intersection, union, complement and the subset tests
// PubGrub's unit propagation needs are word operations; specifiers are
// evaluated once per requirement with the pep440 package.
//
// # What the resolver honours
//
//   - Markers of every requirement, evaluated in Options.Env (pep508).
//   - Extras as virtual packages "name[extra]" that depend on the project at
//     the same version, so a project required with and without extras, or
//     with several, gets one version; an extra the release does not provide
//     adds nothing (as pip and uv do).
//   - Requires-Python of every file (the index's attribute) and of the
//     release's metadata, against python_full_version.
//   - Pre-releases by Options.Prereleases: pip's per-requirement rule by
//     default, uv's "if necessary or explicit", or all.
//   - Yanked releases (PEP 592): skipped unless a root requirement or
//     constraint pins the version exactly with == or ===.
//   - Local versions, post releases and exclusive operators as PEP 440 says.
//   - Wheel tags of the target (Tags): a release with no compatible wheel
//     and no sdist is not installable; --no-binary / --no-build per project.
//
// A resolution that cannot be completed because the index could not be read
// is an *IncompleteError naming the projects; an impossible one is a
// *NoSolutionError with the derivation. Neither returns a graph.
//
// Index is the Provider for a package index (internal/pypi: the Simple API,
// PEP 658/714 metadata files, the JSON API as a fallback, the on-disk cache
// and offline mode).
package resolve
