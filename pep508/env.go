package pep508

import "strings"

// Env maps PEP 508 marker variables (python_version, sys_platform, extra,
// ...) to their values in a target environment.
type Env map[string]string

// DefaultEnv returns a complete, consistent marker environment for CPython
// pythonVersion ("3.12" or "3.12.4"; a missing patch level is 0) on
// platform "linux" (manylinux, x86_64), "darwin" (macOS, arm64) or "win32"
// (Windows, AMD64). Any other platform is treated as "linux". "extra" is "".
// Callers override single variables by assigning to the returned map.
func DefaultEnv(pythonVersion, platform string) Env {
	full := strings.TrimSpace(pythonVersion)
	parts := strings.Split(full, ".")
	short := full
	switch {
	case len(parts) == 1:
		full += ".0.0"
		short = parts[0] + ".0"
	case len(parts) == 2:
		full += ".0"
	default:
		short = parts[0] + "." + parts[1]
	}
	env := Env{
		"implementation_name":            "cpython",
		"implementation_version":         full,
		"platform_python_implementation": "CPython",
		"python_version":                 short,
		"python_full_version":            full,
		"extra":                          "",
	}
	switch platform {
	case "darwin":
		env["os_name"] = "posix"
		env["sys_platform"] = "darwin"
		env["platform_system"] = "Darwin"
		env["platform_machine"] = "arm64"
		env["platform_release"] = "23.6.0"
		env["platform_version"] = "Darwin Kernel Version 23.6.0: Mon Jul 29 21:14:30 PDT 2024; root:xnu-10063.141.2~1/RELEASE_ARM64_T6000"
	case "win32":
		env["os_name"] = "nt"
		env["sys_platform"] = "win32"
		env["platform_system"] = "Windows"
		env["platform_machine"] = "AMD64"
		env["platform_release"] = "10"
		env["platform_version"] = "10.0.19045"
	default:
		env["os_name"] = "posix"
		env["sys_platform"] = "linux"
		env["platform_system"] = "Linux"
		env["platform_machine"] = "x86_64"
		env["platform_release"] = "6.8.0"
		env["platform_version"] = "#1 SMP PREEMPT_DYNAMIC Debian 6.8.0-1 (2024-05-01)"
	}
	return env
}
