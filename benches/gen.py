#!/usr/bin/env python3
"""Synthetic NDJSON profiles for benchmarks, derived from the 20 historical cases.

Usage: benches/gen.py [--unique] COUNT [SEED] > profiles.ndjson

Profile i starts from case i mod 20, gets the id `<case>-<i>` and a numbered name, and
each of its fact fields is, with probability 1/2, taken from another case chosen at
random (or dropped, when that case is silent on it): the facts are shuffled between
cases, so the rules meet combinations the study never had, while every fact still
carries a real citation. With --unique, every free-text value (a place, a post, what was
feared, a note...) also gets the profile's number, so no two profiles read alike: the
worst case for remembered answers (see docs/performance.md). Deterministic for a given COUNT and SEED. A bench helper, not a
test: write its output under target/ or /tmp, never into the repository.
"""
import glob
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "fixtures", "cases", "*.json")
# Fields whose text is free (not an enumeration or a date), at any depth.
FREE = {"place", "country", "establishment", "post", "agency", "protection", "note",
        "nationality", "who", "outcome", "of", "what", "event"}


def numbered(v, i):
    """`v` with every free-text string suffixed with ` (i)`."""
    if isinstance(v, list):
        return [numbered(x, i) for x in v]
    if isinstance(v, dict):
        return {k: (f"{x} ({i})" if k in FREE and isinstance(x, str) else numbered(x, i))
                for k, x in v.items()}
    return v


def main():
    args = sys.argv[1:]
    unique = "--unique" in args
    args = [a for a in args if a != "--unique"]
    count = int(args[0])
    rng = random.Random(int(args[1]) if len(args) > 1 else 1955)
    cases = [json.load(open(p)) for p in sorted(glob.glob(CASES))]
    fields = sorted({k for c in cases for k in c if k not in ("id", "name")})
    # Each field of each case serialised once; profiles are put together from fragments.
    frag = [
        {k: json.dumps(v, ensure_ascii=False, separators=(",", ":")) for k, v in c.items()}
        for c in cases
    ]
    out = sys.stdout
    buf = []
    for i in range(count):
        base = i % len(cases)
        parts = [
            '"id":' + json.dumps(f"{cases[base]['id']}-{i}"),
            '"name":' + json.dumps(f"{cases[base]['name']} #{i}", ensure_ascii=False),
        ]
        for k in fields:
            src = base if rng.random() < 0.5 else rng.randrange(len(cases))
            v = frag[src].get(k)
            if v is not None:
                if unique:
                    v = json.dumps(numbered(json.loads(v), i), ensure_ascii=False,
                                   separators=(",", ":"))
                parts.append(f'"{k}":{v}')
        buf.append("{" + ",".join(parts) + "}\n")
        if len(buf) >= 1000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
