"""The files in deploy/ (no Docker engine here, so what can be checked without one): the compose
file parses and wires what docs/operating.md says; every `homecoming ...` command they run is a
real subcommand; the image runs as a non-root user with a health check on /readyz; the Caddyfile
and the systemd units pass their own tools' checks where those are installed."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from homecoming.cli import parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("homecoming-*.*"))


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def subcommands(p) -> dict:
    """{name: {its own subcommands}} of an argparse parser."""
    found = {}
    for action in p._subparsers._group_actions:
        for name, sub in action.choices.items():
            found[name] = subcommands(sub) if sub._subparsers else {}
    return found


# Where a command starts: a line, a path (bin/homecoming), a compose/Docker JSON list, inline
# code, or `docker compose run/exec app ...`.
COMMAND = re.compile(
    r'(?:^|bin/|\bapp |`|\[")homecoming[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?', re.M
)


def commands_in(text: str):
    text = re.sub(r'"\s*,\s*"', " ", text)  # ["homecoming", "serve"] reads as homecoming serve
    return COMMAND.findall(text)


def test_every_homecoming_command_in_deploy_and_the_docs_is_real():
    known = subcommands(parser())
    files = [p for p in DEPLOY.rglob("*") if p.is_file()] + [ROOT / "docs" / "operating.md"]
    seen = set()
    for path in files:
        for first, second in commands_in(path.read_text()):
            assert first in known, f"{path.name}: `homecoming {first}` is not a command"
            if known[first]:
                assert second in known[first], f"{path.name}: `homecoming {first} {second}`"
            seen.add(first)
    assert {"serve", "worker", "migrate", "backup", "restore", "ledger"} <= seen


def test_compose_runs_the_app_the_worker_postgres_16_and_caddy():
    spec = compose()
    services = spec["services"]
    assert services["db"]["image"] == "postgres:16"
    app, worker = services["app"], services["worker"]
    assert app["command"][:2] == ["homecoming", "serve"] and "--no-worker" in app["command"]
    assert worker["command"] == ["homecoming", "worker"]
    assert services["migrate"]["command"] == ["homecoming", "migrate"]
    for name in ("app", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["caddy"]["image"].startswith("caddy:")
    assert "443:443" in services["caddy"]["ports"]
    assert "ports" not in app  # only Caddy is reachable from outside
    # Named volumes only, each declared; the database, the data and the keys each have one.
    declared = set(spec["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./") or source in declared, volume
    assert {"postgres", "data", "keys", "caddy_data"} <= declared
    env = app["environment"]
    # The ledger key, and the rollback state file beside it, live outside the data volume,
    # so a restored data folder or database does not rewind them.
    assert Path(env["HOMECOMING_LEDGER_KEY"]).parent != Path(env["HOMECOMING_DATA_DIR"])
    assert env["HOMECOMING_HTTPS"] == "1"
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]


def test_the_image_is_slim_runs_as_a_user_and_checks_readyz():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    health = re.search(r"^HEALTHCHECK (?:.*\\\n)*.*$", text, re.M).group(0)
    assert "/readyz" in health
    assert "pip install ." in text
    # The build context is the repository root: what the image copies exists there.
    for source in re.findall(r"^COPY\s+(.+)\s+\S+$", text, re.M):
        for part in source.split():
            assert (ROOT / part).exists(), part


def test_the_systemd_units_run_the_installed_command_with_the_key_outside_the_data():
    names = {u.name for u in UNITS}
    assert {
        "homecoming-web.service",
        "homecoming-worker.service",
        "homecoming-backup.service",
        "homecoming-backup.timer",
    } <= names
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "systemd" / "homecoming.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert Path(env["HOMECOMING_LEDGER_KEY"]).parent != Path(env["HOMECOMING_DATA_DIR"])
    for unit in UNITS:
        text = unit.read_text()
        if unit.suffix == ".service":
            assert "User=homecoming" in text
            assert re.search(r"^ExecStart=/opt/homecoming/bin/homecoming ", text, re.M)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_units_verify(tmp_path):
    venv_bin = Path(shutil.which("homecoming") or ROOT / ".venv/bin/homecoming")
    for unit in UNITS:
        text = unit.read_text().replace("/opt/homecoming/bin/homecoming", str(venv_bin))
        text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")  # not installed here
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and not problems, done.stderr


@pytest.mark.skipif(shutil.which("caddy") is None, reason="needs caddy")
@pytest.mark.parametrize("upstream", [None, "app:8000"])
def test_the_caddyfile_is_valid_and_proxies_to_the_application(upstream):
    env = {"HOMECOMING_HOST": "center.example.org", "PATH": "/usr/bin:/bin"}
    if upstream:
        env["HOMECOMING_UPSTREAM"] = upstream  # as compose.yaml sets it
    config = ["--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")]
    done = subprocess.run(
        ["caddy", "validate", *config], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    adapted = subprocess.run(
        ["caddy", "adapt", *config], env=env, capture_output=True, text=True, timeout=60
    )
    assert f'"dial":"{upstream or "127.0.0.1:8000"}"' in adapted.stdout.replace(" ", "")
    assert "center.example.org" in adapted.stdout


def test_the_command_finder_sees_commands_in_each_form():
    assert commands_in('CMD ["homecoming", "serve", "--port", "8000"]') == [("serve", "")]
    assert commands_in("ExecStart=/opt/homecoming/bin/homecoming backup -o /x") == [("backup", "")]
    assert commands_in("| `homecoming ledger verify --database` |") == [("ledger", "verify")]
    assert commands_in("dropdb -U homecoming homecoming") == []
