-- needs the column added by 9-scope.sql: fails if applied in lexical order
CREATE INDEX idx_memories_scope ON memories(scope) WHERE scope IS NOT NULL;
INSERT INTO schema_migrations VALUES (10, '2026-01-01T00:00:00Z', 'bb');
