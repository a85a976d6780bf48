#!/usr/bin/python3
"""Generate differential test vectors for the pep440 and pep508 packages.

The expected results come from Python's `packaging` library (the version
installed for /usr/bin/python3; see README.md). Inputs are produced from a
grammar of every spelling packaging accepts, mutations of it (for invalid
cases), and real version strings from an OSV advisory export.

Usage:
    /usr/bin/python3 scripts/pep440-vectors/gen.py \
        [--advisories /work/shared/corpus/advisories/pypi-osv-2026-07-23.zip] \
        [--out pep440/testdata/vectors] [--out508 pep508/testdata/vectors] [--seed 440]
"""

import argparse
import functools
import json
import os
import random
import sys
import zipfile

import packaging
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

R = random.Random()

# ---------------------------------------------------------------- versions

SEPS = ["", ".", "-", "_"]
PRE_WORDS = ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview"]
POST_WORDS = ["post", "rev", "r"]


def rand_case(s):
    r = R.random()
    if r < 0.7:
        return s
    if r < 0.85:
        return s.upper()
    return "".join(c.upper() if R.random() < 0.5 else c for c in s)


def rand_num(small=False):
    r = R.random()
    if r < 0.5:
        return str(R.randint(0, 3))
    if r < 0.75:
        return str(R.randint(0, 20))
    if r < 0.85 and not small:
        return "0" * R.randint(1, 3) + str(R.randint(0, 99))
    if r < 0.93:
        return str(R.randint(0, 2025))
    if small:
        return str(R.randint(0, 9))
    return str(R.randint(10**18, 10**30))  # beyond 64 bits


def gen_local():
    parts = []
    for _ in range(R.randint(1, 4)):
        if R.random() < 0.45:
            parts.append(rand_num())
        else:
            parts.append(
                rand_case("".join(R.choice("abcdefxyz0123456789") for _ in range(R.randint(1, 6))))
            )
    out = parts[0]
    for p in parts[1:]:
        out += R.choice([".", "-", "_"]) + p
    return out


def gen_version():
    s = ""
    if R.random() < 0.05:
        s += R.choice([" ", "  ", "\t", "\n", "\x0b"])
    if R.random() < 0.08:
        s += R.choice(["v", "V"])
    if R.random() < 0.12:
        s += rand_num() + "!"
    s += ".".join(rand_num() for _ in range(R.choice([1, 1, 2, 2, 2, 3, 3, 3, 4, 5])))
    if R.random() < 0.3:
        s += R.choice(SEPS) + rand_case(R.choice(PRE_WORDS))
        if R.random() < 0.8:
            s += R.choice(SEPS) + rand_num(True)
    if R.random() < 0.25:
        if R.random() < 0.3:
            s += "-" + rand_num(True)
        else:
            s += R.choice(SEPS) + rand_case(R.choice(POST_WORDS))
            if R.random() < 0.8:
                s += R.choice(SEPS) + rand_num(True)
    if R.random() < 0.25:
        s += R.choice(SEPS) + rand_case("dev")
        if R.random() < 0.8:
            s += R.choice(SEPS) + rand_num(True)
    if R.random() < 0.15:
        s += "+" + gen_local()
    if R.random() < 0.05:
        s += R.choice([" ", "\t", "\n", " \n"])
    return s


MUT_CHARS = "0123456789.-_+!*vVaAbBcrRpPoOsStTdDeEiIwlh \t~=<>;()@,'\"[]xyz\u00e9\u0131\u017f\u212a\u00a0"


def mutate(s):
    s = list(s)
    for _ in range(R.randint(1, 3)):
        op = R.random()
        i = R.randint(0, len(s))
        if op < 0.4 or not s:
            s.insert(i, R.choice(MUT_CHARS))
        elif op < 0.7:
            del s[min(i, len(s) - 1)]
        else:
            s[min(i, len(s) - 1)] = R.choice(MUT_CHARS)
    return "".join(s)


