"""Search: documents derived from the database, one interface, two backends (Meilisearch and an
embedded SQLite FTS5 index), kept in sync through an outbox. Never imports billing or blueprints."""
