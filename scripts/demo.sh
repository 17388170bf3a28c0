#!/usr/bin/env bash
# The main job on a fresh embedded database in a temporary folder, step by step.
set -euo pipefail
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/custctl-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
bold='' plain=''
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s== %s%s\n$ custctl %s\n' "$bold" "$1" "$plain" "${*:2}"; "$bin" "${@:2}"; }

echo "custctl $("$bin" --version) demo in $work (database: custctl.db)"
step "Create the database and apply the consolidated schema" migrate
step "Show the schema state and the environment mark" migrate status
step "Mark it as a development database (destructive commands refuse production)" migrate --mark development --json
password='Orbit-Falcon-7-Lantern'
export CUSTCTL_ADMIN_PASSWORD='Harbor-Quartz-Lantern-42'
step "Seed the development database from the default plan (API keys to a 0600 file)" seed --keys-out seeded-keys.jsonl
step "Seeding again changes nothing" seed
stdin_step() { local input="$1"; shift; printf '\n%s== %s%s\n$ printf ... | custctl %s\n' "$bold" "$1" "$plain" "${*:2}"; printf '%s\n' "$input" | "$bin" "${@:2}" || echo "(exit $?)"; }
stdin_step "$CUSTCTL_ADMIN_PASSWORD" "Log in as the seeded admin" login --email admin@example.com --password-stdin --json
step "The seeded Pro customer's credits" credits summary pro@example.com
stdin_step "Password123!" "Check a weak password against the policy (refused, exit 65)" password check
stdin_step "$password" "Register Ada (bcrypt cost 12 via libxcrypt; the password comes from stdin, never argv)" \
  register --email ada@example.com --name "Ada Lovelace" --company "Analytical Engines" --password-stdin
stdin_step "$password" "Register the same email in another case (conflict, exit 73)" \
  register --email ADA@Example.com --name "Ada Again" --password-stdin
stdin_step "$password" "Log in" login --email ada@example.com --password-stdin --json
for i in 1 2 3 4 5; do
  stdin_step "wrong-password-$i" "Failed login $i of 5 (exit 77)" login --email ada@example.com --password-stdin
done
stdin_step "$password" "Sixth attempt within a minute: throttled before the password is checked (exit 75)" \
  login --email ada@example.com --password-stdin --json
step "Who is throttled" throttle status
step "Clear it" throttle reset ada@example.com --actor demo
step "Make Ada a read-only staff member" grant-staff ada@example.com --level read_only --actor demo --json
step "Grant the same level again (no-op, exit 0)" grant-staff ada@example.com --level read_only --actor demo
step "Grant Ada 3 credits (idempotent by key)" credits grant ada@example.com 3 --source trial_signup --idempotency-key demo-grant
step "Retry the same grant: replayed, not applied twice" credits grant ada@example.com 3 --source trial_signup --idempotency-key demo-grant --json
step "Deploy two fixes: credits first" credits consume ada@example.com --amount 2 --fix-id fix-1
step "Deploy two more: one credit left, no payment method, refused (exit 69)" credits consume ada@example.com --amount 2 --fix-id fix-2 || echo "(exit $?)"
step "Summary: low balance" credits summary ada@example.com
step "Add a payment method with explicit consent" billing payment-method ada@example.com --consent --actor demo
step "Deploy two more: one from credits, one charged at \$29" credits consume ada@example.com --amount 2 --fix-id fix-3
step "Subscribe to Pro: 60 credits, \$15 per fix beyond them" billing subscribe ada@example.com --actor demo
step "The ledger" credits history ada@example.com
step "Provision a customer: billing id, API key (shown once), 5 trial credits, forge account, onboarding emails" \
  provision --email grace@example.com --name "Grace Hopper" --company "Navy Labs" --forge github:grace-labs --idempotency-key demo-grace
step "Retry with the same idempotency key: replayed, nothing new" provision --email grace@example.com --name "Grace Hopper" \
  --company "Navy Labs" --forge github:grace-labs --idempotency-key demo-grace --json
printf 'email,name,company,forge\nlin@example.com,Lin Chen,"Chen, Ltd.",github:chen-ltd\nomar@example.com,Omar Haddad,,"gitlab:haddad;github:haddad"\n' > batch.csv
step "Provision a small batch from CSV, all or nothing" provision --file batch.csv --atomic --json
step "Forge accounts" forge list
step "Onboarding emails due now" emails due
step "The audit log" audit list
echo
echo "== Legacy consolidation: a pre-consolidation database (users + customers with inline keys and github_org)"
sqlite3 legacy.db < "$root/fixtures/legacy/small.sql"
step "Dry run: the report, nothing changed" --database legacy.db migrate --dry-run
step "Consolidate (backup first, one transaction, marked production)" --database legacy.db migrate
step "The consolidated customers" --database legacy.db customer list
printf '%s\n' sk_live_ada_inline_0001 > key.txt
printf '\n$ custctl --database legacy.db apikey verify < key.txt   (a legacy inline key still works)\n'
"$bin" --database legacy.db apikey verify < key.txt
step "List customers" customer list
echo
echo "demo finished: every step above ran against $work/custctl.db"
