#!/usr/bin/env bash
# The main job on a fresh embedded database in a temporary folder, step by step.
set -euo pipefail
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
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
step "List customers (none yet)" customer list
step "Roll back the newest migration, then re-apply it" migrate rollback --steps 1
step "Re-apply" migrate
echo
echo "demo finished: every step above ran against $work/custctl.db"
