"""An API client per user: a bearer token issued as `homecoming token create` issues it."""

import pytest
from django.test import Client

from homecoming.accounts import tokens


@pytest.fixture
def api_for(staff):
    def make(user):
        _, clear = tokens.issue(user, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    return make
