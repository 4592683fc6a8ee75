"""The small center the walks over every URL pattern use (tests/access/center.py)."""

import pytest

from .center import build


@pytest.fixture
def center(staff, admit, make_user, beds, settings, tmp_path, ledger_key):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return build(staff, admit, make_user, beds)
