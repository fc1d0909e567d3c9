-- The work of the seeded extraction scenario, written after its memories
-- (seed-extract-memories.sql) were embedded: one pending `extract` job per source memory
-- (the Rust daemon never queues jobs itself, CONTRACT.md §4.2).

INSERT INTO memory_jobs (id, memory_id, job_type, status, attempts, max_attempts, created_at, updated_at)
  VALUES ('pj-0201', 'pm-0201', 'extract', 'pending', 0, 3, '2026-02-01T10:00:00.000Z', '2026-02-01T10:00:00.000Z');
INSERT INTO memory_jobs (id, memory_id, job_type, status, attempts, max_attempts, created_at, updated_at)
  VALUES ('pj-0202', 'pm-0202', 'extract', 'pending', 0, 3, '2026-02-01T10:01:00.000Z', '2026-02-01T10:01:00.000Z');
INSERT INTO memory_jobs (id, memory_id, job_type, status, attempts, max_attempts, created_at, updated_at)
  VALUES ('pj-0203', 'pm-0203', 'extract', 'pending', 0, 3, '2026-02-01T10:02:00.000Z', '2026-02-01T10:02:00.000Z');
