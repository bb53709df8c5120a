"""The migrations build exactly the schema the models describe, on either engine."""

from __future__ import annotations

from alembic import command

from ossbss.bootstrap import alembic_config


def test_upgrade_then_check_finds_no_drift(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "head")
    command.check(config)  # raises if the models and the migrated schema differ


def test_downgrade_removes_everything(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
