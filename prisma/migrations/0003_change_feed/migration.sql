-- Change feed for derived state (FAISS index, chunk map, cached index records) in every Loupe process.
-- A trigger on the index row sends NOTIFY from the writing transaction itself: Postgres delivers it at commit (never
-- for a rolled-back write), to every process LISTENing on this database, whoever wrote. Writers already update
-- indexes.last_seq in the transaction that adds or deletes chunks, so every chunk change is announced.
-- Payload: '<index id>:<last_seq>' after a write, '<index id>:deleted' when the index is deleted.
CREATE FUNCTION loupe_notify_index_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('loupe_index_changes', OLD.id::text || ':deleted');
    RETURN OLD;
  END IF;
  IF NEW.last_seq IS DISTINCT FROM OLD.last_seq THEN
    PERFORM pg_notify('loupe_index_changes', NEW.id::text || ':' || NEW.last_seq::text);
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER indexes_change_feed AFTER UPDATE OF last_seq OR DELETE ON indexes
  FOR EACH ROW EXECUTE FUNCTION loupe_notify_index_change();
