"""The hook of the ``audiocodes`` connection type: one AudioCodes device's registered users.

It is the http provider's ``HttpHook`` (Basic auth, TLS settings, proxies and base URL from the
connection) with the device contract of the connection's extras on top, and the only way the DAGs
reach a device. Connections of type ``http`` with the same extras work as well: the hook reads
whatever connection id it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import requests
from airflow.providers.http.hooks.http import HttpHook

from number_inventory import device_client, dial_plan
from number_inventory.device_apis import registry
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import Binding, DeviceReadError, ReadResult
from number_inventory.dial_plan import DialPlan
from number_inventory.provider import CONN_TYPE, conn_fields
from number_inventory.scrub import Scrubber
from number_inventory.settings import SettingError

#: How ``verify`` may be written as text in a connection's JSON.
_TEXT_BOOLEANS = {"true": True, "false": False}


class AudioCodesHook(HttpHook):
    """Reads the registered users of the device an Airflow connection names.

    :param audiocodes_conn_id: the connection (type ``audiocodes``, or ``http`` with the same extras)
    """

    conn_name_attr = "audiocodes_conn_id"
    default_conn_name = "audiocodes_default"
    conn_type = CONN_TYPE
    hook_name = "AudioCodes"

    def __init__(self, audiocodes_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        # The device client sends its requests itself through get_conn()'s session; HttpHook.run()
        # would default to POST.
        kwargs.setdefault("method", "GET")
        super().__init__(http_conn_id=audiocodes_conn_id, **kwargs)
        self.audiocodes_conn_id = audiocodes_conn_id

    def contract(self) -> Contract:
        """The device contract from the connection's extras; :class:`SettingError` names the bad one."""
        return Contract.from_extras(self._extras(), self.audiocodes_conn_id)

    def dial_plan(self, contract: Contract | None = None) -> DialPlan | None:
        """The connection's dial plan (``None``: numbers kept as the device spells them), from
        ``contract`` when the caller holds it already (the connection is not looked up again);
        :class:`SettingError` names the bad extra."""
        return dial_plan.from_values((contract or self.contract()).values(), self.audiocodes_conn_id)

    def scrubber(self) -> Scrubber:
        """What removes this connection's credential (its password in every form, and the values of
        the headers it sends) and any Basic/Bearer value from a text (:mod:`scrub`)."""
        try:
            connection = self.get_connection(self.audiocodes_conn_id)
            known = registry.extra_names() | registry.HTTP_HOOK_EXTRAS | set(conn_fields())
            headers = [v for k, v in self._extras().items() if k not in known and isinstance(v, str)]
        except Exception:  # the connection cannot be read: the generic scrubbing still applies
            return Scrubber()
        return Scrubber.for_credential(connection.login, connection.password, headers)

    def device_session(self) -> tuple[requests.Session, str, Contract]:
        """A requests session carrying the connection's Basic auth and TLS settings, the device's base
        URL, and the contract."""
        contract = self.contract()
        session = self.get_conn()
        # HttpHook sends the extras it does not know as headers; the contract's are not headers.
        for key in (*registry.extra_names(), *conn_fields()):
            session.headers.pop(key, None)
        # A connection written as JSON by hand may say "verify": "false"; requests would take the
        # text for the path of a CA bundle and verify anyway.
        if isinstance(session.verify, str) and session.verify.lower() in _TEXT_BOOLEANS:
            session.verify = _TEXT_BOOLEANS[session.verify.lower()]
        return session, self.base_url, contract

    def read(
        self, *, on_page: Callable[[Sequence[Binding]], None], on_restart: Callable[[], None]
    ) -> ReadResult:
        """Read every registered user of the device, handing each page to ``on_page`` (see
        :func:`device_client.read_registered_users`); raises :class:`DeviceReadError` or
        :class:`SettingError`, naming what to check."""
        session, base_url, contract = self.device_session()
        try:
            return device_client.read_registered_users(
                session, base_url, contract, on_page=on_page, on_restart=on_restart
            )
        except DeviceReadError as exc:
            # Whatever the device put in the message (a refusal's text, a cursor, a quoted line), the
            # connection's credential leaves it here, before it is stored, logged or shown.
            exc.args = (self.scrubber()(str(exc)),)
            raise

    def test_connection(self) -> tuple[bool, str]:
        """Read the first page (or run the CLI command once) and say how many registered users the
        device lists and, with ``count_check`` ``required``, what its own counter says; on failure,
        why, never with the password. The UI's *Test* button calls this."""
        try:
            session, base_url, contract = self.device_session()
            # One retry at most: the person at the Test button waits for the answer.
            contract = contract.replace(retries=min(contract.retries, 1))
            return True, self.scrubber()(_probe(session, base_url, contract))
        except (DeviceReadError, SettingError) as exc:
            message = str(exc)
        except Exception as exc:  # the UI shows the message; anything else is a failed test too
            message = f"{type(exc).__name__}: {exc}"
        return False, self.scrubber()(message)

    def _extras(self) -> dict[str, Any]:
        # The connection form saves a field left empty as null or "": that is the default, not a value.
        extras = self.get_connection(self.audiocodes_conn_id).extra_dejson
        return {key: value for key, value in extras.items() if value is not None and value != ""}


def _probe(session: requests.Session, base_url: str, contract: Contract) -> str:
    """One line on what the device lists, from its first page (or one run of the CLI command)."""
    return device_client.probe(session, base_url, contract).describe()
