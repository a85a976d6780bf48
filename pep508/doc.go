// Package pep508 parses PEP 508 dependency specifiers (requirement strings
// such as `requests[socks] >=2.8, <3 ; python_version >= "3.8"`) and
// evaluates environment markers, following Python's packaging library (23.0)
// token by token so that exactly the same strings are accepted and the same
// values come out.
//
// A requirement is a name, optional extras in brackets, then either a direct
// reference "@ URL" or version specifiers (optionally in parentheses), then
// an optional "; marker". Whitespace is spaces and tabs.
//
// A marker compares variables (python_version, python_full_version, os_name,
// sys_platform, platform_release, platform_system, platform_version,
// platform_machine, platform_python_implementation, implementation_name,
// implementation_version, extra) with quoted strings using ==, !=, <, <=, >,
// >=, ~=, ===, in and not in, combined with "and" (binding tighter) and "or"
// and parentheses. When the operator and the right-hand value form a valid
// PEP 440 specifier the comparison is a version comparison (pre-releases
// included); otherwise it is a string comparison. Values compared with
// "extra" are PEP 503-normalized on both sides.
package pep508
