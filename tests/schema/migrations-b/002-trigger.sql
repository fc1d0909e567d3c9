CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN INSERT INTO memories_fts(rowid, content) VALUES (new.rowid, upper(new.content)); END;
INSERT INTO schema_migrations VALUES (9, 'x', 'x'), (10, 'x', 'x'), (11, 'x', 'x');
