"""A real center installs the runtime dependencies only: the demo's made-up people (Faker), the
benchmarks' tables (pandas) and load generator (locust) stay in extras, every version pinned."""

import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
DEMO_AND_BENCH_ONLY = {"faker", "pandas", "locust"}


def names(requirements) -> set[str]:
    return {r.split("==")[0].split("[")[0].strip().lower() for r in requirements}


def test_the_runtime_dependencies_hold_no_demo_or_bench_library():
    runtime = names(PYPROJECT["project"]["dependencies"])
    assert not runtime & DEMO_AND_BENCH_ONLY, runtime & DEMO_AND_BENCH_ONLY
    assert "faker" in names(PYPROJECT["project"]["optional-dependencies"]["demo"])


def test_every_dependency_is_pinned():
    extras = PYPROJECT["project"]["optional-dependencies"].values()
    for requirement in [*PYPROJECT["project"]["dependencies"], *(r for e in extras for r in e)]:
        assert "==" in requirement, requirement


def test_the_demo_without_its_extra_says_how_to_install_it(monkeypatch, db):
    import builtins

    import pytest

    from homecoming.demo import builder

    real_import = builtins.__import__

    def no_faker(name, *args, **kwargs):
        if name == "faker":
            raise ImportError("No module named 'faker'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faker)
    with pytest.raises(builder.DemoUnavailable, match=r"homecoming\[demo\]"):
        builder.build(residents=1, progress=False)
