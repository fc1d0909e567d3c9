CREATE INDEX idx_missing ON no_such_table(content);
