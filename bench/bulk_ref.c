/* The physical limit of `provision --file` on this schema (SPEC 7): the same rows custctl writes for
 * N customers (customer, API key, forge account, four onboarding emails, the trial grant and its lot,
 * the audit entry) inserted with prepared statements in one transaction, synchronous=FULL.
 * Usage: bulk_ref DATABASE N */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static sqlite3 *db;

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return statement;
}

static void run(sqlite3_stmt *statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) {
        fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(statement);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bulk_ref DATABASE N\n");
        return 64;
    }
    long n = atol(argv[2]);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 74;
    sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; BEGIN IMMEDIATE", NULL, NULL, NULL);
    const char *stamp = "2026-11-23T00:00:00.000Z";
    sqlite3_stmt *customer = prepare(
        "INSERT INTO customers (name,email,email_normalized,password_hash,customer_type,company_name,metadata,"
        "stripe_customer_id,created_at,updated_at) VALUES (?,?,?,NULL,'trial',NULL,'{\"source\":\"direct\"}',?,?,?)");
    sqlite3_stmt *key = prepare(
        "INSERT INTO api_keys (customer_id,name,prefix,key_hash,expires_at,metadata,created_at) "
        "VALUES (?,'Default',?,?,NULL,'{}',?)");
    sqlite3_stmt *forge = prepare(
        "INSERT INTO forge_accounts (customer_id,forge_type,namespace,created_at) VALUES (?,'github',?,?)");
    sqlite3_stmt *email = prepare(
        "INSERT INTO scheduled_emails (customer_id,template,due_at,created_at) VALUES (?,?,?,?)");
    sqlite3_stmt *grant = prepare(
        "INSERT INTO credit_transactions (customer_id,amount,balance_after,kind,source,charge_cents,expires_at,"
        "idempotency_key,metadata,created_at) VALUES (?,5,5,'grant','trial_signup',NULL,NULL,NULL,'{}',?)");
    sqlite3_stmt *lot = prepare("INSERT INTO credit_lots (grant_id,customer_id,remaining,expires_at) VALUES (?,?,5,NULL)");
    sqlite3_stmt *audit = prepare(
        "INSERT INTO audit_log (actor,os_user,action,customer_id,subject,details,created_at) "
        "VALUES ('bench','bench','customer.provision',?,?,?,?)");
    const char *templates[] = {"welcome", "getting_started", "first_fix_tips", "trial_checkin"};
    char name[64], address[64], billing[64], prefix[32], hash[72], space[64];
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "Customer %ld", i);
        snprintf(address, sizeof address, "c%ld@example.com", i);
        snprintf(billing, sizeof billing, "cus_local_%024ld", i);
        sqlite3_bind_text(customer, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(customer, 2, address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(customer, 3, address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(customer, 4, billing, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(customer, 5, stamp, -1, SQLITE_STATIC);
        sqlite3_bind_text(customer, 6, stamp, -1, SQLITE_STATIC);
        run(customer);
        sqlite3_int64 id = sqlite3_last_insert_rowid(db);
        snprintf(prefix, sizeof prefix, "cck_%06ld", i);
        snprintf(hash, sizeof hash, "%064lx", i * 7919 + 1);
        sqlite3_bind_int64(key, 1, id);
        sqlite3_bind_text(key, 2, prefix, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(key, 3, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(key, 4, stamp, -1, SQLITE_STATIC);
        run(key);
        snprintf(space, sizeof space, "org-%ld", i);
        sqlite3_bind_int64(forge, 1, id);
        sqlite3_bind_text(forge, 2, space, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(forge, 3, stamp, -1, SQLITE_STATIC);
        run(forge);
        for (int t = 0; t < 4; t++) {
            sqlite3_bind_int64(email, 1, id);
            sqlite3_bind_text(email, 2, templates[t], -1, SQLITE_STATIC);
            sqlite3_bind_text(email, 3, stamp, -1, SQLITE_STATIC);
            sqlite3_bind_text(email, 4, stamp, -1, SQLITE_STATIC);
            run(email);
        }
        sqlite3_bind_int64(grant, 1, id);
        sqlite3_bind_text(grant, 2, stamp, -1, SQLITE_STATIC);
        run(grant);
        sqlite3_bind_int64(lot, 1, sqlite3_last_insert_rowid(db));
        sqlite3_bind_int64(lot, 2, id);
        run(lot);
        sqlite3_bind_int64(audit, 1, id);
        sqlite3_bind_text(audit, 2, address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(audit, 3, "{\"source\":\"direct\",\"forges\":1,\"trial_credits\":5}", -1, SQLITE_STATIC);
        sqlite3_bind_text(audit, 4, stamp, -1, SQLITE_STATIC);
        run(audit);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "commit: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    return sqlite3_close_v2(db) == SQLITE_OK ? 0 : 1;
}
