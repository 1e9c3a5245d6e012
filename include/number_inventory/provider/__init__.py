"""The project's Airflow provider: the ``audiocodes`` connection type and its hook.

Airflow finds it through the ``apache_airflow_provider`` entry point in ``pyproject.toml``, which
names :func:`get_provider_info`; installing the project (``pip install --no-deps .``) is what
registers it. The connection form is declared here (``conn-fields`` and ``ui-field-behaviour``, the
Airflow 3.2+ way), so the API server builds it without importing the hook.
"""

from __future__ import annotations

import functools
from typing import Any

#: The distribution name in ``pyproject.toml``; Airflow refuses a provider whose ``package-name``
#: differs from the name of the distribution that declares the entry point.
PACKAGE_NAME = "number-inventory-audiocodes"
CONN_TYPE = "audiocodes"
HOOK_CLASS = "number_inventory.provider.hooks.audiocodes.AudioCodesHook"


@functools.cache
def conn_fields() -> dict[str, dict[str, Any]]:
    """The connection form's extra fields, from the device API registry: the API to speak, then the
    extras an API declares with a label (each saying which APIs take it), then the http provider's
    ``verify``. Every other extra goes in the Extra JSON field (docs: *Device connections*). Worked
    out when Airflow asks, not on import: the DAG files import this package's constants, and parsing
    them must not load the device clients (``requests``)."""
    from number_inventory.device_apis import registry
    from number_inventory.device_apis.contract import PLACEMENT_EXTRAS

    fields: dict[str, dict[str, Any]] = {
        "api": {
            "label": "Device API",
            "description": "; ".join(api.summary for api in registry.APIS.values()),
            "schema": {
                "type": ["string", "null"],
                "enum": list(registry.APIS),
                "default": registry.DEFAULT_API,
            },
        }
    }
    for name, (extra, apis) in registry.form_extras().items():
        if extra in PLACEMENT_EXTRAS or extra.checked_apart:  # tenant, site, the dial plan: empty by default
            schema: dict[str, Any] = {"type": ["string", "null"]}
            description = extra.description[:1].upper() + extra.description[1:]
        elif isinstance(extra.default, str):
            schema = {"type": ["string", "null"]}
            description = f"Leave empty for the API's default path ({', '.join(apis)})"
        else:
            kind = "integer" if isinstance(extra.default, int) else "number"
            schema = {"type": [kind, "null"], "minimum": extra.minimum}
            description = extra.description[:1].upper() + extra.description[1:]
        fields[name] = {"label": extra.label, "description": description, "schema": schema}
    fields["verify"] = {
        "label": "Verify TLS certificates",
        "description": "Turn off only for a device with a self-signed certificate on a trusted network",
        "schema": {"type": ["boolean", "null"], "default": True},
    }
    return fields


#: The standard fields: relabelled for a device, the unused ones hidden.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": [],
    "relabeling": {
        "host": "Device host (SBC or ARM)",
        "schema": "Scheme (http or https)",
        "login": "Login (HTTP Basic)",
        "password": "Password (HTTP Basic)",
    },
    "placeholders": {
        "host": "sbc1.example.net",
        "schema": "https",
        "port": "443",
        "login": "the device's REST API user",
        "password": "its password",
    },
}


def get_provider_info() -> dict[str, Any]:
    """What Airflow's ProvidersManager reads (validated against its ``provider_info.schema.json``)."""
    return {
        "package-name": PACKAGE_NAME,
        "name": "AudioCodes number inventory",
        "description": "Reads the registered users of AudioCodes devices (Mediant SBCs, AudioCodes "
        "Routing Manager) for the number inventory DAGs.",
        "integrations": [
            {
                "integration-name": "AudioCodes",
                "external-doc-url": "https://www.audiocodes.com/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "AudioCodes", "python-modules": [HOOK_CLASS.rsplit(".", 1)[0]]}],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": HOOK_CLASS,
                "hook-name": "AudioCodes",
                "conn-fields": conn_fields(),
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
