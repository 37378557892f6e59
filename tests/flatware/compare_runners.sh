#!/usr/bin/env bash
# Runs the cases of tests/flatware/cases.json under node:wasi, then under `fixnet run`, and requires the
# same bytes from both wherever a case says so (run_cases.mjs --compare). Third-party programs take part
# when scripts/fetch-wasi-programs has fetched them. Usage: compare_runners.sh BUILD_DIR [run_cases args…]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== node:wasi"
node "$here/run_cases.mjs" --build "$build" --out "$work/node" "$@"
echo "== fixnet run (compared with node:wasi)"
FIXNET="$build/fixnet" FIXNET_CACHE_DIR=${FIXNET_CACHE_DIR:-$build/test-cache} \
  node "$here/run_cases.mjs" --build "$build" --out "$work/fixnet" --runner "$here/fixnet_wasi_run.sh" \
  --compare "$work/node" "$@"
