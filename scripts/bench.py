#!/usr/bin/env python3
"""stackctl's benchmark: wall time (median and spread over repeated runs), AWS calls and peak memory
of the commands that matter, against LocalStack on 127.0.0.1:4566, as a Markdown table on stdout.

    python3 scripts/bench.py            # builds the release binary, starts LocalStack if needed
    python3 scripts/bench.py --runs 3   # fewer repetitions

Cases: `stackctl --version`; `validate` of a generated 1000-route file; `stackctl build` of the
dependency test functions (tests/fixtures/deps: requests + bcrypt with pip, uuid with npm ci), cold
(a fresh .stackctl/) and from the cache; for the tutorial stack and a generated stack of 20
functions and 100 routes: apply from empty, no-op plan, no-op apply.
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
    "validate, 1000 routes": "≤ 50 ms",
    "stackctl --version": "≤ 5 ms",
    "peak memory, 100-route plan": "≤ 50 MB",
    "build from the cache vs cold, requests + bcrypt": "≤ 0.25×",
}


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def env():
    e = dict(os.environ)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        e.pop(k, None)
    e.update(
        AWS_ENDPOINT_URL=ENDPOINT,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
    )
    return e


def run(binary, args, call_log=None):
    """Runs stackctl once; returns (seconds, peak RSS in MB, calls)."""
    e = env()
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


def generate(directory, name, functions, routes, cors=True):
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f'[stack]\nname = "{name}"\n']
    for f in range(functions):
        src = directory / f"f{f}"
        src.mkdir(exist_ok=True)
        (src / "index.py").write_text(f"def handler(event, context):\n    return {{'statusCode': 200, 'body': 'f{f}'}}\n")
        lines.append(f'[functions.f{f}]\nruntime = "python3.12"\nhandler = "index.handler"\nsource = "f{f}"\n')
    lines.append(f'[api]\nname = "{name}-api"\nlogging = "INFO"\n')
    if cors:
        lines.append('[api.cors]\nallow_origin = "*"\n')
    for r in range(routes):
        path = [f"/r{r}", f"/g{r % 7}/r{r}", f"/items{r}/{{id}}"][r % 3]
        lines.append(f'[[api.routes]]\npath = "{path}"\nmethods = ["GET"]\nfunction = "f{r % functions}"\n')
    (directory / "stack.toml").write_text("\n".join(lines))


def bench_build(binary, runs, rows, work):
    """`stackctl build` of each dependency fixture: cold (fresh copy) and warm (cache hit)."""
    ratio = None
    for fn, what in (("py", "requests + bcrypt"), ("js", "uuid")):
        cold, warm = [], []
        for i in range(runs):
            d = work / f"build-{fn}-{i}"
            shutil.copytree(ROOT / "tests/fixtures/deps", d)
            runtime = "python3.11" if fn == "py" else "nodejs20.x"
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


def bench_stack(binary, stack_file, runs, label, rows, call_log):
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
        run(binary, ["destroy", "--yes", *f])

    def calls_text(calls):
        writes = sum(1 for c in calls if is_write(c))
        return f"{len(calls) - writes} reads, {writes} writes"

    rows.append((f"{label}: apply from empty", *stats(applies), calls_text(calls_apply)))
    rows.append((f"{label}: no-op plan", *stats(plans), calls_text(plan_calls)))
    rows.append((f"{label}: no-op apply", *stats(apply_noops), calls_text(apply_noop_calls)))
    return statistics.median(plans), peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each AWS case (default 5)")
    args = parser.parse_args()

    log("building the release binary (cargo build --release)")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release/stackctl"
    started = ensure_localstack()
    work = Path(tempfile.mkdtemp(prefix="stackctl-bench-"))
    call_log = work / "calls.jsonl"
    rows = []
    try:
        samples = [run(binary, ["--version"])[0] for _ in range(50)]
        version = statistics.median(samples)
        rows.append(("stackctl --version", *stats(samples), "none"))

        generate(work / "big-file", "bigfile", 20, 1000, cors=True)
        samples = [run(binary, ["validate", "-f", str(work / "big-file/stack.toml")])[0] for _ in range(20)]
        validate = statistics.median(samples)
        rows.append(("validate, 1000 routes", *stats(samples), "none"))

        build_ratio = bench_build(binary, args.runs, rows, work)

        tutorial = work / "tutorial"
        shutil.copytree(ROOT / "examples/tutorial", tutorial)
        text = (tutorial / "stack.toml").read_text().replace('name = "hello"', 'name = "benchtut"', 1)
        (tutorial / "stack.toml").write_text(text)
        small_plan, _ = bench_stack(binary, tutorial / "stack.toml", args.runs, "tutorial", rows, call_log)

        generate(work / "large", "benchlarge", 20, 100, cors=True)
        large_plan, peak = bench_stack(binary, work / "large/stack.toml", max(1, args.runs // 2), "20 fn / 100 routes", rows, call_log)
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
    checks = [
        ("no-op plan, 20 fn / 100 routes vs tutorial", f"{large_plan / small_plan:.2f}×", large_plan <= 3 * small_plan),
        ("validate, 1000 routes", f"{validate * 1000:.1f} ms", validate <= 0.050),
        ("stackctl --version", f"{version * 1000:.1f} ms", version <= 0.005),
        ("peak memory, 100-route plan", f"{peak:.1f} MB", peak <= 50),
        ("build from the cache vs cold, requests + bcrypt", f"{build_ratio:.2f}×", build_ratio <= 0.25),
    ]
    for name, measured, ok in checks:
        print(f"| {name} | {measured} | {TARGETS[name]} | {'yes' if ok else 'no'} |")


if __name__ == "__main__":
    main()
