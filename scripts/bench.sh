#!/usr/bin/env bash
# make bench: release build (done by make), tools, then the suite. BENCH_QUICK=1 for smaller sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=""
for tool in hyperfine sqlite3 cc psql; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine sqlite3 gcc >/dev/null
  else echo "missing:$missing (apt-get install hyperfine sqlite3 gcc)"; exit 1; fi
fi
exec python3 bench/bench.py
