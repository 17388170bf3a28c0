#!/usr/bin/env python3
"""Writes an SQL script for a large legacy database: N customers, each with an inline API key and a
github_org, one api_keys row, one forge account, one user (every second customer) and one fix attempt.

Usage: scripts/gen-legacy.py N > legacy.sql && sqlite3 legacy.db < legacy.sql
       scripts/gen-legacy.py N --postgresql > legacy.sql && psql -X -v ON_ERROR_STOP=1 -d legacy -f legacy.sql
With --postgresql the same rows go into schema core (fixtures/legacy/schema-postgresql.sql): booleans
as true/false, instants as 'YYYY-MM-DD HH:MM:SS', and each id sequence is moved past the rows.
"""
import sys

args = [a for a in sys.argv[1:] if a != "--postgresql"]
pg = len(args) != len(sys.argv) - 1
n = int(args[0]) if args else 1000
out = sys.stdout
if pg:
    schema, prefix, stamp_form = "schema-postgresql.sql", "core.", "2024-%02d-%02d 00:00:00"
    flag = lambda b: "true" if b else "false"
else:
    schema, prefix, stamp_form = "schema.sql", "", "2024-%02d-%02dT00:00:00Z"
    flag = lambda b: "%d" % b
out.write(open(__file__.replace("gen-legacy.py", "../fixtures/legacy/" + schema)).read())
out.write("BEGIN;\n")
hash_ = "$2b$04$n2DDprStkrF4UILoVRQGYeGrq9nWDyIycqCRosa5H5QwYjRPzxyou"
for i in range(1, n + 1):
    stamp = stamp_form % (1 + i % 12, 1 + i % 28)
    if i % 2 == 0:
        out.write("INSERT INTO %susers VALUES (%d, 'user%d@example.com', '%s', NULL, '%s', '%s');\n" % (prefix, i // 2, i, hash_, stamp, stamp))
    out.write(
        "INSERT INTO %scustomers (id, name, email, api_key, github_org, plan, payment_method_added, inserted_at, updated_at) "
        "VALUES (%d, 'Customer %d', 'User%d@Example.com', 'sk_live_inline_%08d', 'org-%d', 'trial', %s, '%s', '%s');\n"
        % (prefix, i, i, i, i, i, flag(i % 3 == 0), stamp, stamp))
    out.write("INSERT INTO %sapi_keys VALUES (%d, 'sk_live_key_%08d', 'main', %d, %s, NULL, NULL, '{}', '%s', '%s');\n" % (prefix, i, i, i, flag(True), stamp, stamp))
    out.write("INSERT INTO %sforge_accounts VALUES (%d, %d, 'gitlab', 'group-%d', NULL, '{}', '%s', '%s');\n" % (prefix, i, i, i, stamp, stamp))
    out.write("INSERT INTO %sfix_attempts VALUES (%d, %d, 'org-%d', 'repo', %d, 'merged', %s, '%s', '%s');\n" % (prefix, i, i, i, i, flag(True), stamp, stamp))
if pg:
    for table in ("users", "users_tokens", "customers", "api_keys", "forge_accounts", "fix_attempts"):
        out.write("SELECT setval(pg_get_serial_sequence('core.%s', 'id'), max(id)) FROM core.%s;\n" % (table, table))
out.write("COMMIT;\n")
