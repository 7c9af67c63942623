#!/usr/bin/env python3
"""Fails if any secret recorded by the e2e run appears in the given files or directories.

usage: zero-knowledge-check.py SECRETS.jsonl PATH [PATH ...]

Each line of SECRETS.jsonl is {"label": ..., "value": ...}. Every file under the paths
(database, WAL, blobs, logs) is searched for each value as UTF-8, UTF-16-LE and in
base64/base64url, hex and lower case, so an encoded copy is caught too.
"""
import base64
import json
import pathlib
import sys


def forms(value: str):
    raw = value.encode("utf-8")
    yield "utf-8", raw
    yield "lower", value.lower().encode("utf-8")
    yield "utf-16-le", value.encode("utf-16-le")
    yield "hex", raw.hex().encode()
    for name, enc in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        text = enc(raw).rstrip(b"=")
        # A prefix long enough to be specific, short enough to survive alignment.
        yield name, text[: max(16, len(text) - 4)]


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    secrets = [json.loads(line) for line in pathlib.Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    if not secrets:
        print("FAILED: no secrets were recorded; the e2e run did not do what this check needs")
        return 1
    files = []
    for p in map(pathlib.Path, sys.argv[2:]):
        files.extend([p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()])
    if not files:
        print("FAILED: nothing to search")
        return 1
    leaks = []
    for f in files:
        data = f.read_bytes()
        for s in secrets:
            for form, needle in forms(s["value"]):
                if needle and needle in data:
                    leaks.append(f"{s['label']} ({form}) found in {f}")
    for leak in leaks:
        print("LEAK:", leak)
    if leaks:
        return 1
    print(f"zero-knowledge check: {len(secrets)} secrets, {len(files)} files searched, nothing found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