FIXED_VERSIONS = [
    "1.0", "1.0.0", "1", "v1", "V1.0", " 1.0 ", "1.0-1", "1.0_1", "1.0.1-1", "1.0-r", "1.0r1", "1.0rev2",
    "1.0a", "1.0a-", "1.0.a.", "1.0-a-1", "1.0alpha1", "1.0ALPHA", "1.0beta", "1.0c1", "1.0pre",
    "1.0preview1", "1.0rc", "1.0-dev", "1.0dev", "1.0.dev", "1.0_dev_3", "1.0.post", "1.0post",
    "1.0-post-1", "1.0.post1.dev2", "1.0a1.post2.dev3", "1.0a1-1", "1!1.0", "01!01.00", "0!0",
    "1.0+abc", "1.0+ABC", "1.0+abc.5", "1.0+abc-5_x", "1.0+5", "1.0+05", "1.0+", "1.0+.a", "1.0+a.",
    "1.0+a..b", "1.0.", ".1", "1..0", "1.0.*", "1.0 .1", "1.0-", "1.0--1", "1.0a--1", "1.0.-1",
    "1.0a.dev", "1.0a.post", "1.0post.dev", "1.0-1-1", "1.0-1.dev", "1.0+local+local", "",
    " ", "a", "v", "1!", "!1", "1!2!3", "1.0a1b1", "1.0a1rc1", "1.0.post1.post2", "1.0.dev1.dev2",
    "1.0\n", "1.0\n\n", "\n1.0", "1.0\x0c", "1.0\x1c", "1.0\u3000", "\u00a01.0", "1.0\u200b",
    "1.0poſt1", "1.0+K", "1.0preview", "1.0prev", "1.0-preview-", "1.0.0.0.0", "0.0", "0",
    "99999999999999999999999999999999.0", "1.0.dev99999999999999999999999999",
    "1.0+99999999999999999999999999999999", "1.0a0", "1.0b0", "1.0rc0", "1.0.post0", "1.0.dev0",
    "1.0rc1.post1", "1.0RC1", "1.0.RC1", "1.0-rc.1", "1.0_rc_1", "1.0 rc1", "1.0.c1", "1.0r",
    "1.0-r1", "1.0.r.1", "1.4.5.c1", "1.4.5c1", "1.4.5.pre1", "1.4.5.RC1", "1.4.5.A1", "1.4.pre.1",
    "1.4.5.r.1", "2.0.*", "1!2.0", "1!2.0.1", "1!0", "1!0.0.1", "1.0+abc.DEF.07",
]


def advisory_ranges(path, n):
    """Specifier sets built from advisories' ECOSYSTEM ranges (">=introduced,
    <fixed" or "<=last_affected"), each with the versions the advisory lists
    and the range bounds."""
    out = []
    if not path or not os.path.exists(path):
        return out
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        for name in R.sample(names, min(n, len(names))):
            d = json.loads(z.read(name))
            for a in d.get("affected", []):
                for r in a.get("ranges", []):
                    if r.get("type") != "ECOSYSTEM":
                        continue
                    cur = None
                    for e in r.get("events", []):
                        spec = None
                        if "introduced" in e:
                            cur = e["introduced"]
                        elif "fixed" in e or "last_affected" in e:
                            hi = e.get("fixed") or e.get("last_affected")
                            op = "<" if "fixed" in e else "<="
                            spec = (f">={cur}," if cur not in (None, "0") else "") + op + hi
                            cur = None
                        if spec:
                            out.append((spec, a.get("versions", [])))
                    if cur is not None:
                        out.append((f">={cur}" if cur != "0" else "", a.get("versions", [])))
    return out


def advisory_versions(path):
    out = set()
    if not path or not os.path.exists(path):
        return []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith(".json"):
                continue
            d = json.loads(z.read(name))
            for a in d.get("affected", []):
                out.update(a.get("versions", []))
                for r in a.get("ranges", []):
                    if r.get("type") != "ECOSYSTEM":
                        continue
                    for e in r.get("events", []):
                        out.update(e.values())
    return sorted(out)


