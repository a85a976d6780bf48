#!/usr/bin/python3
"""Reference numbers for the corpus tests of pep440 and pep508.

Run with the packaging version named in README.md; the Go corpus tests
(PYVET_CORPUS=... go test ./pep440 ./pep508) must report the same numbers.

    /usr/bin/python3 scripts/pep440-vectors/corpus_check.py /work/shared/corpus
"""

import glob
import json
import os
import re
import sys
import zipfile

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version


def osv(root):
    """For every OSV advisory: each listed version must lie in one of the
    affected entry's ECOSYSTEM ranges. Counts listed versions, those that
    parse, those inside a range, and ranges with an unparsable bound."""
    z = zipfile.ZipFile(os.path.join(root, "advisories", "pypi-osv-2026-07-23.zip"))
    listed = invalid = inside = outside = 0
    bad_bounds = set()
    for name in z.namelist():
        d = json.loads(z.read(name))
        for a in d.get("affected", []):
            intervals = []
            for r in a.get("ranges", []):
                if r["type"] != "ECOSYSTEM":
                    continue
                cur = None
                for e in r["events"]:
                    if "introduced" in e:
                        cur = e["introduced"]
                    elif "fixed" in e:
                        intervals.append((cur, e["fixed"], False))
                        cur = None
                    elif "last_affected" in e:
                        intervals.append((cur, e["last_affected"], True))
                        cur = None
                if cur is not None:
                    intervals.append((cur, None, False))
            for v in a.get("versions", []):
                listed += 1
                try:
                    ver = Version(v)
                except InvalidVersion:
                    invalid += 1
                    continue
                ok = False
                for lo, hi, incl in intervals:
                    try:
                        lov = Version(lo) if lo not in (None, "0") else None
                        hiv = Version(hi) if hi is not None else None
                    except InvalidVersion:
                        bad_bounds.add((lo, hi))
                        continue
                    if lov is not None and ver < lov:
                        continue
                    if hiv is not None and (ver > hiv if incl else ver >= hiv):
                        continue
                    ok = True
                    break
                if ok:
                    inside += 1
                else:
                    outside += 1
    print(f"osv: listed={listed} invalid={invalid} inside={inside} outside={outside} bad_bounds={len(bad_bounds)}")


def requirements(root):
    reqs = []
    for dp, _, files in os.walk(os.path.join(root, "installed")):
        for f in files:
            if f in ("METADATA", "PKG-INFO"):
                with open(os.path.join(dp, f), encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        if line.startswith("Requires-Dist:"):
                            reqs.append(line[len("Requires-Dist:"):].strip())
    for p in sorted(glob.glob(os.path.join(root, "pypi-json", "**", "*.json"), recursive=True)):
        try:
            with open(p, encoding="utf-8") as fh:
                d = json.load(fh)
        except (ValueError, UnicodeDecodeError):
            continue
        info = d.get("info") if isinstance(d, dict) else None
        if info and info.get("requires_dist"):
            reqs.extend(info["requires_dist"])
    ok = 0
    for r in reqs:
        try:
            Requirement(r)
            ok += 1
        except Exception:
            pass
    print(f"requirements: total={len(reqs)} valid={ok}")
    markers = []
    for p in sorted(glob.glob(os.path.join(root, "lockfiles", "**", "uv.lock"), recursive=True)):
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                markers.extend(m.replace('\\"', '"') for m in re.findall(r'marker = "((?:[^"\\]|\\.)*)"', line))
    ok = 0
    for m in markers:
        try:
            Marker(m)
            ok += 1
        except Exception:
            pass
    print(f"uv.lock markers: total={len(markers)} valid={ok}")


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus"
    osv(root)
    requirements(root)
