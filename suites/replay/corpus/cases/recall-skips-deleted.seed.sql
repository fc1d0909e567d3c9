-- Three memories about a lighthouse; the third is soft-deleted and must not be recalled.
-- Only columns that refd's and both Signet daemons' schemas have.
INSERT INTO memories (id, content, type, importance, tags, who, is_deleted, created_at, updated_at, content_hash) VALUES
  ('mem-replay-light-1', 'The lighthouse keeper logs the harbor weather every dawn.', 'fact', 0.8, 'replay', 'parity-replay', 0, '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z', 'replay-light-1'),
  ('mem-replay-light-2', 'Lighthouse lamps on this harbor were converted to LED in 2024.', 'fact', 0.6, 'replay', 'parity-replay', 0, '2026-03-01T08:00:01.000Z', '2026-03-01T08:00:01.000Z', 'replay-light-2'),
  ('mem-replay-light-3', 'The old lighthouse harbor log was deleted by mistake.', 'fact', 0.5, 'replay', 'parity-replay', 1, '2026-03-01T08:00:02.000Z', '2026-03-01T08:00:02.000Z', 'replay-light-3');