def try_version(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


def version_case(s):
    v = try_version(s)
    if v is None:
        return {"in": s, "valid": False}
    return {
        "in": s,
        "valid": True,
        "norm": str(v),
        "pre": v.is_prerelease,
        "post": v.is_postrelease,
        "dev": v.is_devrelease,
        "local": v.local or "",
        "public": v.public,
        "base": v.base_version,
        "epoch": str(v.epoch),
        "release": [str(x) for x in v.release],
    }


# -------------------------------------------------------------- specifiers

OPS = ["~=", "==", "!=", "<=", ">=", "<", ">", "==="]
BAD_OPS = ["=", "<>", "=>", "=<", "~", "!", "====", "~==", ""]


def spec_version_text():
    r = R.random()
    if r < 0.55:
        return gen_version().strip()
    if r < 0.7:
        return R.choice(FIXED_VERSIONS).strip()
    if r < 0.85:
        base = ".".join(rand_num(True) for _ in range(R.randint(1, 4)))
        if R.random() < 0.15:
            base = rand_num(True) + "!" + base
        if R.random() < 0.1:
            base = "v" + base
        return base + ".*"
    if r < 0.9:
        return mutate(gen_version().strip())
    return R.choice(["foo", "1.0.*+local", "1.*.0", "*", "1.0a1.*", "latest", "1.0-dev.*", "v", ""])


def gen_specifier():
    op = R.choice(OPS) if R.random() < 0.95 else R.choice(BAD_OPS)
    ws1 = R.choice(["", "", "", " ", "  ", "\t"])
    ws0 = R.choice(["", "", "", " "])
    ws2 = R.choice(["", "", "", " "])
    return ws0 + op + ws1 + spec_version_text() + ws2


def gen_specifier_set():
    r = R.random()
    if r < 0.03:
        return R.choice(["", " ", ",", " , ", ",,"])
    n = R.choice([1, 1, 1, 2, 2, 3])
    items = [gen_specifier() for _ in range(n)]
    if R.random() < 0.05:
        items.insert(R.randint(0, len(items)), "")
    if R.random() < 0.05:
        items.append(items[0])  # duplicate
    return R.choice([",", ", ", " ,", ","]).join(items)


def neighbours(vtext):
    """Versions around a specifier's version, where the rules bite."""
    out = []
    v = try_version(vtext.rstrip("*").rstrip("."))
    if v is None:
        return out
    base = v.base_version
    rel = list(v.release)
    cands = [
        str(v), base, base + ".0", base + ".0.0", base + "a1", base + "b2", base + "rc1", base + ".dev0",
        base + ".post1", base + ".post1.dev1", base + "+local", base + "+1", str(v) + "+abc.1",
        base + "a1.post1", base + ".0.1", base + ".1", base + "-1",
    ]
    if v.epoch:
        cands.append(base.split("!", 1)[1])
    else:
        cands.append("1!" + base)
    for i in range(len(rel)):
        up = rel[:]
        up[i] += 1
        cands.append(".".join(map(str, up)))
        cands.append(".".join(map(str, up[: i + 1])))
        if rel[i] > 0:
            dn = rel[:]
            dn[i] -= 1
            cands.append(".".join(map(str, dn)))
            cands.append(".".join(map(str, dn)) + ".post3")
    cands.append(".".join(map(str, rel[:-1] or [0])))
    if v.pre:
        cands.append(base + v.pre[0] + str(v.pre[1] + 1))
        cands.append(base + ".dev5")
    out.extend(cands)
    return out


def prereleases_of(ss):
    """SpecifierSet.prereleases, made deterministic. packaging computes
    any(s.prereleases for s in <frozenset>); a "===" clause whose version is
    not PEP 440 raises there, so whether it raises or answers True depends on
    the set's iteration order (the string hash seed). We record the answer
    packaging gives whenever it does not raise: True when some clause
    mentions a pre-release, else "error" when some clause raises."""
    if not len(ss):
        return None
    vals = []
    for sp in sorted(ss, key=str):
        try:
            vals.append(sp.prereleases)
        except Exception:
            vals.append("error")
    if True in vals:
        return True
    if "error" in vals:
        return "error"
    return False


def contains_row(ss, versions):
    res = {"none": "", "true": "", "false": "", "filter": []}
    default = prereleases_of(ss)
    for key, pre in (("none", default), ("true", True), ("false", False)):
        s = ""
        for vs in versions:
            try:
                if pre == "error":
                    raise ValueError("prereleases raises")
                s += "1" if ss.contains(Version(vs), prereleases=pre) else "0"
            except Exception:
                s += "E"
        res[key] = s
    try:
        if default == "error":
            raise ValueError("prereleases raises")
        vs = [Version(x) for x in versions]
        kept = list(ss.filter(vs, prereleases=default))
        res["filter"] = [i for i, v in enumerate(vs) if any(v is k for k in kept)]
    except Exception:
        res["filter"] = None
    return res


# ----------------------------------------------------------------- markers

VARIABLES = [
    "python_version", "python_full_version", "os_name", "os.name", "sys_platform", "sys.platform",
    "platform_release", "platform_system", "platform_version", "platform.version", "platform_machine",
    "platform.machine", "platform_python_implementation", "platform.python_implementation",
    "python_implementation", "implementation_name", "implementation_version", "extra",
]
BAD_VARIABLES = ["platform.release", "python_versions", "Python_version", "foo", "extra_", "os-name"]
MARKER_OPS = ["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in", "not  in"]
BAD_MARKER_OPS = ["=", "<>", "notin", "is", "IN", "not\tin"]

VALUES = {
    "python_version": ["3.8", "3.11", "3.12", "3", "3.10", "2.7", "3.13", "3.11.*", "3.1"],
    "python_full_version": ["3.11.4", "3.12.0", "3.8.10", "3.11", "3.12.0rc1", "3.11.*", "3.12.0b1"],
    "os_name": ["posix", "nt", "java"],
    "sys_platform": ["linux", "win32", "darwin", "cygwin", "linux2", "lin"],
    "platform_release": ["6.8.0", "5.4", "10", "23.6.0", "6.8.0-1-amd64", "22"],
    "platform_system": ["Linux", "Windows", "Darwin", "linux", "Java"],
    "platform_version": ["10.0.19045", "#1 SMP", "Darwin Kernel Version 23.6.0"],
    "platform_machine": ["x86_64", "AMD64", "arm64", "aarch64", "i686", "x86"],
    "platform_python_implementation": ["CPython", "PyPy", "cpython"],
    "python_implementation": ["CPython", "PyPy"],
    "implementation_name": ["cpython", "pypy"],
    "implementation_version": ["3.11.4", "3.12.0", "3.8"],
    "extra": ["test", "Test", "tests", "security", "Sec_Urity", "sec.urity", "dev-tools", "DEV__tools", ""],
}


def quote(v):
    r = R.random()
    if "'" in v and '"' in v:
        return '"' + v.replace('"', "") + '"'
    if "'" in v:
        return '"' + v + '"'
    if '"' in v:
        return "'" + v + "'"
    return ("'" if r < 0.5 else '"') + v + ("'" if r < 0.5 else '"')


def ws():
    return R.choice(["", "", " ", " ", "  ", "\t"])


def gen_marker_item():
    var = R.choice(VARIABLES) if R.random() < 0.97 else R.choice(BAD_VARIABLES)
    key = var.replace(".", "_")
    vals = VALUES.get(key) or VALUES.get("python_version")
    val = R.choice(vals)
    if R.random() < 0.08:
        val = R.choice(["", "x y", "3.8 ", " 3.8", "a\\tb", "\\x41", "\\u00e9", "it's", "\\'", "\\n"])
    r = R.random()
    if r < 0.1:
        op = R.choice(["in", "not in"])
        val = R.choice([val, "linux win32", "3.8 3.9 3.10", "CPython PyPy", val + " x"])
    elif r < 0.97:
        op = R.choice(MARKER_OPS)
    else:
        op = R.choice(BAD_MARKER_OPS)
    left, right = var, quote(val)
    if R.random() < 0.2:
        left, right = right, left
    if R.random() < 0.03:
        left = quote(R.choice(["3.8", "linux", "a"]))
        right = quote(R.choice(["3.8", "linux", "a"]))
    if R.random() < 0.02:
        right = R.choice(VARIABLES)
        left = R.choice(VARIABLES)
    sp1 = ws() if op[0] in "=!<>~" else R.choice([" ", " ", "  ", "\t", ""])
    sp2 = ws() if op[0] in "=!<>~" else R.choice([" ", " ", "  ", ""])
    return ws() + left + sp1 + op + sp2 + right + ws()


def gen_marker(depth=0):
    n = R.choice([1, 1, 1, 2, 2, 3]) if depth < 2 else 1
    parts = []
    for i in range(n):
        if depth < 2 and R.random() < 0.2:
            atom = ws() + "(" + gen_marker(depth + 1) + ")" + ws()
        else:
            atom = gen_marker_item()
        if i > 0:
            boolop = R.choice(["and", "or"]) if R.random() < 0.97 else R.choice(["AND", "&&", "Or", "xor"])
            parts.append(boolop)
        parts.append(atom)
    out = ""
    for p in parts:
        if p in ("and", "or", "AND", "&&", "Or", "xor"):
            out += R.choice([" ", " ", "  ", "\t", ""]) + p + R.choice([" ", " ", ""])
        else:
            out += p
    if R.random() < 0.05:
        out = mutate(out)
    if R.random() < 0.02:
        out += R.choice([" junk", " and", ";", ")", " ("])
    return out


def envs():
    """The environments markers are evaluated in. Each must equal the Go
    pep508.DefaultEnv(python, platform) (plus the extra), which the Go test
    checks."""
    out = []
    plats = {
        "linux": {
            "os_name": "posix", "sys_platform": "linux", "platform_system": "Linux",
            "platform_machine": "x86_64", "platform_release": "6.8.0",
            "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.8.0-1 (2024-05-01)",
        },
        "darwin": {
            "os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin",
            "platform_machine": "arm64", "platform_release": "23.6.0",
            "platform_version": "Darwin Kernel Version 23.6.0: Mon Jul 29 21:14:30 PDT 2024; root:xnu-10063.141.2~1/RELEASE_ARM64_T6000",
        },
        "win32": {
            "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
            "platform_machine": "AMD64", "platform_release": "10", "platform_version": "10.0.19045",
        },
    }
    for plat, py, extra in (
        ("linux", "3.11", ""), ("darwin", "3.12.1", "security"), ("win32", "3.8", "Dev_Tools"),
        ("linux", "3.13", "test"),
    ):
        full = py if py.count(".") == 2 else py + ".0"
        short = ".".join(py.split(".")[:2])
        env = {
            "implementation_name": "cpython", "implementation_version": full,
            "platform_python_implementation": "CPython", "python_version": short,
            "python_full_version": full, "extra": "",
        }
        env.update(plats[plat])
        out.append({"platform": plat, "python": py, "extra": extra, "env": env})
    return out


def eval_marker(m, env):
    try:
        return "t" if m.evaluate(env) else "f"
    except Exception:
        return "e"


def marker_case(s, environments):
    try:
        m = Marker(s)
    except Exception as e:  # InvalidMarker, and SyntaxError/ValueError from literal_eval
        return {"in": s, "valid": False, "error": type(e).__name__}
    row = {"in": s, "valid": True, "str": str(m), "eval": ""}
    for e in environments:
        env = dict(e["env"])
        env["extra"] = e["extra"]
        row["eval"] += eval_marker(m, env)
    return row


# ------------------------------------------------------------ requirements

NAMES = ["requests", "Django", "zope.interface", "ruamel_yaml", "typing-extensions", "a", "A1", "x_.-y",
         "pkg-", "-pkg", "pkg.", "1pkg", "pkg name", "pkg\u00e9", "_pkg", "p"]
URLS = ["https://example.com/pkg-1.0.tar.gz", "git+https://github.com/o/r.git@v1.0#egg=r",
        "file:///tmp/pkg.whl", "file:/tmp/pkg.whl", "file://localhost/tmp/x", "file:///tmp/a?", "file:///a;b",
        "file:///a;", "file://", "file:", "FILE:///x", "./local/path", "/abs/path", "C:\\pkg",
        "https:///nohost", "http://[::1]/x", "http://[::1/x", "http://[1.2.3.4]/x", "http://u:p@host:80/x",
        "ssh://git@github.com/o/r", "git+ssh://git@github.com/o/r.git", "https://host", "https://host/a;b?c#d",
        "https://[v1.x]/", "https://[vz.x]/", "http://x]/", "\x01https://x/y", "https://x/y\x7f"]


VALID_SPECS = []
VALID_MARKERS = []


def req_spec():
    if VALID_SPECS and R.random() < 0.7:
        return R.choice(VALID_SPECS)
    if R.random() < 0.5:
        return gen_specifier_set()
    return ",".join(R.choice(OPS[1:7]) + ws() + gen_version().strip() for _ in range(R.randint(1, 2)))


def req_marker():
    if VALID_MARKERS and R.random() < 0.7:
        return R.choice(VALID_MARKERS)
    return gen_marker()


def gen_requirement():
    name = R.choice(NAMES) if R.random() < 0.9 else mutate(R.choice(NAMES))
    s = ws() + name + ws()
    if R.random() < 0.3:
        ex = [R.choice(["security", "socks", "Dev_Tools", "a.b", "x", "test", "bad name", ""])
              for _ in range(R.randint(0, 3))]
        inner = R.choice([",", ", ", " ,"]).join(ex)
        if R.random() < 0.05:
            inner = inner.replace(",", " ")
        s += "[" + ws() + inner + ws() + "]" + ws()
    r = R.random()
    if r < 0.2:
        s += "@" + ws() + R.choice(URLS)
        if R.random() < 0.4:
            s += R.choice([" ", "", "\t"]) + ";" + ws() + req_marker()
    elif r < 0.85:
        spec = req_spec()
        if R.random() < 0.3:
            spec = "(" + ws() + spec + ws() + ")"
        s += spec
        if R.random() < 0.35:
            s += ws() + ";" + ws() + req_marker()
    else:
        if R.random() < 0.5:
            s += ";" + ws() + req_marker()
    if R.random() < 0.05:
        s = mutate(s)
    if R.random() < 0.03:
        s += R.choice(["\n", " ", "\t", " #comment", ";"])
    return s


def requirement_case(s):
    try:
        r = Requirement(s)
    except Exception as e:  # InvalidRequirement and the ValueError urllib raises
        return {"in": s, "valid": False, "error": type(e).__name__}
    return {
        "in": s,
        "valid": True,
        "name": r.name,
        "extras": sorted(r.extras),
        "specifier": str(r.specifier),
        "url": r.url or "",
        "marker": str(r.marker) if r.marker else "",
        "str": str(r),
    }


# -------------------------------------------------------------------- main


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    size = os.path.getsize(path)
    print(f"{path}: {size} bytes", file=sys.stderr)
    if size > 1_000_000:
        print(f"warning: {path} exceeds 1 MB", file=sys.stderr)


def uniq(seq):
    seen = set()
    out = []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--advisories", default="/work/shared/corpus/advisories/pypi-osv-2026-07-23.zip")
    ap.add_argument("--out", default="pep440/testdata/vectors")
    ap.add_argument("--out508", default="pep508/testdata/vectors")
    ap.add_argument("--seed", type=int, default=440)
    args = ap.parse_args()
    R.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.out508, exist_ok=True)
    meta = {"packaging": packaging.__version__, "python": sys.version.split()[0], "seed": args.seed}

    adv = advisory_versions(args.advisories)
    print(f"{len(adv)} advisory version strings", file=sys.stderr)

    # Versions: parse, normalize, attributes.
    gen = [gen_version() for _ in range(4000)]
    bad = [mutate(gen_version()) for _ in range(2500)]
    adv_sample = R.sample(adv, min(len(adv), 3500)) if adv else []
    inputs = uniq(FIXED_VERSIONS + gen + bad + adv_sample)
    cases = [version_case(s) for s in inputs]
    half = len(cases) // 2
    dump(os.path.join(args.out, "versions-0.json"), {"meta": meta, "cases": cases[:half]})
    dump(os.path.join(args.out, "versions-1.json"), {"meta": meta, "cases": cases[half:]})

    # Ordering: a pool ranked by packaging; equal versions share a rank.
    pool = uniq([s for s in FIXED_VERSIONS + gen[:1500] + adv_sample[:1500] if try_version(s) is not None])
    parsed = sorted(((Version(s), s) for s in pool), key=lambda t: t[0])
    ranks, rank = [], 0
    for i, (v, s) in enumerate(parsed):
        if i > 0 and v != parsed[i - 1][0]:
            rank += 1
        ranks.append(rank)
    dump(os.path.join(args.out, "order.json"), {"meta": meta, "versions": [s for _, s in parsed], "ranks": ranks})

    # Specifier sets: validity, normalized string, prerelease flag.
    sets = uniq([gen_specifier_set() for _ in range(6000)] + [gen_specifier() for _ in range(3000)])
    rows = []
    valid_sets = []
    for s in sets:
        try:
            ss = SpecifierSet(s)
        except InvalidSpecifier:
            rows.append({"in": s, "valid": False})
            continue
        valid_sets.append(s)
        rows.append({
            "in": s, "valid": True, "str": str(ss), "prereleases": prereleases_of(ss),
            "specs": sorted([[sp.operator, sp.version] for sp in ss], key=lambda p: p[0] + p[1]),
        })
    dump(os.path.join(args.out, "specifiers.json"), {"meta": meta, "cases": rows})

    # Containment, in several files to keep each small.
    vpool = [s for s in pool]
    chunks = [[], [], [], []]
    for i, s in enumerate(valid_sets[:3200]):
        ss = SpecifierSet(s)
        vs = []
        for sp in sorted(ss, key=str):
            vs.extend(neighbours(sp.version))
        vs.extend(R.sample(vpool, 12))
        vs = uniq([x for x in vs if try_version(x) is not None])[:32]
        row = {"spec": s, "versions": vs}
        row.update(contains_row(ss, vs))
        chunks[i % 4].append(row)
    for i, rows in enumerate(chunks):
        dump(os.path.join(args.out, f"contains-{i}.json"), {"meta": meta, "cases": rows})

    # Real advisory ranges against the versions the advisories list.
    rows = []
    for spec, listed in advisory_ranges(args.advisories, 700):
        try:
            ss = SpecifierSet(spec)
        except InvalidSpecifier:
            continue
        vs = [x for x in listed if try_version(x) is not None]
        if len(vs) > 24:
            vs = R.sample(vs, 24)
        for sp in sorted(ss, key=str):
            vs.extend(neighbours(sp.version)[:8])
        vs = uniq([x for x in vs if try_version(x) is not None])
        row = {"spec": spec, "versions": vs}
        row.update(contains_row(ss, vs))
        rows.append(row)
    dump(os.path.join(args.out, "contains-osv.json"), {"meta": meta, "cases": rows})
    VALID_SPECS.extend(valid_sets)

    # Markers.
    environments = envs()
    markers = uniq([gen_marker() for _ in range(4000)] + [
        'python_version >= "3.8"', "extra == 'Sec_Urity'", "'security' == extra", "os_name == 'nt' junk",
        "(os_name == 'nt')", "((os_name == 'nt') and (extra == 'A'))", "python_version in '3.8 3.9'",
        "platform_release >= '5'", "'a' == 'a'", "extra == extra", "python_version ~= '3.8'",
        "python_version === '3.11'", "os_name ~= 'posix'", "os_name === 'posix'", "'\\N{DASH}' == extra",
        "os_name == '\\'", "os_name=='a' or os_name=='b' and os_name=='c'", "os_name < 'posiz'",
        "implementation_version >= '3.11.0b1'", "python_full_version < '3.12.0rc1'",
    ])
    for m in markers:
        try:
            Marker(m)
            VALID_MARKERS.append(m)
        except Exception:
            pass
    dump(os.path.join(args.out508, "markers.json"),
         {"meta": meta, "envs": environments, "cases": [marker_case(s, environments) for s in markers]})

    reqs = uniq([gen_requirement() for _ in range(6000)] + [
        "pip@ https://x/y", "pip [a,b] (>=1.0, <2) ; os_name=='a'", "pip\n", "a@ file:/x",
        "x @ https://[::1/a", "name", "name ", "name[]", "name[ ]", "name[a b]", "name[a,]", "name[,a]",
        "name (==1.0", "name ==1.0)", "name==1.0abc", "name>=1.0.*", "name~=1", "name===foo bar",
        "name @ https://x/y ;os_name=='a'", "name @ https://x/y;os_name=='a'", "name;", "name ; ",
        "name==1.0;", "name(==1.0)", "name (>=1.0)(<2)", "name>=1,<2,", "name>=1,,<2", "name!=1.0.*",
        "name==1.0+local", "name<1.0+local", "name @", "name @ ", "na$me", "name==1.0 \n", "name\n\n",
    ])
    dump(os.path.join(args.out508, "requirements.json"),
         {"meta": meta, "cases": [requirement_case(s) for s in reqs]})


if __name__ == "__main__":
    main()
