#!/usr/bin/env bash
# The README's demo: the AWS console tutorial, end to end, against a local emulator this script
# starts itself (MiniStack on 127.0.0.1:4567, which really runs the functions).
#
#   scripts/demo.sh              plan → apply → call the URL → smoke test → logs → plan again → destroy
#   DEMO_KEEP=1 scripts/demo.sh  leave the stack (and the emulator) running afterwards
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STACK="examples/tutorial/stack.toml"

# Bold headings on a terminal only: piped or logged output gets no escape codes.
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

step "Building stackctl (the first build takes a few minutes; cargo shows its progress)"
cargo build
STACKCTL="$ROOT/target/debug/stackctl"

step "Starting MiniStack on 127.0.0.1:4567"
bash scripts/emulators.sh install ministack
started=0
if ! bash scripts/emulators.sh status 2>/dev/null | grep -q "^ministack: running"; then
  started=1
fi
bash scripts/emulators.sh start ministack
if [[ "$started" == 1 && "${DEMO_KEEP:-0}" != 1 ]]; then
  trap 'bash scripts/emulators.sh stop ministack' EXIT
fi

# Everything below talks to the emulator only, with its dummy credentials.
export AWS_ENDPOINT_URL=http://127.0.0.1:4567 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

step "stackctl plan   (reads live state; nothing exists yet)"
"$STACKCTL" plan -f "$STACK"

step "stackctl apply --yes"
"$STACKCTL" apply -f "$STACK" --yes

url="$("$STACKCTL" outputs -f "$STACK" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["routes"][0]["url"])')"

step "Calling the API: POST, HEAD and a CORS preflight"
python3 - "$url" <<'PY'
import sys, urllib.request
url = sys.argv[1]
def call(method, data=None, headers={}):
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req) as r:
        body = r.read().decode()
        cors = {k: v for k, v in r.headers.items() if k.lower().startswith("access-control")}
        print(f"{method:7} {r.status} {body!r} {cors}")
call("POST", b'{"name": "Ada"}', {"Content-Type": "application/json"})
call("HEAD")
call("OPTIONS", headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"})
PY

step "stackctl test   (a smoke test of every route and the CORS preflight)"
"$STACKCTL" test -f "$STACK" -d '{"name": "Ada"}'

step "stackctl logs --since 5m   (the functions' console output, from CloudWatch Logs)"
"$STACKCTL" -f "$STACK" logs --since 5m

step "stackctl plan --detailed-exitcode   (live AWS matches the file: exit 0)"
"$STACKCTL" plan -f "$STACK" --detailed-exitcode

if [[ "${DEMO_KEEP:-0}" == 1 ]]; then
  step "Kept the stack; remove it with: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL $STACKCTL destroy -f $STACK --yes"
else
  step "stackctl destroy --yes"
  "$STACKCTL" destroy -f "$STACK" --yes
fi

step "Done. The binary is $STACKCTL (no need for cargo install); to try your own stack, see \"Try it by hand\" in README.md"
