"""The layers of docs/architecture.md, enforced: import-linter checks the contracts in
pyproject.toml ([tool.importlinter]) against the code, and a broken one fails the suite."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
IGNORED = shutil.ignore_patterns("__pycache__", "templates", "static")


def lint_imports(config: Path, src: Path) -> subprocess.CompletedProcess:
    """Run the linter on the `homecoming` package found in `src` (not an installed copy)."""
    env = os.environ | {"PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache", "--no-logo"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def test_the_code_keeps_every_layer_contract():
    ran = lint_imports(ROOT / "pyproject.toml", ROOT / "src")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in ran.stdout


def lint_a_copy_with(tmp_path, module: str, added: str) -> subprocess.CompletedProcess:
    """Lint a copy of the code in which `module` (a path under homecoming/) has `added` at its
    end: the contracts must catch what a careless change would bring in."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "homecoming", src / "homecoming", ignore=IGNORED)
    changed = src / "homecoming" / module
    changed.write_text(changed.read_text() + "\n\n" + added)
    return lint_imports(ROOT / "pyproject.toml", src)


def test_the_policy_importing_an_app_above_it_breaks_the_build(tmp_path):
    # The knot issue 15 untied: the policy asking residents.models for stay statuses.
    added = "def _stays():\n    from homecoming.residents.models import Stay\n"
    ran = lint_a_copy_with(tmp_path, "access/policy.py", added)
    assert ran.returncode != 0
    assert "homecoming.access.policy is not allowed to import homecoming.residents" in ran.stdout


def test_a_selector_reaching_up_into_the_record_composition_breaks_the_build(tmp_path):
    added = "from homecoming.record import pages  # noqa\n"
    ran = lint_a_copy_with(tmp_path, "residents/selectors.py", added)
    assert ran.returncode != 0
    assert "One way down" in ran.stdout and "BROKEN" in ran.stdout
    assert "homecoming.residents.selectors -> homecoming.record" in ran.stdout


def test_the_ledger_importing_an_app_breaks_the_build(tmp_path):
    added = "from homecoming.alerts import services as alerts  # noqa\n"
    ran = lint_a_copy_with(tmp_path, "ledger/services.py", added)
    assert ran.returncode != 0
    assert "homecoming.ledger.services is not allowed to import homecoming.alerts" in ran.stdout
