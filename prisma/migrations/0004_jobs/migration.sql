-- Indexing queue (issue 14). addDocuments stores what it was given and its job in ONE transaction: the uploaded
-- originals (content-addressed bytes), one indexing_jobs row per call, one indexing_tasks row per document (its input
-- and version) and a graphile-worker job naming the indexing job (schema graphile_worker, installed by graphile-worker's
-- own migrations when Loupe starts). Workers anywhere run the tasks; every process reads the uploads from here.

CREATE TABLE uploads (
  sha256      TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  bytes       BYTEA NOT NULL,
  created_at  TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
-- Image files are compressed already: keep them out of line without trying to compress them again.
ALTER TABLE uploads ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- The indexing task (version) whose chunks a document holds. A write of an older or the same version is skipped, so a
-- task run twice (at-least-once workers) or out of order never duplicates or rolls back chunks. 0: written directly.
ALTER TABLE documents ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE SEQUENCE indexing_version_seq AS BIGINT START 1;

CREATE TABLE indexing_jobs (
  id          TEXT PRIMARY KEY,
  index_id    INTEGER NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
  total       INTEGER NOT NULL,
  -- The submitting request: workers log under it and name it in INTERNAL messages, so a client's id leads to the log.
  request_id  TEXT,
  created_at  TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

CREATE TABLE indexing_tasks (
  version      BIGINT PRIMARY KEY DEFAULT nextval('indexing_version_seq'),
  job_id       TEXT NOT NULL REFERENCES indexing_jobs(id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  external_id  TEXT NOT NULL,
  -- Validated fields and upload references ({ fields, uploads: [[field, { name, type, sha256 }]] }); NULL when the
  -- document was refused at submission (its code and message say why).
  input        JSONB,
  status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'indexed', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  replaced     BOOLEAN,
  -- For 'failed': why. For 'queued': the last attempt's error (it will be retried).
  code         TEXT,
  message      TEXT,
  updated_at   TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  UNIQUE (job_id, position)
);
CREATE INDEX indexing_tasks_queued ON indexing_tasks (job_id) WHERE status = 'queued';

-- Job progress feed: every statement that adds or changes tasks announces their jobs at commit, whoever wrote
-- (a worker in any process), like the index change feed of 0003. Payload: the job id.
CREATE FUNCTION loupe_notify_job_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('loupe_job_changes', j.job_id) FROM (SELECT DISTINCT job_id FROM changed) j;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER indexing_tasks_insert_feed AFTER INSERT ON indexing_tasks REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION loupe_notify_job_change();
CREATE TRIGGER indexing_tasks_update_feed AFTER UPDATE ON indexing_tasks REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION loupe_notify_job_change();

-- Live queue workers: graphile-worker's worker ids with the Postgres backend (pid + start time) of a connection their
-- process holds open. When that backend is gone (process killed, host lost), any Loupe process unlocks the dead
-- workers' jobs at once instead of after graphile-worker's 4-hour lock timeout.
CREATE TABLE queue_workers (
  worker_id      TEXT PRIMARY KEY,
  backend_pid    INTEGER NOT NULL,
  backend_start  TIMESTAMPTZ NOT NULL,
  host           TEXT NOT NULL,
  pid            INTEGER NOT NULL,
  started_at     TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
