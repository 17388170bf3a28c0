#!/usr/bin/env python3
"""Writes an SQL script for a large legacy database: N customers, each with an inline API key and a
github_org, one api_keys row, one forge account, one user (every second customer) and one fix attempt.

Usage: scripts/gen-legacy.py N > legacy.sql && sqlite3 legacy.db < legacy.sql
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
out = sys.stdout
out.write(open(__file__.replace("gen-legacy.py", "../fixtures/legacy/schema.sql")).read())
out.write("BEGIN;\n")
hash_ = "$2b$04$n2DDprStkrF4UILoVRQGYeGrq9nWDyIycqCRosa5H5QwYjRPzxyou"
for i in range(1, n + 1):
    stamp = "2024-%02d-%02dT00:00:00Z" % (1 + i % 12, 1 + i % 28)
    if i % 2 == 0:
        out.write("INSERT INTO users VALUES (%d, 'user%d@example.com', '%s', NULL, '%s', '%s');\n" % (i // 2, i, hash_, stamp, stamp))
    out.write(
        "INSERT INTO customers (id, name, email, api_key, github_org, plan, payment_method_added, inserted_at, updated_at) "
        "VALUES (%d, 'Customer %d', 'User%d@Example.com', 'sk_live_inline_%08d', 'org-%d', 'trial', %d, '%s', '%s');\n"
        % (i, i, i, i, i, i % 3 == 0, stamp, stamp))
    out.write("INSERT INTO api_keys VALUES (%d, 'sk_live_key_%08d', 'main', %d, 1, NULL, NULL, '{}', '%s', '%s');\n" % (i, i, i, stamp, stamp))
    out.write("INSERT INTO forge_accounts VALUES (%d, %d, 'gitlab', 'group-%d', NULL, '{}', '%s', '%s');\n" % (i, i, i, stamp, stamp))
    out.write("INSERT INTO fix_attempts VALUES (%d, %d, 'org-%d', 'repo', %d, 'merged', 1, '%s', '%s');\n" % (i, i, i, i, stamp, stamp))
out.write("COMMIT;\n")
