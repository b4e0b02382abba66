"""Search: documents derived from the database, one interface, two backends (Meilisearch and an
embedded SQLite FTS5 index), kept in sync through an outbox. Never imports catalog, billing or
blueprints: the factory hands it a loader of offer facts (see `search.sync.OfferLoader`)."""
