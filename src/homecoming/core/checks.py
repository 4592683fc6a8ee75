"""The center's own deployment checks, run by `homecoming check --deploy` (and `manage check
--deploy`) beside Django's: each names one thing a production center must not run with."""

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import keyfiles

DEFAULT_HOSTS = {"127.0.0.1", "localhost", "testserver"}


def _key_problems(name: str, value: str, env_name: str, filename: str) -> list:
    problems = []
    if len(value) < 50 or len(set(value)) < 5:
        problems.append(
            Error(
                f"{name} is weak: {len(value)} characters, {len(set(value))} different.",
                hint=f"Unset {env_name} to have a strong key generated into "
                f"{Path(settings.DATA_DIR) / filename}, or give one of at least 50 random "
                "characters.",
                id="homecoming.E002",
            )
        )
    if not os.environ.get(env_name):
        problem = keyfiles.mode_problem(Path(settings.DATA_DIR) / filename)
        if problem:
            problems.append(Error(f"{name}: {problem}.", id="homecoming.E003"))
    return problems


@register(Tags.security, deploy=True)
def production_settings(app_configs, **kwargs):
    problems = []
    if not settings.HOMECOMING_HTTPS:
        problems.append(
            Error(
                "HOMECOMING_HTTPS is not 1: cookies may travel unencrypted and no HSTS is sent.",
                hint="Serve behind a TLS proxy and set HOMECOMING_HTTPS=1.",
                id="homecoming.E001",
            )
        )
    problems += _key_problems(
        "The secret key", settings.SECRET_KEY, "HOMECOMING_SECRET_KEY", "secret.key"
    )
    problems += _key_problems(
        "The pseudonym key",
        settings.HOMECOMING_PSEUDONYM_KEY,
        "HOMECOMING_PSEUDONYM_KEY",
        "pseudonym.key",
    )
    if settings.DEBUG:
        problems.append(
            Error(
                "HOMECOMING_DEBUG is on: an error page would show settings and resident data.",
                hint="Unset HOMECOMING_DEBUG.",
                id="homecoming.E004",
            )
        )
    hosts = {h.strip() for h in settings.ALLOWED_HOSTS if h.strip()}
    if not os.environ.get("HOMECOMING_ALLOWED_HOSTS") or not hosts - DEFAULT_HOSTS:
        problems.append(
            Error(
                "HOMECOMING_ALLOWED_HOSTS is not set to the center's host name.",
                hint="For example HOMECOMING_ALLOWED_HOSTS=center.example.org.",
                id="homecoming.E005",
            )
        )
    elif "*" in hosts:
        problems.append(
            Error(
                "HOMECOMING_ALLOWED_HOSTS allows any host name ('*').",
                hint="Name the center's host names, comma-separated.",
                id="homecoming.E006",
            )
        )
    from .readiness import ledger_key_problem

    problem = ledger_key_problem()
    if problem:
        problems.append(
            Warning(
                f"No checkpoint can be signed: {problem}",
                hint="Run `homecoming ledger keygen --name HOST/ledger` once.",
                id="homecoming.W001",
            )
        )
    return problems
