create table schema_migrations (version integer primary key, applied_at text not null, checksum text not null);
create table memories (id text primary key, scope text not null default 'global', content text not null, created_at text not null default (datetime('now')));
create virtual table memories_fts using fts5(content, content=memories, content_rowid=rowid);
insert into schema_migrations values (1, '2026-01-01T00:00:00+00:00', 'f2feb36e');
