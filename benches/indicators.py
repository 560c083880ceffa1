#!/usr/bin/env python3
"""The four core indicators of casematch's shipped rules, as the short script a user
would write instead, for the side-by-side benchmark (benches/run.sh).

Usage: benches/indicators.py < profiles.ndjson > verdicts.ndjson
One compact object per profile, keys sorted, the same as benches/indicators.jq.
"""
import json
import sys

IMMEDIATE = {"wife", "husband", "partner", "son", "daughter", "child"}
CHILDREN = {"son", "daughter", "child"}


def facts(v):
    """A cited list: None (unknown), {"none": citation} (none), or a list."""
    if v is None:
        return None
    return [] if isinstance(v, dict) else v


def under_recall(p):
    r = facts(p.get("recalls"))
    if r is None:
        return "unknown"
    if not r:
        return "no"
    return "yes" if any(x.get("status") == "in_force" for x in r) else "unknown"


def under_suspicion(p):
    t = facts(p.get("troubles"))
    if t is None:
        return "unknown"
    return "yes" if t else "no"


def immediate_family_abroad(p):
    family = facts(p.get("family"))
    status = (p.get("marital_status") or {}).get("value")
    if family is None and status is None:
        return "unknown"
    members = family or []
    immediate = [m for m in members if m.get("relation") in IMMEDIATE]
    living = [m for m in immediate if m.get("location") not in ("deceased", "missing")]
    if any(m.get("location") == "ussr" for m in living):
        return "no"
    if living:
        return "unknown" if any(m.get("location") is None for m in living) else "yes"
    if immediate:
        children = any(m.get("relation") in CHILDREN for m in immediate)
        return "no" if children or status == "single" else "unknown"
    if family is not None and not family:
        return "no"
    # Single says there was no spouse; it says nothing of children.
    return "unknown"


def confided_in_outsiders(p):
    c = facts(p.get("contacts"))
    if c is None:
        return "unknown"
    if not c:
        return "no"
    if any(x.get("disclosed") is True for x in c):
        return "yes"
    if any(x.get("disclosed") is None for x in c):
        return "unknown"
    return "no"


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        p = json.loads(line)
        v = {
            "confided_in_outsiders": confided_in_outsiders(p),
            "id": p["id"],
            "immediate_family_abroad": immediate_family_abroad(p),
            "under_recall": under_recall(p),
            "under_suspicion": under_suspicion(p),
        }
        out.write(json.dumps(v, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
