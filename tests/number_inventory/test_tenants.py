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
