"""Channel-agnostic conversations: one flow per module, state kept in the database."""
