#!/usr/bin/env bash
# Local AWS emulators for stackctl's tests: LocalStack 4.13.0 (control plane) and
# MiniStack 1.5.33 (runs functions), each in its own venv under .emulators/,
# listening on loopback only, with fresh in-memory state on every start.
#
#   scripts/emulators.sh install [WHICH]  create/refresh the venvs (a no-op when current)
#   scripts/emulators.sh start [WHICH]    start in the background and wait until healthy;
#                                         one already healthy on its port is reused
#   scripts/emulators.sh stop [WHICH]     stop only the processes our pid files name
#   scripts/emulators.sh status           say what is running
# WHICH is localstack (127.0.0.1:4566), ministack (127.0.0.1:4567) or all (default).
# Pid files and logs: .emulators/{localstack,ministack}.{pid,log}.
#
# Environment: STACKCTL_PYTHON (interpreter for the venvs, default python3),
# STACKCTL_EMULATOR_START_TIMEOUT (seconds to wait for health, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMU_DIR="$ROOT/.emulators"
PYTHON="${STACKCTL_PYTHON:-python3}"
START_TIMEOUT="${STACKCTL_EMULATOR_START_TIMEOUT:-60}"

LS_VERSION="4.13.0"
# LocalStack 4.14+ needs Python 3.12; 4.13.0 imports on 3.11 only with these pins
# (see shared/emulators.md).
LS_PINS=(
  "localstack-core[runtime]==$LS_VERSION"
  "cbor2<5.7"
  "pyopenssl<24.3"
  "cryptography<44"
  "service_identity<24.3"
  "joserfc<1.3"
)
LS_VENV="$EMU_DIR/localstack"
LS_PORT=4566
NOOP_EXECUTOR_SRC="$ROOT/tools/localstack-noop-executor"
NOOP_EXECUTOR_NAME="noop" # the plugin name in its entry point

MS_VERSION="1.5.33"
MS_VENV="$EMU_DIR/ministack"
MS_PORT=4567

log() { printf 'emulators: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- install

# Version of a distribution inside a venv, or nothing.
venv_dist_version() {
  local venv="$1" dist="$2"
  [[ -x "$venv/bin/python" ]] || return 0
  "$venv/bin/python" - "$dist" 2>/dev/null <<'EOF' || true
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
EOF
}

# Fingerprints of what the LocalStack venv must hold: a change to the pins
# rebuilds the venv, a change to the executor's sources reinstalls it.
pins_stamp() { printf '%s\n' "${LS_PINS[@]}" | sha256sum | cut -d' ' -f1; }
executor_stamp() {
  (cd "$NOOP_EXECUTOR_SRC" && find . -type f \( -name '*.py' -o -name '*.toml' \) \
    -not -path '*/build/*' -not -path '*.egg-info/*' | LC_ALL=C sort | xargs sha256sum) |
    sha256sum | cut -d' ' -f1
}

new_venv() {
  local venv="$1"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
}

pip_in() {
  local venv="$1"
  shift
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input "$@"
}

install_localstack() {
  local t0 pins exe scratch
  t0="$(now)"
  pins="$(pins_stamp)"
  exe="$(executor_stamp)"
  if [[ "$(venv_dist_version "$LS_VENV" localstack-core)" == "$LS_VERSION" &&
    "$(cat "$LS_VENV/.stackctl-pins" 2>/dev/null)" == "$pins" ]]; then
    if [[ -n "$(venv_dist_version "$LS_VENV" localstack-noop-executor)" &&
      "$(cat "$LS_VENV/.stackctl-executor" 2>/dev/null)" == "$exe" ]]; then
      log "localstack $LS_VERSION already installed in ${LS_VENV#"$ROOT"/}"
      return 0
    fi
  else
    log "installing localstack $LS_VERSION into ${LS_VENV#"$ROOT"/} ..."
    new_venv "$LS_VENV"
    pip_in "$LS_VENV" "${LS_PINS[@]}"
    echo "$pins" >"$LS_VENV/.stackctl-pins"
  fi
  log "installing the no-op Lambda runtime executor ..."
  # Built from a scratch copy so the source tree stays free of build/ and *.egg-info;
  # --no-deps so that this step can never move the pins.
  scratch="$(mktemp -d)"
  cp -r "$NOOP_EXECUTOR_SRC/." "$scratch/"
  if ! pip_in "$LS_VENV" --force-reinstall --no-deps "$scratch"; then
    rm -rf "$scratch"
    die "installing tools/localstack-noop-executor failed"
  fi
  rm -rf "$scratch"
  "$LS_VENV/bin/python" -m pip check >/dev/null ||
    die "pip check failed in ${LS_VENV#"$ROOT"/}: $("$LS_VENV/bin/python" -m pip check 2>&1 | head -5)"
  "$LS_VENV/bin/python" - "$NOOP_EXECUTOR_NAME" <<'EOF' || die "the no-op executor plugin is not discoverable"
import sys
from importlib.metadata import entry_points
names = [ep.name for ep in entry_points(group="localstack.lambda.runtime_executor")]
if sys.argv[1] not in names:
    sys.exit(f"runtime executor plugins found: {names}")
EOF
  echo "$exe" >"$LS_VENV/.stackctl-executor"
  log "localstack ready in ${LS_VENV#"$ROOT"/} ($(elapsed "$t0") s)"
}

install_ministack() {
  local t0
  t0="$(now)"
  if [[ "$(venv_dist_version "$MS_VENV" ministack)" == "$MS_VERSION" ]]; then
    log "ministack $MS_VERSION already installed in ${MS_VENV#"$ROOT"/}"
    return 0
  fi
  log "installing ministack $MS_VERSION into ${MS_VENV#"$ROOT"/} ..."
  new_venv "$MS_VENV"
  pip_in "$MS_VENV" "ministack==$MS_VERSION"
  log "ministack ready in ${MS_VENV#"$ROOT"/} ($(elapsed "$t0") s)"
}

cmd_install() {
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set STACKCTL_PYTHON)"
  mkdir -p "$EMU_DIR"
  case "${1:-all}" in
  localstack) install_localstack ;;
  ministack) install_ministack ;;
  all)
    install_localstack
    install_ministack
    ;;
  *) die "unknown emulator: $1 (localstack, ministack or all)" ;;
  esac
}

