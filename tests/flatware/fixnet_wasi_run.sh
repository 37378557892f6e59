#!/usr/bin/env bash
# node_wasi_run.mjs's command line, answered by `fixnet run`: lets tests/flatware/run_cases.mjs run
# every case under fixnet and compare the bytes with node:wasi's (--runner, tests/flatware/README.md).
#   fixnet_wasi_run.sh --wasm FILE [--dir HOSTDIR]… [--stdin FILE] [--env K=V]… [--out-stdout F]
#                      [--out-stderr F] [--out-dir DIR] [--result F] -- ARGV0 [ARGS…]
# Uses the repository $FIXNET_DIR (a temporary one if unset) and fixnet from $FIXNET (default: fixnet
# on PATH). Exits like node_wasi_run.mjs: the program's exit code; a trap is 134 with one line on
# stderr and {"trap": …} in --result; a runner failure is 125.
set -uo pipefail
fixnet=${FIXNET:-fixnet}
wasm= stdin= out_stdout=/dev/stdout out_stderr=/dev/stderr out_dir= result=
run_args=()
while (($#)); do
  case $1 in
    --wasm) wasm=$2; shift 2 ;;
    --dir) run_args+=(--dir "$2"); shift 2 ;;
    --stdin) stdin=$2; shift 2 ;;
    --env) run_args+=(--env "$2"); shift 2 ;;
    --out-stdout) out_stdout=$2; shift 2 ;;
    --out-stderr) out_stderr=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --result) result=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "fixnet_wasi_run: unknown option $1" >&2; exit 125 ;;
  esac
done
[[ -n $wasm && $# -ge 1 ]] || { echo "fixnet_wasi_run: need --wasm FILE and -- ARGV0" >&2; exit 125; }
argv0=$1; shift
[[ -n $stdin ]] && run_args+=(--stdin "$stdin")

if [[ -z ${FIXNET_DIR:-} ]]; then
  tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
  "$fixnet" init -q "$tmp" >/dev/null 2>&1 || "$fixnet" init "$tmp" >/dev/null || exit 125
  export FIXNET_DIR=$tmp/.fixnet
fi

json=$("$fixnet" run --json "${run_args[@]}" --argv0 "$argv0" "$wasm" -- "$@" 2>"${TMPDIR:-/tmp}/fixnet_wasi_run.$$")
rc=$?
err=$(cat "${TMPDIR:-/tmp}/fixnet_wasi_run.$$"); rm -f "${TMPDIR:-/tmp}/fixnet_wasi_run.$$"
if ((rc == 125)); then  # fixnet's own failure; any other code is the program's, with the JSON
  if [[ $err == *trapped* || $err == *"output limit"* ]]; then
    echo "fixnet_wasi_run: trap: $err" >&2
    [[ -n $result ]] && node -e 'process.stdout.write(JSON.stringify({trap: process.argv[1]}))' "$err" >"$result"
    exit 134
  fi
  echo "fixnet_wasi_run: $err" >&2
  exit 125
fi
field() { node -e 'const j = JSON.parse(process.argv[1]); process.stdout.write(String(j[process.argv[2]]))' "$json" "$1"; }
exit_code=$(field exit_code)
"$fixnet" cat "$(field stdout)" >"$out_stdout" || exit 125
"$fixnet" cat "$(field stderr)" >"$out_stderr" || exit 125
if [[ -n $out_dir ]]; then
  "$fixnet" checkout "$(field filesystem)" "$out_dir" >/dev/null || exit 125
fi
[[ -n $result ]] && echo "{\"exit\":$exit_code}" >"$result"
exit $((exit_code & 255))
