-- The reference for `make bench`'s consolidation scenario: the same set-based work custctl's
-- migrate does (move tables aside, archive every row, create the schema, insert customers, keys,
-- forge accounts, merge users, drop the legacy tables) in plain SQL. SQLite has no SHA-256 and no
-- Unicode lower-casing, so hex() and lower() stand in for them.
PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;
BEGIN IMMEDIATE;
ALTER TABLE users RENAME TO legacy_users;
ALTER TABLE users_tokens RENAME TO legacy_users_tokens;
ALTER TABLE customers RENAME TO legacy_customers;
ALTER TABLE api_keys RENAME TO legacy_api_keys;
ALTER TABLE forge_accounts RENAME TO legacy_forge_accounts;
CREATE TABLE legacy_archive (id INTEGER PRIMARY KEY, source_table TEXT NOT NULL, source_id INTEGER, conflict TEXT, row_json TEXT NOT NULL, row_sql TEXT NOT NULL);
INSERT INTO legacy_archive (source_table, source_id, row_json, row_sql) SELECT 'customers', rowid,
  json_object('id', id, 'name', name, 'email', email, 'api_key', 'sha256:' || hex(api_key), 'github_org', github_org, 'active', active, 'metadata', metadata, 'plan', plan, 'inserted_at', inserted_at, 'updated_at', updated_at),
  json_array(quote(id), quote(name), quote(email), quote('sha256:' || hex(api_key)), quote(github_org), quote(active), quote(metadata), quote(plan), quote(inserted_at), quote(updated_at))
  FROM legacy_customers;
INSERT INTO legacy_archive (source_table, source_id, row_json, row_sql) SELECT 'api_keys', rowid,
  json_object('id', id, 'key', 'sha256:' || hex(key), 'name', name, 'customer_id', customer_id, 'inserted_at', inserted_at),
  json_array(quote(id), quote('sha256:' || hex(key)), quote(name), quote(customer_id), quote(inserted_at)) FROM legacy_api_keys;
INSERT INTO legacy_archive (source_table, source_id, row_json, row_sql) SELECT 'forge_accounts', rowid,
  json_object('id', id, 'customer_id', customer_id, 'forge_type', forge_type, 'namespace', namespace),
  json_array(quote(id), quote(customer_id), quote(forge_type), quote(namespace)) FROM legacy_forge_accounts;
INSERT INTO legacy_archive (source_table, source_id, row_json, row_sql) SELECT 'users', rowid,
  json_object('id', id, 'email', email, 'hashed_password', hashed_password), json_array(quote(id), quote(email), quote(hashed_password)) FROM legacy_users;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, email_normalized TEXT NOT NULL UNIQUE,
  password_hash TEXT, metadata TEXT NOT NULL DEFAULT '{}', payment_method_added_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE api_keys (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), name TEXT NOT NULL, prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE forge_accounts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), forge_type TEXT NOT NULL,
  namespace TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE UNIQUE INDEX forge_accounts_namespace ON forge_accounts(forge_type, namespace COLLATE NOCASE);
INSERT INTO customers (id, name, email, email_normalized, metadata, payment_method_added_at, created_at, updated_at)
  SELECT id, name, email, lower(trim(email)), json_set(metadata, '$.source', 'legacy'),
    CASE WHEN payment_method_added = 1 THEN updated_at END, inserted_at, updated_at FROM legacy_customers;
UPDATE customers SET password_hash = u.hashed_password FROM legacy_users u WHERE customers.email_normalized = lower(trim(u.email));
INSERT OR IGNORE INTO api_keys (customer_id, name, prefix, key_hash, metadata, created_at)
  SELECT customer_id, name, substr(key, 1, 8), hex(key), json_object('legacy_api_key_id', id), inserted_at FROM legacy_api_keys;
INSERT OR IGNORE INTO api_keys (customer_id, name, prefix, key_hash, metadata, created_at)
  SELECT id, 'Legacy Key', substr(api_key, 1, 8), hex(api_key), json_object('legacy_customer_id', id), inserted_at FROM legacy_customers WHERE api_key IS NOT NULL;
INSERT OR IGNORE INTO forge_accounts (customer_id, forge_type, namespace, created_at)
  SELECT customer_id, lower(forge_type), namespace, inserted_at FROM legacy_forge_accounts;
INSERT OR IGNORE INTO forge_accounts (customer_id, forge_type, namespace, created_at)
  SELECT id, 'github', github_org, inserted_at FROM legacy_customers WHERE github_org IS NOT NULL;
DROP TABLE legacy_users; DROP TABLE legacy_users_tokens; DROP TABLE legacy_customers; DROP TABLE legacy_api_keys; DROP TABLE legacy_forge_accounts;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
