#!/usr/bin/env python3
"""The "hostile server" of the end-to-end tests: edits the running Coffer server's SQLite
database by hand, as an operator (or an intruder) with access to the host could.

Reads one JSON request on stdin, prints one JSON answer:
  {"db": path, "ops": [op, ...]}  ->  {"results": [result, ...]}
where an op is
  {"sql": "...", "params": [...], "optional": bool}
Parameters may be {"hex": "..."} for blobs. A SELECT answers its rows as objects (blobs as
{"hex": "..."}), anything else the number of rows changed. With "optional", a statement on a
table this schema does not have (an older Coffer) answers null instead of failing, so the same
attack runs against every version.

After any change, every user's `user_usage.list_version` is bumped (where the schema has it): the
server caches pages of the file list while that counter stands still, and a hostile server
controls its own cache as much as its database, so its edits show at once.
"""
import json
import sqlite3
import sys


def decode(p):
    if isinstance(p, dict) and "hex" in p:
        return bytes.fromhex(p["hex"])
    return p


def encode(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"hex": bytes(v).hex()}
    return v


def main():
    req = json.load(sys.stdin)
    con = sqlite3.connect(req["db"], timeout=15, isolation_level=None)
    con.row_factory = sqlite3.Row
    results = []
    changed = False
    for op in req["ops"]:
        try:
            cur = con.execute(op["sql"], [decode(p) for p in op.get("params", [])])
        except sqlite3.OperationalError as e:
            if op.get("optional") and "no such table" in str(e):
                results.append(None)
                continue
            raise
        if cur.description is not None:
            results.append([{k: encode(r[k]) for k in r.keys()} for r in cur.fetchall()])
        else:
            results.append(cur.rowcount)
            changed = True
    if changed:
        try:
            con.execute("INSERT OR IGNORE INTO user_usage (user_id, stored_bytes, reserved_bytes, list_version)"
                        " SELECT id, 0, 0, 0 FROM users")
            con.execute("UPDATE user_usage SET list_version = list_version + 1")
        except sqlite3.OperationalError as e:
            # An older schema (no user_usage, or no list_version yet): nothing to bump.
            if "no such" not in str(e) and "has no column" not in str(e):
                raise
    con.close()
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
