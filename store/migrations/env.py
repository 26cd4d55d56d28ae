"""Alembic environment: runs on the connection busavvik hands over (store.db.migrate)."""
from __future__ import annotations

from alembic import context

from store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    from store.db import make_engine
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
