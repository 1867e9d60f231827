"""Storage adapters: SQLAlchemy models, sessions, migrations and repositories."""
