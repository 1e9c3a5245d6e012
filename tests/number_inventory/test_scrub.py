"""The one credential scrubber (issue 22, item 9): every form of the connection's credential and any
Basic/Bearer value go; a short password does not turn messages into stars."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from number_inventory.scrub import Scrubber, scrub

LOGIN, PASSWORD = "admin", "s3cret/Pa ss+wörd"
PAIR = f"{LOGIN}:{PASSWORD}"


@pytest.mark.parametrize(
    "form",
    [
        PASSWORD,
        PAIR,
        base64.b64encode(PAIR.encode()).decode(),
        base64.urlsafe_b64encode(PAIR.encode()).decode(),
        base64.b64encode(PAIR.encode()).decode().rstrip("="),
        quote(PASSWORD, safe=""),
        quote(PAIR, safe=""),
        base64.b64encode(PASSWORD.encode()).decode(),
    ],
    ids=["bare", "pair", "base64", "urlsafe", "unpadded", "urlencoded", "pair-urlencoded", "password-b64"],
)
def test_every_form_of_the_credential_goes(form):
    text = f"HTTP 400; the device said: you sent {form} (twice: {form})"
    scrubbed = Scrubber.for_credential(LOGIN, PASSWORD)(text)
    assert form not in scrubbed and "HTTP 400; the device said: you sent" in scrubbed
    assert Scrubber.for_credential(LOGIN, PASSWORD)(scrubbed) == scrubbed  # idempotent


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Authorization: Basic dXNlcjpvdGhlcg==", "dXNlcjpvdGhlcg=="),
        ('{"authorization": "Bearer eyJhbGciOi.J9.x-y_z"}', "eyJhbGciOi"),
        ("proxy-authorization=Digest username=bob", "username=bob"),
        ("see http://bob:hunter22@sbc1.example.net/x", "hunter22"),
        ("token dXNlcjpvdGhlcg== leaked", "dXNlcjpvdGhlcg=="),
        ("Authorization: Basic%20dXNlcjpvdGhlcg%3D%3D", "dXNlcjpvdGhlcg"),
    ],
    ids=["basic", "bearer", "other-scheme", "url-userinfo", "bare-basic-token", "url-encoded-header"],
)
def test_any_credential_goes_whoever_it_belongs_to(text, gone):
    assert gone not in scrub(text)
    assert gone not in Scrubber.for_credential("admin", "x")(text)


def test_a_short_password_leaves_the_message_readable():
    token = base64.b64encode(b"admin:a").decode()
    text = f"HTTP 400: a bad request; Authorization: Basic {token}; data: admin, a, abc"
    scrubbed = Scrubber.for_credential("admin", "a")(text)
    assert token not in scrubbed and "admin:a" not in scrubbed
    assert "HTTP 400: a bad request" in scrubbed and "data: admin, a, abc" in scrubbed


def test_ordinary_messages_are_left_alone():
    for text in [
        "http://127.0.0.1:8080/api/v1/registeredUsers at offset 0: HTTP 401: the device refused the login",
        "read does not add up: 12 distinct bindings received, the device announced total=20",
        "AOR: 5019@10.0.0.1 contact sip:5019@10.0.0.2:5060 registeredUsers 1000",
    ]:
        assert scrub(text) == text
        assert Scrubber.for_credential("admin", "secret-pass")(text) == text
