"""tests/contract/check_api.py (the schemathesis run .ci/run makes): its arguments and how it
reads schemathesis's summary; the run itself is CI's (docs/api.md)."""

import subprocess
import sys
from pathlib import Path

from tests.contract.check_api import counts

SCRIPT = Path(__file__).with_name("check_api.py")

CLEAN = """
=================================== SUMMARY ====================================
API Operations:
  Selected: 132/132
  Tested: 132
Test cases:
  6077 generated, 6077 passed, 42 skipped
"""

FAILED = CLEAN.replace("6077 passed", "1 found 1 unique failure") + "\n3 errors\n"


def test_the_summary_is_read_whether_it_passed_or_failed():
    assert counts(CLEAN) == {"operations": 132, "cases": 6077, "failures": 0, "errors": 0}
    assert counts(FAILED) == {"operations": 132, "cases": 6077, "failures": 1, "errors": 3}
    many = FAILED.replace("1 unique failure", "12 unique failures")
    assert counts(many)["failures"] == 12


def test_a_bad_count_of_examples_is_refused_before_anything_runs():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--max-examples", "0"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "--max-examples is a whole number of at least 1" in done.stderr
