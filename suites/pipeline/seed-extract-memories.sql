-- The memories of the seeded extraction scenario (suites/pipeline/extract.json), written
-- into both runtimes' running databases by the pipeline plugin before the work is queued:
-- the existing memories the extracted facts are decided against, and the source memories.
-- Then each runtime embeds them through its own POST /api/repair/re-embed (the case's
-- "embed"), so both daemons' vector search sees them before a worker takes a job. Only
-- columns both Signet schemas and refd share are set. The canned answers for these
-- memories are in canned-llm/default/pipeline.json.

INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0101', 'The staging cluster runs Kubernetes 1.27 on three worker nodes in Frankfurt.', 'fact', 0.6, 'codex', 'manual', 'complete', '2026-02-01T09:00:00.000Z', '2026-02-01T09:00:00.000Z', 'codex');
INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0102', 'The legacy billing service stores invoices in an Oracle database.', 'fact', 0.5, 'codex', 'manual', 'complete', '2026-02-01T09:01:00.000Z', '2026-02-01T09:01:00.000Z', 'codex');
INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0103', 'Production deployments happen on Tuesdays and Thursdays after code review.', 'rule', 0.7, 'codex', 'manual', 'complete', '2026-02-01T09:02:00.000Z', '2026-02-01T09:02:00.000Z', 'codex');

INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0201', 'Infrastructure sync notes: the staging cluster was upgraded to Kubernetes 1.29, the Oracle billing database was retired after the invoice migration, production deployments still happen on Tuesdays and Thursdays, the quokka telemetry dashboards now refresh hourly, and zephyr ferry tickets were booked for the offsite.', 'fact', 0.5, 'claude-code', 'session', 'pending', '2026-02-01T10:00:00.000Z', '2026-02-01T10:00:00.000Z', 'claude-code');
INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0202', 'Lunch was good.', 'fact', 0.3, 'claude-code', 'session', 'pending', '2026-02-01T10:01:00.000Z', '2026-02-01T10:01:00.000Z', 'claude-code');
INSERT INTO memories (id, content, type, importance, who, source_type, extraction_status, created_at, updated_at, updated_by)
  VALUES ('pm-0203', 'Retrospective transcript: the marmoset importer crashed again and the notes from this meeting came back garbled beyond recognition.', 'fact', 0.5, 'claude-code', 'session', 'pending', '2026-02-01T10:02:00.000Z', '2026-02-01T10:02:00.000Z', 'claude-code');
