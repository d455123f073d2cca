"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from base_ops.extensions import db as _db


def test_no_drift_between_models_and_migrations(app):
    # The session fixture built the schema with `flask db upgrade` (the migrations).
    with app.app_context(), _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_creates_the_audit_chain_head(app):
    from sqlalchemy import text

    with app.app_context(), _db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_chain_head")).scalar() == 1
