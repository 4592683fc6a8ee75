"""The bulk export shared among processes (fhir/bulk.py): the same files as in one process,
the same residents only, progress for every batch, and a cancellation or a failing process
stops every one of them.

Other processes see only committed rows, and the test database is neither (SQLite's lives in
this process's memory, and a test's rows are in its transaction): these run in a process of
their own, on a database of their own (a file, or a PostgreSQL database in that run), filled
with the bench's synthetic center (bench/fhir_export.py --fill: 12 residents, 10 resources
each), exported in batches of 2 residents."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import isolated_env
from tests.support.races import run_script

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 12

SCRIPT = """
import json, multiprocessing, os, signal, tempfile
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homecoming.settings")
import django
django.setup()
from homecoming.accounts.models import User
from homecoming.fhir import bulk, reads

def exported(actor, processes, **kwargs):
    folder = Path(tempfile.mkdtemp())
    written = bulk.write(actor, bulk.Request(), folder, processes=processes, batch=2, **kwargs)
    files = {f.name: sorted(f.read_text().splitlines()) for f in folder.iterdir()}
    return written, files

def failure():
    # why an export shared between two processes failed (None: it did not)
    try:
        exported(None, processes=2)
    except RuntimeError as exc:
        return str(exc)
    return None

def tell(**said):
    said["children left"] = len(multiprocessing.active_children())
    print(json.dumps(said))
"""


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    env, cleanup = isolated_env(tmp_path_factory.mktemp("center"), database="same")
    env["DJANGO_SETTINGS_MODULE"] = "homecoming.settings"
    filled = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fhir_export.py"), "--fill", str(RESIDENTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert filled.returncode == 0, filled.stderr
    yield env
    cleanup()


def run(env, scenario: str) -> dict:
    return json.loads(run_script(env, SCRIPT + scenario).splitlines()[-1])


@pytest.mark.parametrize("actor", ["the operator", "cw0"])
def test_shared_among_processes_the_files_are_those_of_one_process(center, actor):
    said = run(
        center,
        f"""
actor = None if {actor!r} == "the operator" else User.objects.get(username={actor!r})
assert bulk._processes(3, 6) == 3  # the shared path, not the fallback to one process
one, in_one = exported(actor, processes=1)
three, in_three = exported(actor, processes=3)
tell(same=in_three == in_one, counts=[one.counts, three.counts],
     residents=[sorted(one.residents), sorted(three.residents)],
     parts=[n for n in in_three if n.startswith(".part")], patients=len(in_one["Patient.ndjson"]))
""",
    )
    assert said["same"] and said["parts"] == [] and said["children left"] == 0
    assert said["counts"][0] == said["counts"][1] and said["counts"][0]["Observation"] > 0
    assert said["residents"][0] == said["residents"][1]
    if actor == "cw0":  # the caseworker's own caseload only (cw0 has resident 1), in each process
        assert said["residents"][0] == [1] and said["patients"] == 1
    else:
        assert len(said["residents"][0]) == RESIDENTS == said["patients"]


def test_progress_is_heard_for_every_batch_and_a_cancellation_stops_every_process(center):
    said = run(
        center,
        """
heard = []
try:
    exported(None, processes=2, progress=lambda done, of: heard.append([done, of]),
             cancelled=lambda: len(heard) >= 2)
    cancelled = False
except bulk.Cancelled:
    cancelled = True
first = heard[:2]
heard.clear()
exported(None, processes=2, progress=lambda done, of: heard.append([done, of]))
tell(cancelled=cancelled, first=first, whole=heard)
""",
    )
    assert said["cancelled"] and said["children left"] == 0
    assert said["first"] == [[2, RESIDENTS], [4, RESIDENTS]]
    assert said["whole"] == [[n, RESIDENTS] for n in range(2, RESIDENTS + 1, 2)]


def test_a_process_whose_mapping_fails_fails_the_export_with_its_reason(center):
    said = run(
        center,
        """
def broken(source, row):
    raise ValueError("the vital signs could not be mapped")

reads.resource = broken  # the forked processes inherit it
tell(failed=failure())
""",
    )
    assert said["failed"] == "ValueError: the vital signs could not be mapped"
    assert said["children left"] == 0


def test_a_process_killed_fails_the_export_rather_than_wait_for_it(center):
    said = run(
        center,
        """
def killed(job, pks, files, written):
    os.kill(os.getpid(), signal.SIGKILL)  # the kernel's OOM killer, an operator's kill -9

bulk.Job.write_batch = killed
tell(failed=failure())
""",
    )
    assert said["failed"] == "An export process stopped without a word."
    assert said["children left"] == 0
