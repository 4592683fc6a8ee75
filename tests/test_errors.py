"""Error pages say what went wrong in words, and never show the application's insides."""

import pytest


@pytest.mark.parametrize("url", ["/api/v1/residents/", "/no-such-page/", "/residents/abc/"])
def test_an_unknown_address_is_a_plain_404(url, staff, client_for):
    for client in (client_for(staff["caseworker"]), client_for(staff["sysadmin"])):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404
        assert "There is nothing at this address." in body
        assert "URLPattern" not in body and "/src/homecoming" not in body and "tried" not in body


def test_a_404_of_our_own_keeps_its_message(staff, client_for):
    body = client_for(staff["caseworker"]).get("/residents/999999/").content.decode()
    assert "No resident #999999." in body
