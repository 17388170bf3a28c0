#!/usr/bin/env python3
"""`make bench`: custctl against its references (SPEC section 7), interleaved runs, medians.

Prints one table and writes bench/results.json. Whole-process timings of short commands use
hyperfine; bulk scenarios alternate custctl and reference runs here. Everything runs on this
machine in one go, so the ratios compare like with like.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "custctl")
QUICK = os.environ.get("BENCH_QUICK") is not None
N_BULK = 20_000 if QUICK else 100_000
RUNS = 3 if QUICK else 5
# The short-window limit at its highest (100, the hourly cap): timing runs must not be throttled.
ENV = dict(os.environ, NO_COLOR="1", CUSTCTL_LOGIN_MAX_ATTEMPTS="100")
WORK = tempfile.mkdtemp(prefix="custctl-bench-")
results = []


def sh(args, stdin=None, env=None, check=True):
    return subprocess.run(args, input=stdin, capture_output=True, env=env or ENV, check=check, cwd=WORK)


def timed(args, stdin=None, env=None, setup=None):
    if setup:
        setup()
    start = time.perf_counter()
    done = subprocess.run(args, input=stdin, capture_output=True, env=env or ENV, cwd=WORK)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(args), done.stderr.decode()[:500]))
    return elapsed


def interleaved(*commands, runs=RUNS):
    """Alternate (command, stdin, env, setup) tuples run by run; return each one's median in seconds."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for index, command in enumerate(commands):
            times[index].append(timed(*command))
    return tuple(statistics.median(t) for t in times)


def hyperfine(commands, runs=30, warmup=3, input_file=None, env=None):
    out = os.path.join(WORK, "hyperfine.json")
    # hyperfine 1.15 (Debian 12) has no --input: feed standard input through its shell, whose start-up
    # time hyperfine measures and subtracts; without input, -N runs the commands directly.
    args = ["hyperfine", "--warmup", str(warmup), "--runs", str(runs), "--export-json", out, "--style", "none"]
    if input_file:
        commands = [f"{command} < {input_file}" for command in commands]
    else:
        args.append("-N")
    subprocess.run(args + commands, check=True, capture_output=True, env=env or ENV, cwd=WORK)
    with open(out) as handle:
        return [r["median"] for r in json.load(handle)["results"]]


def hyperfine_pair(ours, reference, rounds=5, runs=20):
    """custctl against its reference in alternating hyperfine rounds (this machine's load drifts within
    seconds, and hyperfine runs one command's runs before the other's): each side's median over all
    runs, and the ratio as the median of the rounds' ratios."""
    ours_times, reference_times, ratios = [], [], []
    for _ in range(rounds):
        a, b = hyperfine([ours, reference], runs=runs)
        ours_times.append(a)
        reference_times.append(b)
        ratios.append(a / b)
    return statistics.median(ours_times), statistics.median(reference_times), statistics.median(ratios)


def record(name, ours, reference, target, passed, unit="s", note="", ratio=None):
    if ratio is None and reference:
        ratio = ours / reference
    results.append({"scenario": name, "custctl": ours, "reference": reference, "ratio": ratio,
                    "target": target, "pass": passed, "unit": unit, "note": note})


def db(name):
    return os.path.join(WORK, name)


