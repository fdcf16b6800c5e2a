-- Rate limits shared by every API replica (issue 14): one token bucket per API key. Replicas lease a few tokens at a
-- time (refill by elapsed time, take up to the lease, in one statement), so the configured rate holds for the whole
-- deployment, not per replica, at one round trip per lease instead of one per request.
CREATE TABLE rate_buckets (
  key_id      INTEGER PRIMARY KEY REFERENCES api_keys(id) ON DELETE CASCADE,
  -- Tokens left after the last lease (0..burst).
  tokens      DOUBLE PRECISION NOT NULL,
  -- Tokens the last lease took (what the statement returns to the replica that ran it).
  taken       DOUBLE PRECISION NOT NULL,
  updated_at  TIMESTAMPTZ(6) NOT NULL
);
