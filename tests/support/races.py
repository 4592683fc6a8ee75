"""Races between processes: several workers, each a Python script with its own database
connection, wait at a starting line and are let go at the same moment."""

import subprocess
import sys
import time


def homecoming(env):
    """A runner of `homecoming` commands in `env` (an isolated_env)."""

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "homecoming.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


def run_script(env, script):
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def race(env, folder, worker, argument_lists):
    """Start one `worker` script per argument list (its argv: the arguments, then the folder for
    the start signal and the worker's name), let them go at once, return what each printed. The
    worker touches FOLDER/NAME.ready when set, and waits for FOLDER/go."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", worker, *map(str, args), str(folder), f"w{i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, args in enumerate(argument_lists)
    ]
    deadline = time.monotonic() + 120
    while not all((folder / f"w{i}.ready").exists() for i in range(len(workers))):
        assert time.monotonic() < deadline, "the workers did not start"
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        time.sleep(0.05)
    (folder / "go").touch()
    results = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        results.append(out.strip())
    (folder / "go").unlink()
    for i in range(len(workers)):
        (folder / f"w{i}.ready").unlink()
    return results


# The lines a worker runs to wait at the starting line (folder and name are its last two args).
STARTING_LINE = """
open(os.path.join(folder, name + ".ready"), "w").close()
while not os.path.exists(os.path.join(folder, "go")):
    time.sleep(0.01)
"""