def fresh_db(path):
    for suffix in ("", "-wal", "-shm", "-lock"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def empty_schema(path):
    fresh_db(path)
    sh([BIN, "--database", path, "migrate", "--quiet"])


# 1. A read command as a whole process against the sqlite3 shell on the same file.
def read_command():
    path = db("read.db")
    empty_schema(path)
    sh([BIN, "--database", path, "provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"])
    query = ("SELECT balance_after FROM credit_transactions WHERE customer_id = "
             "(SELECT id FROM customers WHERE email_normalized = 'ada@example.com') ORDER BY id DESC LIMIT 1")
    ours, ref, ratio = hyperfine_pair(f"{BIN} --database {path} credits balance ada@example.com",
                                      f"sqlite3 {path} \"{query}\"")
    record("credits balance (whole process) vs sqlite3 shell (ratio: median of 5 rounds)", ours, ref,
           "<= 2.0x (stretch 1.5x)", ratio <= 2.0, ratio=ratio)
    show = ("SELECT * FROM customers WHERE email_normalized = 'ada@example.com'; "
            "SELECT id, prefix, name, revoked_at, expires_at FROM api_keys WHERE customer_id = 1; "
            "SELECT id, forge_type, namespace FROM forge_accounts WHERE customer_id = 1; " + query)
    ours, ref, ratio = hyperfine_pair(f"{BIN} --database {path} customer show ada@example.com",
                                      f"sqlite3 {path} \"{show}\"")
    record("customer show (whole process) vs sqlite3 shell (ratio: median of 5 rounds)", ours, ref,
           "<= 2.0x (stretch 1.5x)", ratio <= 2.0, ratio=ratio)


# 2. Bulk provisioning against the sqlite3 shell loading the same rows.
def bulk_provision():
    feed = os.path.join(WORK, "bulk.jsonl")
    with open(feed, "w") as out:
        for i in range(N_BULK):
            out.write('{"email":"c%d@example.com","name":"Customer %d","forge":"github:org-%d"}\n' % (i, i, i))
    template = db("template.db")
    empty_schema(template)
    script = os.path.join(WORK, "bulk.sql")
    stamp = "2026-11-23T00:00:00.000Z"
    with open(script, "w") as out:
        out.write("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; BEGIN IMMEDIATE;\n")
        for i in range(N_BULK):
            cid = i + 1
            key_hash = "%064x" % (i * 7919 + 1)
            out.write("INSERT INTO customers (id,name,email,email_normalized,customer_type,metadata,stripe_customer_id,created_at,updated_at) "
                      "VALUES (%d,'Customer %d','c%d@example.com','c%d@example.com','trial','{\"source\":\"direct\"}','cus_local_%024d','%s','%s');\n"
                      % (cid, i, i, i, i, stamp, stamp))
            out.write("INSERT INTO api_keys (customer_id,name,prefix,key_hash,created_at) VALUES (%d,'Default','cck_%08d','%s','%s');\n" % (cid, i, key_hash, stamp))
            out.write("INSERT INTO forge_accounts (customer_id,forge_type,namespace,created_at) VALUES (%d,'github','org-%d','%s');\n" % (cid, i, stamp))
            for template_name, due in (("welcome", stamp), ("getting_started", stamp), ("first_fix_tips", stamp), ("trial_checkin", stamp)):
                out.write("INSERT INTO scheduled_emails (customer_id,template,due_at,created_at) VALUES (%d,'%s','%s','%s');\n" % (cid, template_name, due, stamp))
            out.write("INSERT INTO credit_transactions (customer_id,amount,balance_after,kind,source,metadata,created_at) VALUES (%d,5,5,'grant','trial_signup','{}','%s');\n" % (cid, stamp))
            out.write("INSERT INTO credit_lots (grant_id,customer_id,remaining) VALUES (last_insert_rowid(),%d,5);\n" % cid)
            out.write("INSERT INTO audit_log (actor,action,customer_id,subject,details,created_at) VALUES ('bench','customer.provision',%d,'c%d@example.com','{}','%s');\n" % (cid, i, stamp))
        out.write("COMMIT;\n")
    target = db("bulk.db")

    def reset():
        fresh_db(target)
        shutil.copy(template, target)
    with open(script, "rb") as handle:
        sql = handle.read()
    reference = os.path.join(WORK, "bulk_ref")
    subprocess.run(["cc", "-O2", "-o", reference, os.path.join(ROOT, "bench", "bulk_ref.c"), "-lsqlite3"], check=True)
    ours, ref, shell = interleaved(
        ([BIN, "--database", target, "provision", "--file", feed, "--atomic", "--quiet"], None, None, reset),
        ([reference, target, str(N_BULK)], None, None, reset), (["sqlite3", target], sql, None, reset), runs=3)
    rate = N_BULK / ours
    record("provision --file --atomic %d vs C, prepared statements, one transaction" % N_BULK, ours, ref, "<= 1.5x",
           ours / ref <= 1.5)
    record("provision --file --atomic %d vs sqlite3 shell loading the same rows" % N_BULK, ours, shell, "report", True)
    record("provision --file rate (C reference: %.0f/s)" % (N_BULK / ref), rate, None, ">= 20000/s", rate >= 20000,
           unit="customers/s")
    reset()
    peak = sh(["/usr/bin/time", "-f", "%M", BIN, "--database", target, "provision", "--file", feed, "--atomic", "--quiet"]).stderr.decode().strip().splitlines()[-1]
    record("peak memory of provision --file %d" % N_BULK, int(peak) / 1024, None, "report", True, unit="MiB")


# 3. Login at cost 12 against one bcrypt hash at cost 12; every reason a login fails against the others.
def login():
    path = db("login.db")
    empty_schema(path)
    password = os.path.join(WORK, "password.txt")
    with open(password, "w") as out:
        out.write("Tr1cky-Falcon-Orbit\n")
    sh([BIN, "--database", path, "register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--quiet"],
       stdin=b"Tr1cky-Falcon-Orbit\n", env=dict(ENV, CUSTCTL_BCRYPT_COST="12"))
    reference = os.path.join(WORK, "bcrypt_ref")
    subprocess.run(["cc", "-O2", "-o", reference, os.path.join(ROOT, "bench", "bcrypt_ref.c"), "-lcrypt"], check=True)
    env = dict(ENV, CUSTCTL_BCRYPT_COST="12")
    ours, ref = hyperfine([f"{BIN} --database {path} login --email ada@example.com --password-stdin", f"{reference} 12"],
                          runs=15, warmup=2, input_file=password, env=env)
    record("login at cost 12 vs one bcrypt at cost 12", ours, ref, "<= 1.04x", ours / ref <= 1.04)
    wrong = os.path.join(WORK, "wrong.txt")
    with open(wrong, "w") as out:
        out.write("Wrong-Password-123\n")
    # SPEC 5.6: a hash of a lower cost, a hash that is not bcrypt and an inactive customer cost what
    # a wrong password and an unknown email cost.
    for email, cost in [("weak@example.com", "4"), ("foreign@example.com", "12"), ("inactive@example.com", "12")]:
        sh([BIN, "--database", path, "register", "--email", email, "--name", "Someone", "--password-stdin", "--quiet"],
           stdin=b"Tr1cky-Falcon-Orbit\n", env=dict(ENV, CUSTCTL_BCRYPT_COST=cost))
    sh(["sqlite3", path, "UPDATE customers SET password_hash = 'pbkdf2_sha256$260000$abc$def' "
        "WHERE email_normalized = 'foreign@example.com'; "
        "UPDATE customers SET active = 0 WHERE email_normalized = 'inactive@example.com'"])
    reasons = {"unknown email": "ghost@example.com", "wrong password": "ada@example.com",
               "cost-4 hash": "weak@example.com", "not bcrypt": "foreign@example.com",
               "inactive": "inactive@example.com"}
    medians = failed_login_medians(path, wrong, env, reasons)
    slowest = max(medians, key=medians.get)
    fastest = min(medians, key=medians.get)
    record(f"failed logins: slowest ({slowest}) vs fastest ({fastest})", medians[slowest], medians[fastest],
           "within 10%", medians[slowest] / medians[fastest] - 1 <= 0.10)


def failed_login_medians(path, wrong, env, reasons):
    """Medians of failing logins, one per reason, measured by hyperfine (-i: exit 77 is expected)."""
    out = os.path.join(WORK, "reasons.json")
    commands = [f"{BIN} --database {path} login --email {email} --password-stdin < {wrong}"
                for email in reasons.values()]
    subprocess.run(["hyperfine", "-i", "--warmup", "1", "--runs", "12", "--export-json", out, "--style", "none"]
                   + commands, check=True, capture_output=True, env=env, cwd=WORK)
    with open(out) as handle:
        medians = [r["median"] for r in json.load(handle)["results"]]
    for email in reasons.values():
        sh([BIN, "--database", path, "throttle", "reset", email, "--quiet"])
    return dict(zip(reasons, medians))


# 4. Consume and balance read with 1 thousand and 1 million ledger entries.
def ledger_scaling():
    times = {}
    for entries in (1_000, 1_000_000 if not QUICK else 200_000):
        path = db("ledger-%d.db" % entries)
        empty_schema(path)
        sh([BIN, "--database", path, "provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"])
        sh([BIN, "--database", path, "billing", "payment-method", "ada@example.com", "--consent", "--quiet"])
        sh(["sqlite3", path, """
            PRAGMA foreign_keys=ON;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
            INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, metadata, created_at)
            SELECT 1, 1, 5 + i, 'grant', 'manual', '{}', '2026-11-23T00:00:00.000Z' FROM n;
            INSERT INTO credit_lots (grant_id, customer_id, remaining) SELECT id, 1, 1 FROM credit_transactions WHERE source = 'manual';
            """ % entries])
        read = hyperfine([f"{BIN} --database {path} credits balance ada@example.com"], runs=30)[0]
        consume = hyperfine([f"{BIN} --database {path} credits consume ada@example.com"], runs=30)[0]
        times[entries] = (read, consume)
    small, large = sorted(times)
    record("balance read, %d vs %d ledger entries" % (large, small), times[large][0], times[small][0], "flat (<= 1.2x)", times[large][0] / times[small][0] <= 1.2)
    record("consume, %d vs %d ledger entries" % (large, small), times[large][1], times[small][1], "flat (<= 1.2x)", times[large][1] / times[small][1] <= 1.2)
    record("consume throughput (one process per consume)", 1 / times[small][1], None, "report", True, unit="consumes/s")


# 5. Seeding 10,000 synthetic customers.
def seed():
    path = db("seed.db")

    def reset():
        empty_schema(path)
    runs = [timed([BIN, "--database", path, "seed", "--count", "10000", "--quiet"], setup=reset) for _ in range(RUNS)]
    median = statistics.median(runs)
    record("seed --count 10000", median, None, "< 2 s", median < 2)


# 6. Legacy consolidation against equivalent set-based SQL in the sqlite3 shell.
def legacy():
    n = N_BULK
    script = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-legacy.py"), str(n)], capture_output=True, check=True).stdout
    template = db("legacy-template.db")
    fresh_db(template)
    subprocess.run(["sqlite3", template], input=script, check=True)
    target = db("legacy.db")

    def reset():
        fresh_db(target)
        shutil.copy(template, target)
        subprocess.run(["sqlite3", target, "PRAGMA journal_mode=WAL"], check=True, capture_output=True)
    with open(os.path.join(ROOT, "bench", "legacy_reference.sql"), "rb") as handle:
        ref_sql = handle.read()
    ours, ref = interleaved(([BIN, "--database", target, "migrate", "--no-backup", "--quiet"], None, None, reset),
                            (["sqlite3", target], ref_sql, None, reset), runs=3)
    record("migrate (consolidate) %d legacy customers vs set-based SQL" % n, ours, ref, "<= 2.5x", ours / ref <= 2.5)


# 8. PostgreSQL (SPEC 7): a throwaway server over a Unix socket, started here like the tests do.
class Postgres:
    def __init__(self):
        self.bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, check=True).stdout.decode().strip()
        self.dir = tempfile.mkdtemp(prefix="cpg-", dir="/tmp")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            subprocess.run(["chown", "postgres", self.dir], check=True)
        self.run("initdb", "-D", self.dir + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
        self.run("pg_ctl", "-D", self.dir + "/data", "-l", self.dir + "/server.log", "-w", "-o",
                 "-k %s -c listen_addresses='' -p 5432 -c max_connections=300" % self.dir, "start")

    def run(self, program, *args):
        command = [os.path.join(self.bindir, program)] + list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def database(self, name):
        subprocess.run(["psql", "-X", "-q", "-h", self.dir, "-U", "postgres", "-d", "postgres", "-c",
                        "DROP DATABASE IF EXISTS %s" % name, "-c", "CREATE DATABASE %s" % name], check=True, capture_output=True)
        return "postgresql:///%s?host=%s&user=postgres" % (name, self.dir)

    def stop(self):
        self.run("pg_ctl", "-D", self.dir + "/data", "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def postgresql():
    server = Postgres()
    try:
        # A read command against psql -c running the same query over the same socket.
        uri = server.database("read")
        sh([BIN, "--database", uri, "provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"])
        query = ("SELECT balance_after FROM public.credit_transactions WHERE customer_id = "
                 "(SELECT id FROM public.customers WHERE email_normalized = 'ada@example.com') ORDER BY id DESC LIMIT 1")
        ours, ref = hyperfine([f"{BIN} --database '{uri}' credits balance ada@example.com",
                               f"psql -X -A -t -d '{uri}' -c \"{query}\""], runs=40)
        record("PostgreSQL: credits balance (whole process) vs psql -c", ours, ref, "<= 1.0x", ours / ref <= 1.0)
        # Bulk provisioning, one transaction.
        feed = os.path.join(WORK, "pg-bulk.jsonl")
        with open(feed, "w") as out:
            for i in range(N_BULK):
                out.write('{"email":"c%d@example.com","name":"Customer %d","forge":"github:org-%d"}\n' % (i, i, i))
        uri = server.database("bulk")
        sh([BIN, "--database", uri, "migrate", "--quiet"])
        seconds = timed([BIN, "--database", uri, "provision", "--file", feed, "--atomic", "--quiet"])
        rate = N_BULK / seconds
        record("PostgreSQL: provision --file --atomic %d, customers/s" % N_BULK, rate, None, ">= 10000/s",
               rate >= 10_000, unit="/s")
        # 100 concurrent consumes against 50 credits: exactly 50 succeed.
        uri = server.database("consume")
        sh([BIN, "--database", uri, "provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"])
        sh([BIN, "--database", uri, "credits", "grant", "ada@example.com", "45", "--source", "manual", "--quiet"])
        start = time.perf_counter()
        running = [subprocess.Popen([BIN, "--database", uri, "credits", "consume", "ada@example.com", "--fix-id",
                                     "fix-%d" % i, "--quiet", "--busy-timeout", "60"], env=ENV, cwd=WORK,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(100)]
        codes = [p.wait() for p in running]
        elapsed = time.perf_counter() - start
        succeeded = codes.count(0)
        record("PostgreSQL: 100 concurrent credits consume vs 50 credits (succeeded; wall time in note)", succeeded,
               None, "exactly 50", succeeded == 50 and codes.count(69) == 50, unit="",
               note="%.2f s for all 100" % elapsed)
        # Legacy consolidation (SPEC 6 and 8) in schema core against the same set-based SQL through psql,
        # each run on a fresh copy of one template database.
        n = N_BULK
        script = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-legacy.py"), str(n), "--postgresql"],
                                capture_output=True, check=True).stdout
        server.database("legacy_template")
        sh(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", server.dir, "-U", "postgres", "-d", "legacy_template"],
           stdin=script)
        uri = "postgresql:///legacy?host=%s&user=postgres" % server.dir

        def reset():
            sh(["psql", "-X", "-q", "-h", server.dir, "-U", "postgres", "-d", "postgres", "-c",
                "DROP DATABASE IF EXISTS legacy", "-c", "CREATE DATABASE legacy TEMPLATE legacy_template"])
        reference = os.path.join(ROOT, "bench", "legacy_reference_postgresql.sql")
        ours, ref = interleaved(([BIN, "--database", uri, "--schema", "core", "migrate", "--no-backup", "--quiet"],
                                 None, None, reset),
                                (["psql", "-X", "-q", "-d", uri, "-f", reference], None, None, reset), runs=3)
        record("PostgreSQL: migrate (consolidate) %d legacy customers vs set-based SQL in psql" % n, ours, ref,
               "<= 2.5x", ours / ref <= 2.5)
    finally:
        server.stop()


# 7. Cold start.
def cold_start():
    ours = hyperfine([f"{BIN} --version"], runs=40)[0]
    ref = hyperfine(["sqlite3 --version"], runs=40)[0]
    record("cold start: custctl --version vs sqlite3 --version", ours, ref, "report", True)


def main():
    if not os.path.exists(BIN):
        raise SystemExit("build first: swift build -c release")
    for tool in ("hyperfine", "sqlite3", "cc", "psql", "pg_config"):
        if not shutil.which(tool):
            raise SystemExit("missing %s (apt-get install %s)" % (tool, {"cc": "gcc"}.get(tool, tool)))
    scenarios = [read_command, bulk_provision, login, ledger_scaling, seed, legacy, cold_start, postgresql]
    only = os.environ.get("BENCH_ONLY")
    for scenario in scenarios:
        if only and scenario.__name__ not in only.split(","):
            continue
        print("running %s ..." % scenario.__name__, file=sys.stderr, flush=True)
        scenario()
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as out:
        json.dump({"machine": machine(), "results": results}, out, indent=2)
    print_table()
    shutil.rmtree(WORK, ignore_errors=True)


def machine():
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True).stdout.decode().strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "sqlite": subprocess.run(["sqlite3", "--version"], capture_output=True).stdout.decode().split()[0]}


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "s":
        return "%.1f ms" % (value * 1000) if value < 1 else "%.2f s" % value
    return "%.0f %s" % (value, unit)


def print_table():
    header = ("scenario", "custctl", "reference", "ratio", "target", "result")
    rows = [(r["scenario"], fmt(r["custctl"], r["unit"]), fmt(r["reference"], r["unit"]),
             "%.2fx" % r["ratio"] if r["ratio"] else "-", r["target"], "pass" if r["pass"] else "MISS") for r in results]
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))


if __name__ == "__main__":
    main()