# ---------------------------------------------------------------- processes

pid_file() { echo "$EMU_DIR/$1.pid"; }
log_file() { echo "$EMU_DIR/$1.log"; }
port_of() { case "$1" in localstack) echo "$LS_PORT" ;; ministack) echo "$MS_PORT" ;; esac }

# The pid from our pid file, if that process is alive and is the emulator we started.
live_pid() {
  local name="$1" pf pid
  pf="$(pid_file "$name")"
  [[ -f "$pf" ]] || return 1
  pid="$(cat "$pf")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  case "$name" in
  localstack) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "localstack.runtime.main" || return 1 ;;
  ministack) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "ministack" || return 1 ;;
  esac
  echo "$pid"
}

# Is the right emulator answering on its port? Both answer /_localstack/health,
# so each is told apart by an endpoint only it has.
healthy() {
  local name="$1" port
  port="$(port_of "$name")"
  case "$name" in
  localstack)
    # Ready once its READY stage completed (it answers /_localstack/info a little
    # earlier); MiniStack answers both with a 404.
    curl -sf --max-time 2 "http://127.0.0.1:$port/_localstack/init/ready" 2>/dev/null |
      grep -q '"completed": *true'
    ;;
  ministack)
    curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/_ministack/ready" 2>/dev/null
    ;;
  esac
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Runs argv[1:] in place of itself as the leader of a new session, so that its
# process group id is its pid and stop can reach its children too. (setsid(1)
# would fork, and so change the pid, when job control already made it a group
# leader; then os.setsid fails, and the group is already its own.)
DETACH='import os, sys
try:
    os.setsid()
except OSError:
    pass
os.execv(sys.argv[1], sys.argv[1:])'

