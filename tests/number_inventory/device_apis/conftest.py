"""What the device-API tests share: the bundled device over real HTTP, paged by offset (``device``) or
by cursor (``cursor_device``), and a session logged in to it. A module whose cases count pages sets
the device's page size by overriding the fixture ``max_page_size``."""

from __future__ import annotations

import contextlib

import pytest
import requests

from devtools.device_server import DeviceServer

PASSWORD = "device-apis-test-pass"


def session(password: str = PASSWORD) -> requests.Session:
    """A session that logs in to the bundled device as ``admin``."""
    s = requests.Session()
    s.auth = ("admin", password)
    return s


@pytest.fixture
def max_page_size() -> int:
    """The most items the bundled device serves in one page, whatever a request asks for."""
    return 50


@pytest.fixture
def serve(max_page_size):
    """Start a bundled device, ``serve(**options)`` (``DeviceServer``'s), stopped after the test."""
    with contextlib.ExitStack() as running:
        yield lambda **options: running.enter_context(
            DeviceServer("admin", PASSWORD, max_page_size=max_page_size, **options)
        )


@pytest.fixture
def device(serve) -> DeviceServer:
    """The bundled device, paged by offset."""
    return serve()


@pytest.fixture
def cursor_device(serve) -> DeviceServer:
    """The bundled device, paged by cursor."""
    return serve(paging="cursor")
