#!/usr/bin/env python3
"""stackctl's benchmark: wall time (median and spread over repeated runs), AWS calls and peak memory
of the commands that matter, against LocalStack on 127.0.0.1:4566, as a Markdown table on stdout.

    python3 scripts/bench.py            # builds the release binary, starts LocalStack if needed
    python3 scripts/bench.py --runs 3   # fewer repetitions

Cases: `stackctl --version`; `validate` of a generated 1000-route file; `stackctl build` of the
dependency test functions (tests/fixtures/deps: requests + bcrypt with pip, uuid with npm ci), cold
(a fresh .stackctl/) and from the cache; for the tutorial stack and a generated stack of 20
functions and 100 routes: apply from empty, no-op plan, no-op apply, and no-op plans through the
quota proxy holding each request 20 and then 50 ms (`--latency-ms`: an AWS region's round trip,
where LocalStack answers in a few milliseconds one request at a time).

Large APIs and a shared account (issue 14), some through the quota proxy (the test suite's
fault-injection proxy as a program, `cargo run --example quota-proxy`, enforcing API Gateway's real
per-operation quotas and 10 requests/s with 429s): a 100-route API (one function, CORS) applied
from empty on LocalStack and through the proxy; Chalice 1.34.0 deploying the same 100 routes on
LocalStack in the same run (installed into .emulators/chalice); an `allow_origin` change that
touches every route, through the proxy; three applies started together through one proxy (first
applies of 20 routes each, then each adding 18 routes), against the quota's floor for the calls
the proxy admitted.
Progress goes to stderr; only the table goes to stdout.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "http://127.0.0.1:4566"
TARGETS = {
    "no-op plan, 20 fn / 100 routes vs tutorial": "≤ 3×",
    "no-op plan, 20 fn / 100 routes vs tutorial, modelled round trips": "≤ 3×",
    "validate, 1000 routes": "≤ 50 ms",
    "stackctl --version": "≤ 5 ms",
    "peak memory, 100-route plan": "≤ 50 MB",
    "build from the cache vs cold, requests + bcrypt": "≤ 0.25×",
    "100-route apply from empty vs chalice deploy": "≤ 2×",
    "100-route apply from empty, through the quota proxy": "≤ 10 s, no 429",
    "allow_origin change on 100 routes, through the quota proxy": "≤ 10 s",
    "3 concurrent applies vs the quota floor of their calls": "≤ 1.5×, all exit 0",
}
CHALICE = "chalice==1.34.0"


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def env(endpoint=ENDPOINT):
    e = dict(os.environ)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        e.pop(k, None)
    e.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
    )
    return e


def run(binary, args, call_log=None, endpoint=ENDPOINT, check=True):
    """Runs stackctl once; returns (seconds, peak RSS in MB, calls), or with check=False
    (seconds, exit code)."""
    e = env(endpoint)
    if call_log:
        call_log.unlink(missing_ok=True)
        e["STACKCTL_CALL_LOG"] = str(call_log)
    # Output goes to files, not pipes: waiting on a child whose pipe is full would deadlock.
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        start = time.perf_counter()
        proc = subprocess.Popen([str(binary), *args], env=e, stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read().decode(), err_f.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if not check:
        if code != 0:
            log(f"stackctl {' '.join(args)} exited {code}:\n{err[-2000:]}")
        return took, code
    if code != 0:
        sys.exit(f"bench: stackctl {' '.join(args)} exited {code}:\n{out}\n{err}")
    calls = []
    if call_log and call_log.exists():
        calls = [json.loads(line) for line in call_log.read_text().splitlines() if line]
    return took, usage.ru_maxrss / 1024, calls


def is_write(call):
    return not call["operation"].startswith(("Get", "List", "Describe", "Filter", "StartLiveTail"))


def stats(samples):
    ms = [s * 1000 for s in samples]
    med = statistics.median(ms)
    return f"{med:.1f} ms", f"{min(ms):.1f}–{max(ms):.1f} ms"


def generate(directory, name, functions, routes, cors=True, resources_quota=None):
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f'[stack]\nname = "{name}"\n']
    for f in range(functions):
        src = directory / f"f{f}"
        src.mkdir(exist_ok=True)
        (src / "index.py").write_text(f"def handler(event, context):\n    return {{'statusCode': 200, 'body': 'f{f}'}}\n")
        lines.append(f'[functions.f{f}]\nruntime = "python3.12"\nhandler = "index.handler"\nsource = "f{f}"\n')
    lines.append(f'[api]\nname = "{name}-api"\nlogging = "INFO"\n')
    if resources_quota:
        lines.append(f"resources_quota = {resources_quota}\n")
    if cors:
        lines.append('[api.cors]\nallow_origin = "*"\n')
    for r in range(routes):
        path = [f"/r{r}", f"/g{r % 7}/r{r}", f"/items{r}/{{id}}"][r % 3]
        lines.append(f'[[api.routes]]\npath = "{path}"\nmethods = ["GET"]\nfunction = "f{r % functions}"\n')
    (directory / "stack.toml").write_text("\n".join(lines))


class QuotaProxy:
    """The quota proxy (tools/quota_proxy.rs) in front of LocalStack, on 127.0.0.1."""

    def __init__(self, program, latency_ms=0):
        args = [str(program), ENDPOINT] + (["--latency-ms", str(latency_ms)] if latency_ms else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            sys.exit(f"bench: the quota proxy did not start: {line!r}")
        self.endpoint = line.split(" ", 1)[1]

    def counts(self):
        """{"admitted": N, "throttled": N, "floor_s": S} since the proxy started."""
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def generate_api(directory, name, routes, allow_origin="*"):
    """One Python function behind `routes` GET routes with CORS: the shape Chalice deploys."""
    (directory / "f").mkdir(parents=True, exist_ok=True)
    (directory / "f/index.py").write_text("def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    lines = [f'[stack]\nname = "{name}"\n', '[functions.f]\nruntime = "python3.12"\nhandler = "index.handler"\nsource = "f"\n']
    lines.append(f'[api]\nname = "{name}-api"\n\n[api.cors]\nallow_origin = "{allow_origin}"\n')
    for r in range(routes):
        lines.append(f'[[api.routes]]\npath = "/r{r}"\nmethods = ["GET"]\nfunction = "f"\n')
    (directory / "stack.toml").write_text("\n".join(lines))


def chalice_deploys(runs, rows, work):
    """Chalice 1.34.0 deploying 100 routes (one function, cors=True) on LocalStack: the peer."""
    venv = ROOT / ".emulators/chalice"
    if not (venv / "bin/chalice").exists():
        log(f"installing {CHALICE} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", CHALICE], check=True, stdout=sys.stderr)
    app = work / "chalice-app"
    (app / ".chalice").mkdir(parents=True, exist_ok=True)
    code = ["from chalice import Chalice", "app = Chalice(app_name='benchchalice')", ""]
    for r in range(100):
        code += [f"@app.route('/r{r}', methods=['GET'], cors=True)", f"def r{r}():", f"    return {{'r': {r}}}", ""]
    (app / "app.py").write_text("\n".join(code))
    (app / "requirements.txt").write_text("")
    (app / ".chalice/config.json").write_text(json.dumps({"version": "2.0", "app_name": "benchchalice", "stages": {"dev": {"api_gateway_stage": "api"}}}))
    samples = []
    for i in range(runs):
        log(f"chalice deploy, 100 routes ({i + 1}/{runs})")
        start = time.perf_counter()
        subprocess.run([str(venv / "bin/chalice"), "deploy"], cwd=app, env=env(), check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
        subprocess.run([str(venv / "bin/chalice"), "delete"], cwd=app, env=env(), check=True, stdout=subprocess.DEVNULL)
    rows.append(("chalice deploy, 100 routes (LocalStack)", *stats(samples), "boto3"))
    return statistics.median(samples)


def bench_large_api(binary, proxy_program, runs, rows, work, call_log):
    """A 100-route API from empty, direct and through the quota proxy, and an allow_origin change
    through the proxy. Returns (median direct s, (proxy s, 429s), (change s, 429s))."""
    stack = work / "api100"
    generate_api(stack, "bench100", 100)
    f = ["-f", str(stack / "stack.toml"), "--color", "never"]
    direct, calls = [], []
    for i in range(runs):
        log(f"100 routes: apply from empty ({i + 1}/{runs})")
        took, _, calls = run(binary, ["apply", "--yes", *f], call_log)
        direct.append(took)
        run(binary, ["destroy", "--yes", *f])
    writes = sum(1 for c in calls if is_write(c))
    rows.append(("100 routes, 1 fn: apply from empty", *stats(direct), f"{len(calls) - writes} reads, {writes} writes"))

    log("100 routes: apply from empty through the quota proxy")
    with QuotaProxy(proxy_program) as proxy:
        quota_took, _, _ = run(binary, ["apply", "--yes", *f], endpoint=proxy.endpoint)
        quota = proxy.counts()
    rows.append(("100 routes: apply from empty, quota proxy", f"{quota_took * 1000:.1f} ms", "1 run", f"{quota['admitted']} admitted, {quota['throttled']} × 429"))

    log("100 routes: allow_origin change through the quota proxy")
    generate_api(stack, "bench100", 100, allow_origin="https://app.example.com")
    with QuotaProxy(proxy_program) as proxy:
        change_took, _, _ = run(binary, ["apply", "--yes", *f], endpoint=proxy.endpoint)
        change = proxy.counts()
    rows.append(("100 routes: allow_origin change, quota proxy", f"{change_took * 1000:.1f} ms", "1 run", f"{change['admitted']} admitted, {change['throttled']} × 429"))
    run(binary, ["destroy", "--yes", *f])
    return statistics.median(direct), (quota_took, quota["throttled"]), (change_took, change["throttled"])


def concurrent(binary, proxy_program, work, label, rows, first_routes, added_routes):
    """Three stacks applied at once through one quota proxy; returns (wall / floor, all exit 0)."""
    from concurrent.futures import ThreadPoolExecutor

    files = []
    for i in range(3):
        d = work / f"{label}{i}"
        generate(d, f"bench{label}{i}", 1, first_routes, cors=True)
        files.append(d / "stack.toml")
    if added_routes:
        for file in files:
            run(binary, ["apply", "--yes", "-f", str(file), "--color", "never"])
            file.write_text(file.read_text() + "".join(f'\n[[api.routes]]\npath = "/added{r}"\nmethods = ["POST"]\nfunction = "f0"\n' for r in range(added_routes)))
    log(f"3 concurrent applies ({label}) through the quota proxy")
    with QuotaProxy(proxy_program) as proxy:
        start = time.perf_counter()
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda file: run(binary, ["apply", "--yes", "-f", str(file), "--color", "never"], endpoint=proxy.endpoint, check=False), files))
        wall = time.perf_counter() - start
        counts = proxy.counts()
    codes = [code for _, code in results]
    for file in files:
        run(binary, ["destroy", "--yes", "-f", str(file), "--color", "never"], check=False)
    floor = max(counts["floor_s"], 0.001)
    what = f"first applies, {first_routes} routes each" if not added_routes else f"each adding {added_routes} routes"
    rows.append((f"3 concurrent applies ({what}), quota proxy", f"{wall * 1000:.1f} ms", f"floor {floor:.1f} s", f"{counts['admitted']} admitted, {counts['throttled']} × 429, exits {codes}"))
    return wall / floor, all(c == 0 for c in codes)


def bench_build(binary, runs, rows, work):
    """`stackctl build` of each dependency fixture: cold (fresh copy) and warm (cache hit)."""
    ratio = None
    for fn, what in (("py", "requests + bcrypt"), ("js", "uuid")):
        cold, warm = [], []
        for i in range(runs):
            d = work / f"build-{fn}-{i}"
            shutil.copytree(ROOT / "tests/fixtures/deps", d)
            runtime = "python3.11" if fn == "py" else "nodejs24.x"
            handler = "app.handler" if fn == "py" else "index.handler"
            (d / "stack.toml").write_text(
                f'[stack]\nname = "benchbuild"\n[functions.{fn}]\nruntime = "{runtime}"\nhandler = "{handler}"\nsource = "{fn}"\n'
            )
            log(f"build {what}: cold and warm ({i + 1}/{runs})")
            cold.append(run(binary, ["-q", "build", "-f", str(d / "stack.toml")])[0])
            warm.append(run(binary, ["-q", "build", "-f", str(d / "stack.toml")])[0])
        rows.append((f"build {what}: cold", *stats(cold), "none"))
        rows.append((f"build {what}: from the cache", *stats(warm), "none"))
        if fn == "py":
            ratio = statistics.median(warm) / statistics.median(cold)
    return ratio


def ensure_localstack():
    subprocess.run(["bash", str(ROOT / "scripts/emulators.sh"), "install", "localstack"], check=True, stdout=sys.stderr)
    status = subprocess.run(["bash", str(ROOT / "scripts/emulators.sh"), "status"], capture_output=True, text=True).stdout
    started = "localstack: running" not in status
    subprocess.run(["bash", str(ROOT / "scripts/emulators.sh"), "start", "localstack"], check=True, stdout=sys.stderr)
    return started


# Round trips modelled by the quota proxy for the no-op plan ratio: LocalStack answers in a few
# milliseconds, one request at a time, where an AWS region is tens of milliseconds away and serves
# requests side by side; what a plan's wall time is made of differs accordingly.
ROUND_TRIPS_MS = (20, 50)


def plans_through_proxy(binary, proxy_program, stack_file, runs, label):
    """No-op plans through the quota proxy, for each round trip of ROUND_TRIPS_MS: ({ms: median
    s}, table rows)."""
    medians, rows = {}, []
    for ms in ROUND_TRIPS_MS:
        with QuotaProxy(proxy_program, latency_ms=ms) as proxy:
            samples = []
            for i in range(runs):
                log(f"{label}: no-op plan, {ms} ms round trips ({i + 1}/{runs})")
                took, _, _ = run(binary, ["plan", "-f", str(stack_file), "--color", "never"], endpoint=proxy.endpoint)
                samples.append(took)
        rows.append((f"{label}: no-op plan, {ms} ms round trips (quota proxy)", *stats(samples), "as above"))
        medians[ms] = statistics.median(samples)
    return medians, rows


def bench_stack(binary, proxy_program, stack_file, runs, label, rows, call_log):
    """Apply from empty, no-op plans and applies, destroy; returns (median no-op plan s, peak RSS
    MB, {round trip ms: median no-op plan s} through the quota proxy)."""
    f = ["-f", str(stack_file), "--color", "never"]
    applies, calls_apply = [], []
    plans, apply_noops = [], []
    plan_calls = apply_noop_calls = None
    peak = 0.0
    for i in range(runs):
        log(f"{label}: apply from empty ({i + 1}/{runs})")
        took, _, calls = run(binary, ["apply", "--yes", *f], call_log)
        applies.append(took)
        calls_apply = calls
        for _ in range(2):
            took, rss, calls = run(binary, ["plan", *f], call_log)
            plans.append(took)
            peak = max(peak, rss)
            plan_calls = calls
            took, _, calls = run(binary, ["apply", "--yes", *f], call_log)
            apply_noops.append(took)
            apply_noop_calls = calls
        if i == runs - 1:
            modelled, modelled_rows = plans_through_proxy(binary, proxy_program, stack_file, max(3, runs), label)
        run(binary, ["destroy", "--yes", *f])

    def calls_text(calls):
        writes = sum(1 for c in calls if is_write(c))
        return f"{len(calls) - writes} reads, {writes} writes"

    rows.append((f"{label}: apply from empty", *stats(applies), calls_text(calls_apply)))
    rows.append((f"{label}: no-op plan", *stats(plans), calls_text(plan_calls)))
    rows.append((f"{label}: no-op apply", *stats(apply_noops), calls_text(apply_noop_calls)))
    rows.extend(modelled_rows)
    return statistics.median(plans), peak, modelled


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each AWS case (default 5)")
    args = parser.parse_args()

    log("building the release binary and the quota proxy (cargo build --release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "stackctl", "--example", "quota-proxy"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
    binary = target / "stackctl"
    proxy_program = target / "examples/quota-proxy"
    started = ensure_localstack()
    work = Path(tempfile.mkdtemp(prefix="stackctl-bench-"))
    call_log = work / "calls.jsonl"
    rows = []
    try:
        samples = [run(binary, ["--version"])[0] for _ in range(50)]
        version = statistics.median(samples)
        rows.append(("stackctl --version", *stats(samples), "none"))

        generate(work / "big-file", "bigfile", 20, 1000, cors=True, resources_quota=2000)
        samples = [run(binary, ["validate", "-f", str(work / "big-file/stack.toml")])[0] for _ in range(20)]
        validate = statistics.median(samples)
        rows.append(("validate, 1000 routes", *stats(samples), "none"))

        build_ratio = bench_build(binary, args.runs, rows, work)

        tutorial = work / "tutorial"
        shutil.copytree(ROOT / "examples/tutorial", tutorial)
        text = (tutorial / "stack.toml").read_text().replace('name = "hello"', 'name = "benchtut"', 1)
        (tutorial / "stack.toml").write_text(text)
        small_plan, _, small_modelled = bench_stack(binary, proxy_program, tutorial / "stack.toml", args.runs, "tutorial", rows, call_log)

        generate(work / "large", "benchlarge", 20, 100, cors=True)
        large_plan, peak, large_modelled = bench_stack(binary, proxy_program, work / "large/stack.toml", max(1, args.runs // 2), "20 fn / 100 routes", rows, call_log)

        api100, quota, change = bench_large_api(binary, proxy_program, args.runs, rows, work, call_log)
        chalice = chalice_deploys(args.runs, rows, work)
        first_ratio, first_ok = concurrent(binary, proxy_program, work, "first", rows, 20, 0)
        added_ratio, added_ok = concurrent(binary, proxy_program, work, "added", rows, 2, 18)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if started:
            subprocess.run(["bash", str(ROOT / "scripts/emulators.sh"), "stop", "localstack"], stdout=sys.stderr)

    print(f"stackctl benchmark against LocalStack 4.13.0 ({args.runs} runs per AWS case; 20 fn / 100 routes: {max(1, args.runs // 2)})\n")
    print("| case | median | spread (min–max) | AWS calls |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| target | measured | goal | met |")
    print("|---|---|---|---|")
    modelled = ", ".join(f"{large_modelled[ms] / small_modelled[ms]:.2f}× at {ms} ms" for ms in ROUND_TRIPS_MS)
    checks = [
        ("no-op plan, 20 fn / 100 routes vs tutorial", f"{large_plan / small_plan:.2f}× on LocalStack", large_plan <= 3 * small_plan),
        ("no-op plan, 20 fn / 100 routes vs tutorial, modelled round trips", modelled, all(large_modelled[ms] <= 3 * small_modelled[ms] for ms in ROUND_TRIPS_MS)),
        ("validate, 1000 routes", f"{validate * 1000:.1f} ms", validate <= 0.050),
        ("stackctl --version", f"{version * 1000:.1f} ms", version <= 0.005),
        ("peak memory, 100-route plan", f"{peak:.1f} MB", peak <= 50),
        ("build from the cache vs cold, requests + bcrypt", f"{build_ratio:.2f}×", build_ratio <= 0.25),
        ("100-route apply from empty vs chalice deploy", f"{api100 / chalice:.2f}×", api100 <= 2 * chalice),
        ("100-route apply from empty, through the quota proxy", f"{quota[0]:.1f} s, {quota[1]} × 429", quota[0] <= 10 and quota[1] == 0),
        ("allow_origin change on 100 routes, through the quota proxy", f"{change[0]:.1f} s, {change[1]} × 429", change[0] <= 10),
        ("3 concurrent applies vs the quota floor of their calls", f"first {first_ratio:.2f}×, adding {added_ratio:.2f}×", first_ok and added_ok and max(first_ratio, added_ratio) <= 1.5),
    ]
    for name, measured, ok in checks:
        print(f"| {name} | {measured} | {TARGETS[name]} | {'yes' if ok else 'no'} |")


if __name__ == "__main__":
    main()
