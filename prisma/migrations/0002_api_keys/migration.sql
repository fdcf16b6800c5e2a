-- API keys (issue 7). Only a SHA-256 of each key is stored; `prefix` (the key's first characters) names it in
-- listings. A revoked key keeps its row (revoked_at set) so that listings and logs still make sense.
CREATE TABLE api_keys (
  id             SERIAL PRIMARY KEY,
  prefix         TEXT NOT NULL UNIQUE,
  key_hash       TEXT NOT NULL UNIQUE,
  role           TEXT NOT NULL CHECK (role IN ('admin', 'read')),
  name           TEXT NOT NULL DEFAULT '',
  -- Per-key token bucket; NULL = the server's defaults (LOUPE_RATE_LIMIT, LOUPE_RATE_BURST).
  rate_per_sec   DOUBLE PRECISION CHECK (rate_per_sec IS NULL OR rate_per_sec > 0),
  burst          INTEGER CHECK (burst IS NULL OR burst > 0),
  created_at     TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  last_used_at   TIMESTAMPTZ(6),
  revoked_at     TIMESTAMPTZ(6)
);
