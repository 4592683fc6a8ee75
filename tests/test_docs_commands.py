"""Every shell command the README and docs/ show runs exactly as written.

Each ```sh block of README.md and docs/*.md runs as a bash script (`set -euo pipefail`), in the
order of its document, from a fresh copy of the repository's top level (the files linked, the
data folder ./var new and empty) with no DATABASE_URL: what a new operator has after cloning and
`make install`. Two comments steer a block; each stands on the line before the block's fence:

    <!-- docs-test: demo -->           the block starts from a fresh ./var holding a small demo
    <!-- docs-test: skip: REASON -->   the block needs what this machine lacks (Docker, systemd,
                                       a public host name); the reason is shown to the reader too

Lines starting `make demo`, `make test` or `homecoming serve` (the demo and server commands the
issue excepts: they never end) are left out. A block fails the test with what it printed.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import sqlite_run_only

# Each block runs in a fresh checkout with no DATABASE_URL, on SQLite, as a new operator has it.
pytestmark = sqlite_run_only("the docs' commands run on SQLite whatever DATABASE_URL says")

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NEVER_RUN = re.compile(r"^\s*(make (demo|test)\b|(\.venv/bin/)?homecoming serve\b)")
FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*docs-test:\s*(demo|skip:\s*(?P<why>.+?))\s*-->\s*$")


@dataclass
class Block:
    document: str
    line: int
    text: str
    start: str  # "continue" (the document's data folder as the last block left it), "demo"
    skip: str | None


def blocks_of(path: Path) -> list[Block]:
    found, lines = [], path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if fence.group(1) in ("sh", "bash", "shell"):
            directive = DIRECTIVE.match(lines[i - 1]) if i else None
            start = "demo" if directive and directive.group(1) == "demo" else "continue"
            skip = directive.group("why") if directive else None
            body = "\n".join(lines[i + 1 : end])
            found.append(Block(path.name, i + 1, body, start, skip))
        i = end + 1
    return found


def runnable(text: str) -> str:
    """The block as a script, without the commands that never end (continued lines joined)."""
    joined = re.sub(r"\\\n", " ", text)
    return "\n".join(line for line in joined.splitlines() if not NEVER_RUN.match(line))


def test_every_directive_is_understood():
    for path in DOCUMENTS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "docs-test" in line:
                assert DIRECTIVE.match(line), f"{path.name}:{number}: unknown directive {line!r}"


def test_the_docs_show_commands_to_run():
    assert sum(len(blocks_of(p)) for p in DOCUMENTS) >= 5
    readme = blocks_of(ROOT / "README.md")
    assert any("ledger verify" in b.text and not b.skip for b in readme)


@pytest.fixture(scope="module")
def venv_bin():
    bin_dir = ROOT / ".venv" / "bin"
    assert (bin_dir / "homecoming").exists(), "the docs' commands need `make install` first"
    return bin_dir


def environment(venv_bin):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH")
        and not k.startswith("HOMECOMING_")
    }
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    return env


def fresh_checkout(folder: Path) -> Path:
    """The repository's top level, linked into `folder`, with a data folder of its own."""
    folder.mkdir()
    for item in ROOT.iterdir():
        if item.name not in ("var", ".pytest_cache", ".ruff_cache"):
            (folder / item.name).symlink_to(item)
    return folder


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory, venv_bin):
    """A small demo center's data folder, built once and copied for each block that wants it."""
    top = fresh_checkout(tmp_path_factory.mktemp("demo") / "top")
    for command in (["migrate"], ["demo", "--residents", "3", "--quiet"]):
        subprocess.run(
            [str(venv_bin / "homecoming"), *command],
            cwd=top,
            env=environment(venv_bin),
            check=True,
            capture_output=True,
            timeout=600,
        )
    return top / "var"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_the_commands_run_as_written(document, tmp_path, venv_bin, demo_data):
    top = fresh_checkout(tmp_path / "top")
    env = environment(venv_bin)
    for block in blocks_of(document):
        if block.skip:
            continue
        if block.start == "demo":
            shutil.rmtree(top / "var", ignore_errors=True)
            shutil.copytree(demo_data, top / "var")
        script = runnable(block.text)
        if not script.strip():
            continue
        done = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + script],
            cwd=top,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (
            f"{block.document}:{block.line} exited {done.returncode}\n{script}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
