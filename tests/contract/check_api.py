"""The JSON API checked against its own OpenAPI description by schemathesis, as CI runs it.

    .venv/bin/python tests/contract/check_api.py [--max-examples N]

A demo center is built on SQLite in a temporary folder and served by `homecoming serve` (the
real gunicorn, the real worker); then schemathesis runs every check (tests/contract/
schemathesis.toml says the one choice made) against the served /api/v1/openapi.json, once for
each kind of caller: a caseworker, a clinician, the oversight body, a resident and the sysadmin,
each with a read-write token of their own. The counts of each run and the total
are printed; the exit status is non-zero if any run found a server error or an answer that
does not match the description.

Not a pytest test: it serves the center as an operator would and takes a few minutes, so .ci/run
runs it once after the suite (docs/api.md)."""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Who calls: each opens other operations (and is refused others, which must answer as described).
# The supervisor is left out: what they may do is the caseworker's and the director's, and each
# caller costs CI most of a minute. The sysadmin comes last: their run may deactivate accounts.
CALLERS = ["heidi", "nurse", "carrasco", "walter", "sysadmin"]
SEED = 18  # the same cases at every run, whatever the day: a failure is reproducible


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def homecoming(env, *args) -> str:
    done = subprocess.run(
        [str(BIN / "homecoming"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"homecoming {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for(url: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the center did not answer {url} within {seconds} s")


def check(url: str, token: str, caller: str, max_examples: int, report: Path) -> dict:
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        url,
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    print(f"\n== schemathesis as {caller}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    # A clean run prints its summary only; a failing one everything, to reproduce each failure.
    said = done.stdout if done.returncode else done.stdout.split("SUMMARY")[-1]
    print(said, done.stderr[-2000:], sep="\n", flush=True)
    return {"caller": caller, "status": done.returncode, **counts(done.stdout)}


def counts(output: str) -> dict:
    """The figures of schemathesis's summary: operations tested, cases generated, failures."""
    tested = re.search(r"Tested:\s+(\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) unique failures?", output)
    errors = re.search(r"(\d+) errors?\b", output.split("SUMMARY")[-1])
    return {
        "operations": int(tested.group(1)) if tested else 0,
        "cases": int(cases.group(1)) if cases else 0,
        "failures": int(failures.group(1)) if failures else 0,
        "errors": int(errors.group(1)) if errors else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=5, help="cases per operation (5)")
    args = parser.parse_args()
    if args.max_examples < 1:
        parser.error("--max-examples is a whole number of at least 1")

    folder = Path(tempfile.mkdtemp(prefix="homecoming-contract-"))
    env = {**os.environ, "HOMECOMING_DATA_DIR": str(folder)}
    env.pop("DATABASE_URL", None)  # the description is checked on SQLite, as `make demo` runs
    homecoming(env, "migrate")
    homecoming(env, "demo", "--residents", "5")
    tokens = {}
    for caller in CALLERS:
        said = homecoming(
            env, "token", "create", "--username", caller, "--name", "contract", "--scope", "write"
        )
        tokens[caller] = said.split()[0]

    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "homecoming"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
    results = []
    try:
        wait_for(url)
        for caller in CALLERS:
            report = folder / f"schemathesis-{caller}.xml"
            results.append(check(url, tokens[caller], caller, args.max_examples, report))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    print("\n== the API against its description (schemathesis, all checks)")
    print(f"{'caller':<10} {'operations':>10} {'cases':>7} {'failures':>9} {'errors':>7}")
    for r in results:
        print(
            f"{r['caller']:<10} {r['operations']:>10} {r['cases']:>7} {r['failures']:>9} "
            f"{r['errors']:>7}"
        )
    total = {k: sum(r[k] for r in results) for k in ("cases", "failures", "errors")}
    print(f"{'total':<10} {'':>10} {total['cases']:>7} {total['failures']:>9} {total['errors']:>7}")
    failed = [r["caller"] for r in results if r["status"] != 0]
    if failed:
        print(f"FAILED: schemathesis found problems as {', '.join(failed)} (see above)")
        return 1
    print("OK: no server error and no answer that differs from the description")
    return 0


if __name__ == "__main__":
    sys.exit(main())
