"""Application services: what flows, handlers, jobs and the CLI call; they own the SQL."""
