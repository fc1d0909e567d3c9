-- Two agents with isolated reads, and memories of each: global, private, archived.
-- The columns exist in refd (migration 5) and in both Signet daemons' schemas.
INSERT INTO agents (id, name, read_policy, policy_group, created_at, updated_at) VALUES
  ('agent-north', 'North', 'isolated', NULL, '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'),
  ('agent-south', 'South', 'isolated', NULL, '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z');
INSERT INTO memories (id, content, type, importance, tags, who, is_deleted, created_at, updated_at, content_hash, agent_id, visibility) VALUES
  ('mem-replay-north-global', 'Tide tables for the north pier are posted at the gate.', 'fact', 0.7, 'replay', 'parity-replay', 0, '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z', 'replay-north-global', 'agent-north', 'global'),
  ('mem-replay-north-private', 'The north pier tide tables are kept in the private harbor log.', 'fact', 0.6, 'replay', 'parity-replay', 0, '2026-03-01T08:00:01.000Z', '2026-03-01T08:00:01.000Z', 'replay-north-private', 'agent-north', 'private'),
  ('mem-replay-north-archived', 'Old tide tables for the north pier used a paper chart.', 'fact', 0.5, 'replay', 'parity-replay', 0, '2026-03-01T08:00:02.000Z', '2026-03-01T08:00:02.000Z', 'replay-north-archived', 'agent-north', 'archived'),
  ('mem-replay-south-global', 'South pier tide tables moved to the harbor office.', 'fact', 0.7, 'replay', 'parity-replay', 0, '2026-03-01T08:00:03.000Z', '2026-03-01T08:00:03.000Z', 'replay-south-global', 'agent-south', 'global');
