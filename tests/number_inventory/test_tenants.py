"""A named tenant's inventory is a schema of its own: the same migrations, the same statements, and
a number of one tenant is never a row of another's."""

from __future__ import annotations

import pytest

from number_inventory import store, tenants
from number_inventory.settings import SettingError


@pytest.mark.parametrize("name", ["acme", "customer_b", "a1", "x" * 40])
def test_a_lower_case_name_is_a_tenant(name: str) -> None:
    assert tenants.tenant_name(f" {name} ") == name
    assert tenants.schema_of(name) == f"tenant_{name}"


@pytest.mark.parametrize("value", ["Acme", "1acme", "ac-me", "a b", "x" * 41, "tenant;drop", 7, ["acme"]])
def test_anything_else_is_refused_naming_the_setting(value) -> None:
    with pytest.raises(SettingError, match="extra 'tenant'"):
        tenants.tenant_name(value, what="extra 'tenant'")


def test_empty_is_the_global_tenant() -> None:
    assert tenants.tenant_name(None) == tenants.tenant_name("  ") == tenants.GLOBAL
    assert tenants.schema_of("") is None


def test_the_same_number_is_one_row_in_each_tenant(db) -> None:
    db.execute("INSERT INTO number_inventory (number, status) VALUES ('1000', 'Used')")
    with tenants.within(db, "acme", create=True):
        assert store.migrate(db)  # the tenant's own tables
        db.execute("INSERT INTO number_inventory (number) VALUES ('1000')")
        assert db.execute("SELECT number, status FROM number_inventory").fetchall() == [("1000", "Available")]
    assert db.execute("SELECT number, status FROM number_inventory").fetchall() == [("1000", "Used")]
    assert tenants.known(db) == ["acme"]


def test_the_search_path_is_set_back_even_when_the_block_fails(db) -> None:
    before = db.execute("SHOW search_path").fetchone()[0]
    with pytest.raises(RuntimeError), tenants.within(db, "acme", create=True):
        assert db.execute("SELECT current_schema()").fetchone()[0] == "tenant_acme"
        raise RuntimeError("boom")
    assert db.execute("SHOW search_path").fetchone()[0] == before


def test_a_tenant_without_an_inventory_is_named(db) -> None:
    assert not tenants.exists(db, "nobody")
    with (
        pytest.raises(SettingError, match="tenant 'nobody' has no inventory yet"),
        tenants.within(db, "nobody"),
    ):
        pass


def test_each_tenant_runs_with_its_own_connections_the_global_first() -> None:
    tenant_of = {"sbc_b": "beta", "sbc_a": "acme"}
    assert tenants.groups(
        ["sbc_g", "sbc_a", "sbc_b", "sbc_a2"], tenant_of | {"sbc_a2": "acme"}, ["zeta"]
    ) == {
        "": ["sbc_g"],
        "acme": ["sbc_a", "sbc_a2"],
        "beta": ["sbc_b"],
        "zeta": [],
    }
    assert tenants.groups(["sbc_g"], {}) == {"": ["sbc_g"]}


def test_migrate_all_creates_each_named_tenants_inventory(db) -> None:
    applied = tenants.migrate_all(db, ["acme", ""])
    assert list(applied) == ["acme"] and tenants.known(db) == ["acme"]
    assert tenants.migrate_all(db, ["acme"]) == {}  # once


@pytest.mark.parametrize("value", ["Berlin HQ", "fra-2", "a.b_c", "x" * 64])
def test_a_site_is_a_short_name(value: str) -> None:
    assert tenants.site_name(f" {value} ") == value


@pytest.mark.parametrize("value", ["-x", " x;y", "x" * 65, 3])
def test_anything_else_is_not_a_site(value) -> None:
    with pytest.raises(SettingError, match="extra 'site' must be empty or a short name"):
        tenants.site_name(value, what="extra 'site'")


def test_without_the_view_variable_every_user_sees_every_tenant() -> None:
    assert tenants.view_access(None) is None and tenants.view_access("  ") is None
    assert tenants.visible(None, "anyone", []) is None


def test_the_view_variable_gives_users_and_roles_their_tenants() -> None:
    access = tenants.view_access('{"Admin": ["*"], "acme-ops": ["acme"], "carol": ["beta"], "*": [""]}')
    assert tenants.visible(access, "dave", ["acme-ops"]) == {"", "acme"}
    assert tenants.visible(access, "carol", ["Viewer"]) == {"", "beta"}
    assert tenants.visible(access, "root", ["admin"]) is None  # roles in any case; * is every tenant
    assert tenants.visible(tenants.view_access('{"Admin": ["*"]}'), "eve", ["Viewer"]) == frozenset()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "must be JSON"),
        ("[]", "must be an object of role or user names"),
        ('{"Viewer": "acme"}', "'Viewer' must map to a list of tenants"),
        ('{"Viewer": ["Acme"]}', "a tenant of 'Viewer' must be empty"),
    ],
)
def test_a_bad_view_variable_is_named(raw: str, message: str) -> None:
    with pytest.raises(SettingError, match=f"Variable 'number_inventory_view_tenants'.*{message}"):
        tenants.view_access(raw)
