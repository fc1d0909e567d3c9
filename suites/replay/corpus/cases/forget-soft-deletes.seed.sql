-- One memory to forget.
INSERT INTO memories (id, content, type, importance, tags, who, is_deleted, created_at, updated_at, content_hash) VALUES
  ('mem-replay-forget', 'The spare key to the boat shed hangs by the door.', 'fact', 0.5, 'replay', 'parity-replay', 0, '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z', 'replay-forget');
