#!/usr/bin/env bash
# stackctl's test command: installs what the tests need, starts both local AWS
# emulators on loopback, runs `cargo test --locked` against them and stops what
# it started. Extra arguments go to cargo test: scripts/test.sh -- --nocapture
#
# Environment:
#   STACKCTL_SKIP_CHROMIUM=1   don't apt-get install chromium + chromium-driver
#                              (needed by the browser tests) when /usr/bin/chromium is missing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMULATORS=(bash "$ROOT/scripts/emulators.sh")

say() { printf 'test.sh: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- chromium
if [[ "${STACKCTL_SKIP_CHROMIUM:-0}" != "1" && ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" == "0" ]]; then
    say "installing Debian's chromium and chromium-driver for the browser tests ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    say "warning: /usr/bin/chromium is missing and this is not root; browser tests will fail" \
      "(install chromium chromium-driver, or set STACKCTL_SKIP_CHROMIUM=1 to silence this)"
  fi
fi

# ---------------------------------------------------------------- emulators
"${EMULATORS[@]}" install

# Stop on exit only the emulators this run started, not ones that were already up.
running_before() {
  local pf="$ROOT/.emulators/$1.pid"
  [[ -f "$pf" ]] && kill -0 "$(cat "$pf")" 2>/dev/null
}
ours=()
for name in localstack ministack; do
  running_before "$name" || ours+=("$name")
done
cleanup() {
  local name
  for name in "${ours[@]}"; do "${EMULATORS[@]}" stop "$name" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${EMULATORS[@]}" start all

export STACKCTL_TEST_LOCALSTACK=http://127.0.0.1:4566
export STACKCTL_TEST_MINISTACK=http://127.0.0.1:4567
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
# Nothing may reach for credentials or endpoints beyond loopback.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

# ---------------------------------------------------------------- tests
status=0
cargo test --locked "$@" || status=$?
if ((status != 0)); then
  for name in localstack ministack; do
    log=".emulators/$name.log"
    [[ -f "$log" ]] || continue
    say "last lines of $log:"
    tail -n 40 "$log" >&2 || true
  done
fi
exit "$status"
