"""Bundles: exported, verified offline, and refused when anything in them is changed."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homecoming.access.policy import AccessDenied
from homecoming.ledger import verify as v
from homecoming.ledger.checkpoints import make_checkpoint
from homecoming.ledger.export import ExportError, export
from homecoming.residents import selectors, services

VERIFY_PY = Path(v.__file__)


@pytest.fixture
def busy_ledger(resident, admit, staff, beds, ledger_key):
    """A small center with reads, writes and a denied attempt, checkpointed."""
    other = admit(given_name="Jo", family_name="Other", bed=beds[1])
    for _ in range(3):
        selectors.chart(staff["caseworker"], resident.pk)
    services.update_intake(staff["caseworker"], resident, {"preferred_name": "Walt"})
    with pytest.raises(AccessDenied):
        selectors.chart(staff["contractor"], other.pk)
    make_checkpoint()
    return resident


def test_full_bundle_verifies(busy_ledger, tmp_path):
    summary = export(tmp_path / "b")
    report = v.verify_bundle(tmp_path / "b", (tmp_path / "b" / "vkey").read_text())
    assert report.kind == "full" and report.entries == summary["tree_size"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_change_to_a_full_bundle_is_caught(busy_ledger, tmp_path_factory, data):
    base = tmp_path_factory.getbasetemp() / "pristine"
    if not base.exists():
        export(base)
    bundle = tmp_path_factory.mktemp("tampered") / "b"
    shutil.copytree(base, bundle)
    entries = (bundle / "entries.ndjson").read_bytes().split(b"\n")[:-1]
    versions = (bundle / "versions.ndjson").read_bytes().split(b"\n")[:-1]
    kind = data.draw(st.sampled_from(["byte", "delete", "insert", "reorder", "version"]))
    i = data.draw(st.integers(0, len(entries) - 1))
    if kind == "byte":
        line = bytearray(entries[i])
        at = data.draw(st.integers(0, len(line) - 1))
        line[at] = data.draw(st.integers(0, 255).filter(lambda b: b != line[at]))
        entries[i] = bytes(line)
    elif kind == "delete":
        del entries[i]
    elif kind == "insert":
        entries.insert(i, entries[data.draw(st.integers(0, len(entries) - 1))])
    elif kind == "reorder":
        j = data.draw(st.integers(0, len(entries) - 1).filter(lambda j: entries[j] != entries[i]))
        entries[i], entries[j] = entries[j], entries[i]
    else:
        k = data.draw(st.integers(0, len(versions) - 1))
        version = json.loads(versions[k])
        version["content"] = version["content"].replace("Cruz", "Crux").replace('"id":', '"id": ')
        versions[k] = json.dumps(version, sort_keys=True, separators=(",", ":")).encode()
    (bundle / "entries.ndjson").write_bytes(b"".join(e + b"\n" for e in entries))
    (bundle / "versions.ndjson").write_bytes(b"".join(x + b"\n" for x in versions))
    with pytest.raises((v.BundleError, v.NoteError, v.ProofError)):
        v.verify_bundle(bundle)


def test_the_first_bad_entry_is_named(busy_ledger, tmp_path):
    export(tmp_path / "b")
    lines = (tmp_path / "b" / "entries.ndjson").read_text().splitlines(keepends=True)
    del lines[4]
    (tmp_path / "b" / "entries.ndjson").write_text("".join(lines))
    with pytest.raises(v.BundleError, match=r"entry #4 is missing or out of order"):
        v.verify_bundle(tmp_path / "b")


def test_an_altered_version_is_named(busy_ledger, tmp_path):
    export(tmp_path / "b")
    path = tmp_path / "b" / "versions.ndjson"
    path.write_text(path.read_text().replace("Walt", "Wally", 1))
    with pytest.raises(v.BundleError, match=r"version on line \d+ \(residents.resident#"):
        v.verify_bundle(tmp_path / "b")


def test_a_bundle_signed_by_another_key_is_refused(busy_ledger, tmp_path):
    from homecoming.ledger import signing

    export(tmp_path / "b")
    stranger = signing.generate("test.homecoming/ledger", tmp_path / "stranger.key")
    with pytest.raises(v.BundleError, match="not the key you trust"):
        v.verify_bundle(tmp_path / "b", stranger.vkey)
    (tmp_path / "b" / "vkey").write_text(stranger.vkey + "\n")
    with pytest.raises(v.NoteError):
        v.verify_bundle(tmp_path / "b")


def test_resident_bundle_carries_proofs_and_only_that_resident(busy_ledger, tmp_path):
    export(tmp_path / "r", resident_id=busy_ledger.pk)
    report = v.verify_bundle(tmp_path / "r")
    assert report.kind == "resident" and report.entries > 0
    for line in (tmp_path / "r" / "entries.ndjson").read_text().splitlines():
        assert json.loads(line)["resident"] == busy_ledger.pk
    path = tmp_path / "r" / "entries.ndjson"
    path.write_text(path.read_text().replace('"purpose":"care"', '"purpose":"self"', 1))
    with pytest.raises(v.BundleError, match="was altered or is not in the ledger"):
        v.verify_bundle(tmp_path / "r")


def test_since_checkpoint_bundle_and_previous(busy_ledger, staff, tmp_path, ledger_key):
    older = make_checkpoint()
    for _ in range(5):
        selectors.chart(staff["supervisor"], busy_ledger.pk)
    (tmp_path / "older").write_text(older.note)
    export(tmp_path / "s", since=older.note)
    report = v.verify_bundle(tmp_path / "s")
    assert report.kind == "since" and report.entries == 5
    export(tmp_path / "full")
    assert v.verify_bundle(tmp_path / "full", previous=older.note).kind == "full"
    # A checkpoint of the same size with another root (a history rewritten since) is caught.
    forged = ledger_key.sign_note(
        v.Checkpoint(ledger_key.name, older.tree_size, b"\x00" * 32).text()
    )
    with pytest.raises(v.BundleError, match="history was rewritten"):
        v.verify_bundle(tmp_path / "full", previous=forged)


def test_export_refuses_a_used_folder_and_leaves_nothing_half_written(busy_ledger, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("keep me")
    with pytest.raises(ExportError, match="not empty"):
        export(tmp_path / "used")
    assert (tmp_path / "used" / "x").read_text() == "keep me"
    with pytest.raises(ExportError, match="no entry about resident"):
        export(tmp_path / "nobody", resident_id=987654)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.key", "used"]


def test_the_verifier_runs_alone_without_django(busy_ledger, tmp_path):
    """An investigator copies one file; it must not need Django or the rest of Homecoming."""
    export(tmp_path / "b")
    alone = tmp_path / "investigator"
    alone.mkdir()
    shutil.copy(VERIFY_PY, alone / "verify.py")
    script = (
        "import sys, runpy; sys.modules['django'] = None; sys.modules['homecoming'] = None;"
        f"sys.argv = ['verify.py', {str(tmp_path / 'b')!r}];"
        f"runpy.run_path({str(alone / 'verify.py')!r}, run_name='__main__')"
    )
    ok = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=alone)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: all ")
    path = tmp_path / "b" / "entries.ndjson"
    path.write_text(path.read_text().replace('"outcome":"denied"', '"outcome":"allowed"'))
    bad = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=alone)
    assert bad.returncode == 1 and bad.stderr.startswith("FAILED:")


@pytest.mark.parametrize("chunk", [1 << 22, 97])
@pytest.mark.parametrize(
    "change", ["none", "delete", "duplicate", "swap", "byte", "truncate", "junk", "tail"]
)
def test_the_parallel_verifier_agrees_with_the_sequential_one(
    busy_ledger, tmp_path, monkeypatch, change, chunk
):
    """Large bundles are split between processes; force that on a small one, with parts so
    small that some hold no line at all, and check every tampering is still caught. The
    small chunk makes the fast pass read lines in pieces that it must join across reads."""
    export(tmp_path / "b")
    path = tmp_path / "b" / "entries.ndjson"
    lines = path.read_bytes().split(b"\n")[:-1]
    if change == "delete":
        del lines[len(lines) // 2]
    elif change == "duplicate":
        lines.insert(7, lines[7])
    elif change == "swap":
        lines[3], lines[11] = lines[11], lines[3]
    elif change == "byte":
        lines[9] = lines[9].replace(b'"outcome":"allowed"', b'"outcome":"denied!"')
    elif change == "junk":  # lines that are no entry, where a part of the file may start
        lines[10:10] = [b"", b'{"forged":"break_glass"}', b"x" * 500]
    data = b"".join(x + b"\n" for x in lines)
    if change == "tail":
        data += lines[3]  # a fake entry without its newline
    path.write_bytes(data[:-1] if change == "truncate" else data)
    monkeypatch.setattr(v, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(v, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(v.os, "cpu_count", lambda: 4)
    if change == "none":
        # The fast pass alone must accept an intact bundle: no falling back to the slow one.
        monkeypatch.setattr(v, "_scan", lambda *a, **k: pytest.fail("fast pass refused"))
        assert v.verify_bundle(tmp_path / "b").entries == len(lines)
    else:
        with pytest.raises(v.BundleError):
            v.verify_bundle(tmp_path / "b")


def _rewrite_versions(bundle, change):
    path = bundle / "versions.ndjson"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def _forged_version(lines):
    content = json.dumps(
        {"fields": {"diagnosis": "invented"}, "id": 1, "type": "residents.resident"},
        sort_keys=True,
        separators=(",", ":"),
    )
    forged = {
        "content": content,
        "object_id": "1",
        "object_type": "residents.resident",
        "seq": 3,
        "sha256": __import__("hashlib").sha256(content.encode()).hexdigest(),
    }
    return [*lines, json.dumps(forged, sort_keys=True, separators=(",", ":")) + "\n"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda ls: [*ls, ls[0]], "listed twice"),
        (_forged_version, "committed to by no entry"),
        (
            lambda ls: [ls[0].replace('"object_type":"', '"object_type":"x', 1), *ls[1:]],
            "its content says",
        ),
    ],
)
def test_versions_must_be_the_ones_the_entries_commit_to(busy_ledger, tmp_path, change, message):
    export(tmp_path / "b")
    _rewrite_versions(tmp_path / "b", change)
    with pytest.raises(v.BundleError, match=message):
        v.verify_bundle(tmp_path / "b")


def test_a_resident_bundle_refuses_repeats_and_garbled_proofs(busy_ledger, tmp_path):
    export(tmp_path / "r", resident_id=busy_ledger.pk)
    entries = (tmp_path / "r" / "entries.ndjson").read_text().splitlines(keepends=True)
    proofs = (tmp_path / "r" / "proofs.ndjson").read_text().splitlines(keepends=True)
    (tmp_path / "r" / "entries.ndjson").write_text("".join([entries[0], *entries]))
    (tmp_path / "r" / "proofs.ndjson").write_text("".join([proofs[0], *proofs]))
    with pytest.raises(v.BundleError, match="repeated or out of order"):
        v.verify_bundle(tmp_path / "r")
    (tmp_path / "r" / "entries.ndjson").write_text("".join(entries))
    first = json.loads(proofs[0])
    (tmp_path / "r" / "proofs.ndjson").write_text(
        "".join([json.dumps(first | {"seq": str(first["seq"])}) + "\n", *proofs[1:]])
    )
    with pytest.raises(v.BundleError, match="no proof for entry 1"):
        v.verify_bundle(tmp_path / "r")