# Starts one emulator detached, with in-memory state wiped clean, then waits
# for it to be healthy.
start_one() {
  local name="$1" port pf lf venv pid t0 state_dir
  port="$(port_of "$name")"
  pf="$(pid_file "$name")"
  lf="$(log_file "$name")"
  if healthy "$name"; then
    if pid="$(live_pid "$name")"; then
      log "$name already running (pid $pid) on 127.0.0.1:$port: reusing it"
    else
      log "$name already answering on 127.0.0.1:$port (not started by this script): reusing it"
    fi
    return 0
  fi
  if port_in_use "$port"; then
    die "127.0.0.1:$port is in use by something that is not a healthy $name; free the port and retry"
  fi
  if pid="$(live_pid "$name")"; then
    die "$name (pid $pid) is running but not answering on 127.0.0.1:$port; run '$0 stop' first"
  fi
  case "$name" in
  localstack) venv="$LS_VENV" ;;
  ministack) venv="$MS_VENV" ;;
  esac
  [[ -x "$venv/bin/python" ]] || die "$name is not installed; run '$0 install' first"

  state_dir="$EMU_DIR/$name-state"
  rm -rf "$state_dir"
  mkdir -p "$state_dir"
  t0="$(now)"
  case "$name" in
  localstack)
    # GATEWAY_SERVER=hypercorn: other servers bind 0.0.0.0 whatever GATEWAY_LISTEN says.
    # DNS_ADDRESS=0: otherwise, as root, it serves DNS on 0.0.0.0:53.
    # OVERRIDE_IN_DOCKER=0: /.dockerenv exists on these machines, and in "container"
    # mode it would write to /var/lib/localstack, /etc/localstack and /tmp/localstack;
    # in host mode everything goes under FILESYSTEM_ROOT, wiped above on every start.
    env -u LOCALSTACK_API_KEY -u LOCALSTACK_AUTH_TOKEN -u AWS_ENDPOINT_URL \
      -u SNAPSHOT_LOAD_STRATEGY -u SNAPSHOT_SAVE_STRATEGY \
      GATEWAY_SERVER=hypercorn \
      GATEWAY_LISTEN="127.0.0.1:$port" \
      LOCALSTACK_HOST="127.0.0.1:$port" \
      DNS_ADDRESS=0 \
      LAMBDA_RUNTIME_EXECUTOR="$NOOP_EXECUTOR_NAME" \
      PERSISTENCE=0 \
      OVERRIDE_IN_DOCKER=0 \
      FILESYSTEM_ROOT="$state_dir" \
      DISABLE_EVENTS=1 \
      SKIP_SSL_CERT_DOWNLOAD=1 \
      "$venv/bin/python" -c "$DETACH" "$venv/bin/python" -m localstack.runtime.main </dev/null >"$lf" 2>&1 &
    ;;
  ministack)
    # IOT_MTLS_ENABLED=0 / SFTP_ENABLED=0: those listeners bind 0.0.0.0.
    # TMPDIR: where it keeps function code and its own pid file, wiped above.
    env -u AWS_ENDPOINT_URL \
      BIND_HOST=127.0.0.1 \
      GATEWAY_PORT="$port" \
      MINISTACK_HOST=127.0.0.1 \
      IOT_MTLS_ENABLED=0 \
      SFTP_ENABLED=0 \
      SFTP_HOST=127.0.0.1 \
      PERSIST_STATE=0 \
      S3_PERSIST=0 \
      LOCALSTACK_PERSISTENCE=0 \
      STATE_DIR="$state_dir/state" \
      S3_DATA_DIR="$state_dir/s3" \
      TMPDIR="$state_dir" \
      LOG_LEVEL=WARNING \
      "$venv/bin/python" -c "$DETACH" "$venv/bin/python" -m ministack </dev/null >"$lf" 2>&1 &
    ;;
  esac
  pid=$!
  echo "$pid" >"$pf"

  local deadline=$((SECONDS + START_TIMEOUT))
  until healthy "$name"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pf"
      log "$name exited during startup; last lines of ${lf#"$ROOT"/}:"
      tail -n 30 "$lf" >&2 || true
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name not healthy on 127.0.0.1:$port after ${START_TIMEOUT}s; last lines of ${lf#"$ROOT"/}:"
      tail -n 30 "$lf" >&2 || true
      stop_one "$name"
      exit 1
    fi
    sleep 0.1
  done
  log "$name started (pid $pid) on http://127.0.0.1:$port in $(elapsed "$t0") s; log: ${lf#"$ROOT"/}"
}

stop_one() {
  local name="$1" pf pid i
  pf="$(pid_file "$name")"
  if ! pid="$(live_pid "$name")"; then
    [[ -f "$pf" ]] && log "$name: stale pid file removed"
    rm -f "$pf"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 10 s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Whatever it spawned (MiniStack's function workers) is in its process group,
  # whose id is its pid (see DETACH).
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pf"
  log "$name (pid $pid) stopped"
}

names_for() {
  case "${1:-all}" in
  localstack) echo localstack ;;
  ministack) echo ministack ;;
  all) echo localstack ministack ;;
  *) die "unknown emulator '$1' (expected localstack, ministack or all)" ;;
  esac
}

cmd_start() {
  local name
  command -v curl >/dev/null || die "curl is needed for health checks"
  mkdir -p "$EMU_DIR"
  for name in $(names_for "${1:-all}"); do start_one "$name"; done
}

cmd_stop() {
  local name
  for name in $(names_for "${1:-all}"); do stop_one "$name"; done
}

cmd_status() {
  local name pid port
  for name in localstack ministack; do
    port="$(port_of "$name")"
    if pid="$(live_pid "$name")"; then
      if healthy "$name"; then
        echo "$name: running (pid $pid), healthy on http://127.0.0.1:$port"
      else
        echo "$name: running (pid $pid), NOT answering on http://127.0.0.1:$port"
      fi
    elif healthy "$name"; then
      echo "$name: not started by this script, but one answers on http://127.0.0.1:$port"
    else
      echo "$name: not running"
    fi
  done
}

case "${1:-}" in
install) cmd_install "${2:-all}" ;;
start) cmd_start "${2:-all}" ;;
stop) cmd_stop "${2:-all}" ;;
status) cmd_status ;;
*)
  echo "usage: $0 install [localstack|ministack|all] | start [localstack|ministack|all] | stop [localstack|ministack|all] | status" >&2
  exit 2
  ;;
esac
