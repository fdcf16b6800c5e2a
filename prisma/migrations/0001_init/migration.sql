-- Loupe schema v1. Mirrors prisma/schema.prisma; applied by src/repositories/db/migrate.ts.

-- One global sequence numbers chunk inserts and chunk deletions: the vector index replays both in order.
CREATE SEQUENCE loupe_seq AS BIGINT START 1;

CREATE TABLE indexes (
  id          SERIAL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  settings    JSONB NOT NULL,
  model_id    TEXT NOT NULL,
  dimension   INTEGER NOT NULL,
  -- Highest sequence number committed for this index. Writers lock this row first, so sequence numbers of one
  -- index commit in order and "everything <= last_seq is visible" holds for readers.
  last_seq    BIGINT NOT NULL DEFAULT 0,
  created_at  TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

CREATE TABLE documents (
  id           BIGSERIAL PRIMARY KEY,
  index_id     INTEGER NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
  external_id  TEXT NOT NULL,
  fields       JSONB NOT NULL,
  media        JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  UNIQUE (index_id, external_id)
);
CREATE INDEX documents_fields_gin ON documents USING GIN (fields jsonb_path_ops);

CREATE TABLE chunks (
  seq          BIGINT PRIMARY KEY,
  index_id     INTEGER NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
  document_id  BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  field        TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('image', 'text')),
  position     INTEGER NOT NULL,
  x1 INTEGER, y1 INTEGER, x2 INTEGER, y2 INTEGER,
  text         TEXT,
  vector       BYTEA NOT NULL,
  tsv          TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', coalesce(text, ''))) STORED
);
CREATE INDEX chunks_index_seq ON chunks (index_id, seq);
CREATE INDEX chunks_document ON chunks (document_id);
CREATE INDEX chunks_tsv ON chunks USING GIN (tsv);

CREATE TABLE chunk_deletions (
  seq        BIGINT PRIMARY KEY,
  index_id   INTEGER NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
  chunk_seq  BIGINT NOT NULL
);
CREATE INDEX chunk_deletions_index_seq ON chunk_deletions (index_id, seq);
