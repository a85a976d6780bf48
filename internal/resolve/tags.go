package resolve

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/pep508"
)

// Tags returns the wheel tags (PEP 425, "interpreter-abi-platform") a CPython
// target described by env accepts, most preferred first, as packaging's
// sys_tags computes them for python_version and the platform named by
// sys_platform and platform_machine: Linux (manylinux 2.5 to 2.40 and
// linux_ARCH), macOS (11 to 15 on arm64; 10.9 to 15 on x86_64) and Windows
// (win_amd64, win32, win_arm64).
func Tags(env pep508.Env) []string {
	major, minor := 3, 12
	if mj, mn, ok := strings.Cut(env["python_version"], "."); ok {
		if a, err := strconv.Atoi(mj); err == nil {
			major = a
		}
		if b, err := strconv.Atoi(mn); err == nil {
			minor = b
		}
	}
	plats := platforms(env["sys_platform"], env["platform_machine"])
	cp := fmt.Sprintf("cp%d%d", major, minor)
	var out []string
	for _, p := range plats {
		out = append(out, cp+"-"+cp+"-"+p, cp+"-abi3-"+p, cp+"-none-"+p)
	}
	for m := minor - 1; m >= 2; m-- {
		for _, p := range plats {
			out = append(out, fmt.Sprintf("cp%d%d-abi3-%s", major, m, p))
		}
	}
	for _, p := range plats {
		out = append(out, fmt.Sprintf("py%d%d-none-%s", major, minor, p), fmt.Sprintf("py%d-none-%s", major, p))
		for m := minor - 1; m >= 0; m-- {
			out = append(out, fmt.Sprintf("py%d%d-none-%s", major, m, p))
		}
	}
	out = append(out, cp+"-none-any", fmt.Sprintf("py%d%d-none-any", major, minor), fmt.Sprintf("py%d-none-any", major))
	for m := minor - 1; m >= 0; m-- {
		out = append(out, fmt.Sprintf("py%d%d-none-any", major, m))
	}
	return out
}

func platforms(sysPlatform, machine string) []string {
	switch sysPlatform {
	case "darwin":
		var out []string
		arch := "arm64"
		if machine == "x86_64" {
			arch = "x86_64"
		}
		for v := 15; v >= 11; v-- {
			out = append(out, fmt.Sprintf("macosx_%d_0_%s", v, arch), fmt.Sprintf("macosx_%d_0_universal2", v))
		}
		if arch == "x86_64" {
			for m := 16; m >= 9; m-- {
				for _, a := range []string{"x86_64", "intel", "fat64", "fat32", "universal2", "universal"} {
					out = append(out, fmt.Sprintf("macosx_10_%d_%s", m, a))
				}
			}
		}
		return out
	case "win32":
		switch strings.ToLower(machine) {
		case "arm64":
			return []string{"win_arm64"}
		case "x86", "i686":
			return []string{"win32"}
		}
		return []string{"win_amd64"}
	}
	arch := machine
	if arch == "" || arch == "AMD64" {
		arch = "x86_64"
	}
	var out []string
	for m := 40; m >= 5; m-- {
		out = append(out, fmt.Sprintf("manylinux_2_%d_%s", m, arch))
		switch m {
		case 17:
			out = append(out, "manylinux2014_"+arch)
		case 12:
			out = append(out, "manylinux2010_"+arch)
		case 5:
			out = append(out, "manylinux1_"+arch)
		}
	}
	return append(out, "linux_"+arch)
}

// WheelTags expands the compressed tag set of a wheel file name
// ("pkg-1.0-py2.py3-none-any.whl") into its tags ("py2-none-any",
// "py3-none-any"); nil when the name is not a wheel's.
func WheelTags(filename string) []string {
	base := filename
	if i := strings.LastIndexAny(base, "/\\"); i >= 0 {
		base = base[i+1:]
	}
	if !strings.HasSuffix(strings.ToLower(base), ".whl") {
		return nil
	}
	parts := strings.Split(base[:len(base)-4], "-")
	if len(parts) < 5 || len(parts) > 6 {
		return nil
	}
	py, abi, plat := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	var out []string
	for _, a := range strings.Split(py, ".") {
		for _, b := range strings.Split(abi, ".") {
			for _, c := range strings.Split(plat, ".") {
				out = append(out, strings.ToLower(a+"-"+b+"-"+c))
			}
		}
	}
	return out
}
