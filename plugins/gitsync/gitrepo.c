/*
 * The gitsync domain's repository work on libgit2 (see gitrepo.h): the harness's setup of
 * a workspace repository and its bare remote, commits added to a remote as another clone
 * would push them, and observations of what a runtime committed,
 * as JSON for the core's comparison. Repositories are only read here, never through git's
 * porcelain output.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <git2.h>

#include "gitrepo.h"

#define SIG_NAME "parity harness"
#define SIG_EMAIL "parity@localhost"
#define SIG_TIME 1767225600 /* 2026-01-01T00:00:00Z: fixed, so both sides get one commit id */
#define MAX_MASKS 16

void gs_git_init(void)
{
	git_libgit2_init();
}

void gs_git_shutdown(void)
{
	git_libgit2_shutdown();
}

/* ph_error with libgit2's last message appended. */
static int git_fail(struct ph_err *err, const char *what, const char *path)
{
	const git_error *e = git_error_last();

	return ph_error(err, PH_E_IO, "git: %s '%s': %s", what, path,
			e && e->message ? e->message : "unknown libgit2 error");
}

static int in_list(const json_t *list, const char *path)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), path))
			return 1;
	}
	return 0;
}

static int globbed(const json_t *globs, const char *path)
{
	size_t i;
	json_t *v;

	json_array_foreach(globs, i, v)
	{
		if (json_is_string(v) && !fnmatch(json_string_value(v), path, 0))
			return 1;
	}
	return 0;
}

/* git_index_add_all callback: 0 adds the path, 1 skips it. */
static int baseline_filter(const char *path, const char *spec, void *payload)
{
	const struct gs_opts *o = payload;

	(void)spec;
	return o && (in_list(o->forbidden, path) || globbed(o->skip_paths, path)) ? 1 : 0;
}

static int set_config(git_repository *repo, const char *branch)
{
	git_config *cfg = NULL;
	char key[300];
	int rc;

	if (git_repository_config(&cfg, repo))
		return -1;
	rc = git_config_set_string(cfg, "user.name", SIG_NAME) ||
	     git_config_set_string(cfg, "user.email", SIG_EMAIL);
	if (!rc && branch) {
		snprintf(key, sizeof(key), "branch.%s.remote", branch);
		rc = git_config_set_string(cfg, key, "origin");
		snprintf(key, sizeof(key), "branch.%s.merge", branch);
		if (!rc) {
			char ref[260];

			snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
			rc = git_config_set_string(cfg, key, ref);
		}
	}
	git_config_free(cfg);
	return rc ? -1 : 0;
}

struct copy {
	git_odb *from, *to;
};

static int copy_one(const git_oid *id, void *payload)
{
	struct copy *c = payload;
	git_odb_object *obj = NULL;
	git_oid out;
	int rc;

	if (git_odb_exists(c->to, id))
		return 0;
	if ((rc = git_odb_read(&obj, c->from, id)))
		return rc;
	rc = git_odb_write(&out, c->to, git_odb_object_data(obj), git_odb_object_size(obj),
			   git_odb_object_type(obj));
	git_odb_object_free(obj);
	return rc;
}

/* Copy every object of from into to. */
static int copy_objects(git_repository *from, git_repository *to)
{
	struct copy c = {NULL, NULL};
	int rc;

	if ((rc = git_repository_odb(&c.from, from)) || (rc = git_repository_odb(&c.to, to)))
		goto out;
	rc = git_odb_foreach(c.from, copy_one, &c);
out:
	git_odb_free(c.from);
	git_odb_free(c.to);
	return rc;
}

/* remote "origin" at url, fetching every branch into refs/remotes/origin/. */
static int set_remote(git_repository *repo, const char *url)
{
	git_config *cfg = NULL;
	int rc;

	if (git_repository_config(&cfg, repo))
		return -1;
	rc = git_config_set_string(cfg, "remote.origin.url", url) ||
	     git_config_set_string(cfg, "remote.origin.fetch",
				   "+refs/heads/*:refs/remotes/origin/*");
	git_config_free(cfg);
	return rc ? -1 : 0;
}

int gs_repo_setup(const char *ws, const char *remote, const char *branch, const struct gs_opts *o,
		  struct ph_err *err)
{
	git_repository_init_options io;
	git_repository *repo = NULL, *bare = NULL;
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_oid tree_id, commit_id;
	char spec[600], tracking[300];
	git_strarray all = {(char *[]){"*"}, 1};
	int rc = 0;

	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH;
	io.initial_head = branch;
	if (git_repository_init_ext(&repo, ws, &io))
		return git_fail(err, "cannot init", ws);
	if (set_config(repo, NULL)) {
		rc = git_fail(err, "cannot configure", ws);
		goto out;
	}
	if (git_repository_index(&idx, repo) ||
	    git_index_add_all(idx, &all, GIT_INDEX_ADD_DEFAULT, baseline_filter, (void *)o) ||
	    git_index_write(idx) || git_index_write_tree(&tree_id, idx) ||
	    git_tree_lookup(&tree, repo, &tree_id)) {
		rc = git_fail(err, "cannot stage the baseline of", ws);
		goto out;
	}
	if (git_signature_new(&sig, SIG_NAME, SIG_EMAIL, SIG_TIME, 0) ||
	    git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, "parity baseline\n", tree,
			      0, NULL)) {
		rc = git_fail(err, "cannot commit the baseline of", ws);
		goto out;
	}
	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_BARE;
	if (git_repository_init_ext(&bare, remote, &io)) {
		rc = git_fail(err, "cannot init the bare remote", remote);
		goto out;
	}
	/*
	 * "Push" by copying the baseline's objects and setting the branch: libgit2 1.5 leaks
	 * pcre2 match data whenever it makes a git_remote (its regex search of the config
	 * for url.*.insteadOf), so the remote is only written to the config.
	 */
	snprintf(spec, sizeof(spec), "refs/heads/%s", branch);
	if (set_remote(repo, remote) || copy_objects(repo, bare) ||
	    git_reference_create(&ref, bare, spec, &commit_id, 1, "parity: baseline")) {
		rc = git_fail(err, "cannot push the baseline to", remote);
		goto out;
	}
	/* the remote-tracking branch, as a clone has it */
	git_reference_free(ref);
	ref = NULL;
	snprintf(tracking, sizeof(tracking), "refs/remotes/origin/%s", branch);
	if (git_reference_create(&ref, repo, tracking, &commit_id, 1, "parity: baseline") ||
	    set_config(repo, branch))
		rc = git_fail(err, "cannot set the upstream of", ws);
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(bare);
	git_repository_free(repo);
	return rc;
}

/* The commit ref names, or NULL (not an error) when there is none. */
static int resolve(git_repository *repo, const char *ref, git_commit **out)
{
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	rc = git_revparse_single(&obj, repo, ref);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return rc;
}

int gs_head(const char *path, const char *ref, char hex[GS_OID_HEX], struct ph_err *err)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;

	hex[0] = '\0';
	if (git_repository_open(&repo, path))
		return git_fail(err, "cannot open", path);
	if (resolve(repo, ref, &c)) {
		git_repository_free(repo);
		return git_fail(err, "cannot resolve HEAD of", path);
	}
	if (c)
		git_oid_tostr(hex, GS_OID_HEX, git_commit_id(c));
	git_commit_free(c);
	git_repository_free(repo);
	return 0;
}

void gs_message_normalise(const char *msg, char *out, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd-dd-dd";
	size_t len = strcspn(msg, "\n"), i, skip = 0;

	while (len && (msg[len - 1] == ' ' || msg[len - 1] == '\r'))
		len--;
	if (len >= 19) {
		for (i = 0; i < 19; i++)
			if (shape[i] == 'd' ? (msg[i] < '0' || msg[i] > '9') : msg[i] != shape[i])
				break;
		if (i == 19)
			skip = 19;
	}
	snprintf(out, n, "%s%.*s", skip ? "<ts>" : "", (int)(len - skip), msg + skip);
}

/*
 * The mask globs. fnmatch, not POSIX regex: libgit2 pulls in libpcre2-posix, whose
 * regcomp/regexec shadow glibc's in the plugin's process.
 */
struct masks {
	const char *glob[MAX_MASKS];
	size_t n;
};

static int masks_compile(struct masks *m, const json_t *list, struct ph_err *err)
{
	size_t i;
	json_t *v;

	m->n = 0;
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v) || m->n == MAX_MASKS)
			return ph_error(err, PH_E_INVALID,
					"mask_lines.%zu: expected a glob string (at most %d)", i,
					MAX_MASKS);
		m->glob[m->n++] = json_string_value(v);
	}
	return 0;
}

static void masks_free(struct masks *m)
{
	m->n = 0;
}

/*
 * The blob id of content after masking: each line a mask glob matches becomes "<masked>".
 * Content with no matching line keeps its own id. Returns 0 or -1.
 */
static int masked_id(const struct masks *m, const char *data, size_t len, git_oid *id)
{
	char *out = NULL, *line = NULL;
	size_t olen = 0, pos = 0, cap = 0;
	int changed = 0, rc;

	size_t lines = 1;

	if (!m->n || memchr(data, '\0', len))
		return 0; /* no masks, or binary: the id stands */
	for (size_t k = 0; k < len; k++)
		lines += data[k] == '\n';
	/* each line is kept or becomes "<masked>" (8 bytes) */
	out = malloc(len + 8 * lines + 1);
	if (!out)
		return -1;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (data + pos)) : len - pos;
		int hit = 0;

		if (ll + 1 > cap) {
			char *nb = realloc(line, ll + 1);

			if (!nb) {
				free(out);
				free(line);
				return -1;
			}
			line = nb;
			cap = ll + 1;
		}
		memcpy(line, data + pos, ll);
		line[ll] = '\0';
		for (size_t k = 0; k < m->n && !hit; k++)
			hit = !fnmatch(m->glob[k], line, 0);
		if (hit) {
			changed = 1;
			memcpy(out + olen, "<masked>", 8);
			olen += 8;
		} else {
			memcpy(out + olen, data + pos, ll);
			olen += ll;
		}
		pos += ll;
		if (nl) {
			out[olen++] = '\n';
			pos++;
		}
	}
	rc = changed ? git_odb_hash(id, out, olen, GIT_OBJECT_BLOB) : 0;
	free(out);
	free(line);
	return rc ? -1 : 0;
}

/* "<mode> <blob id>" of a file in a diff, with masks applied. */
static json_t *file_value(git_repository *repo, const git_diff_file *f, const struct masks *m)
{
	git_blob *blob = NULL;
	git_oid id = f->id;
	char hex[GS_OID_HEX], buf[64];

	if (!git_blob_lookup(&blob, repo, &f->id)) {
		if (masked_id(m, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), &id))
			id = f->id;
		git_blob_free(blob);
	}
	git_oid_tostr(hex, sizeof(hex), &id);
	snprintf(buf, sizeof(buf), "%06o %s", (unsigned)f->mode, hex);
	return json_string(buf);
}

/* changes: since's tree against c's tree. */
static int observe_changes(git_repository *repo, git_commit *since, git_commit *c,
			   const struct gs_opts *o, const struct masks *m, json_t *changes)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_diff *diff = NULL;
	int rc = -1;

	if ((since && git_commit_tree(&old_tree, since)) || (c && git_commit_tree(&new_tree, c)))
		goto out;
	if (git_diff_tree_to_tree(&diff, repo, old_tree, new_tree, NULL))
		goto out;
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path =
		    d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;

		if (o && (in_list(o->forbidden, path) || globbed(o->skip_paths, path)))
			continue;
		json_object_set_new(changes, path,
				    d->status == GIT_DELTA_DELETED
					? json_string("deleted")
					: file_value(repo, &d->new_file, m));
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return rc;
}

static int has_line(const char *text, size_t len, const char *line)
{
	size_t ll = strlen(line);

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t t = l;

		while (t && (text[pos + t - 1] == '\r' || text[pos + t - 1] == ' '))
			t--;
		if (t == ll && !memcmp(text + pos, line, ll))
			return 1;
		pos += l + 1;
	}
	return 0;
}

static json_t *observe_gitignore(git_repository *repo, git_commit *c, const struct gs_opts *o)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	const char *text = "";
	size_t len = 0, i;
	json_t *entries = json_object(), *v;

	if (c && !git_commit_tree(&tree, c) && !git_tree_entry_bypath(&e, tree, ".gitignore") &&
	    !git_blob_lookup(&blob, repo, git_tree_entry_id(e))) {
		text = git_blob_rawcontent(blob);
		len = (size_t)git_blob_rawsize(blob);
	}
	git_error_clear();
	json_array_foreach(o ? o->protected_entries : NULL, i, v)
	{
		if (json_is_string(v))
			json_object_set_new(
			    entries, json_string_value(v),
			    json_boolean(has_line(text, len, json_string_value(v))));
	}
	v = json_pack("{s:b, s:b, s:o}", "committed", blob != NULL, "header",
		      o && o->gitignore_header && has_line(text, len, o->gitignore_header),
		      "entries", entries);
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return v;
}

int gs_observe(const char *path, const char *ref, const char *since, const struct gs_opts *o,
	       json_t **obs, struct ph_err *err)
{
	git_repository *repo = NULL;
	git_commit *head = NULL, *base = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	struct masks m = {.n = 0};
	json_t *messages = json_array(), *oids = json_array(), *stamps = json_array(), *changes = json_object(), *forbidden = json_object();
	char hex[GS_OID_HEX] = "";
	size_t i;
	json_t *v;
	long count = 0;
	int rc = 0;

	*obs = NULL;
	if (!messages || !changes || !forbidden) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = masks_compile(&m, o ? o->mask_lines : NULL, err)))
		goto out;
	json_array_foreach(o ? o->forbidden : NULL, i, v)
	{
		if (json_is_string(v))
			json_object_set_new(forbidden, json_string_value(v), json_false());
	}
	if (git_repository_open(&repo, path)) {
		rc = git_fail(err, "cannot open", path);
		goto out;
	}
	if (resolve(repo, ref, &head) ||
	    (since && *since &&
	     (git_oid_fromstr(&id, since) || git_commit_lookup(&base, repo, &id)))) {
		rc = git_fail(err, "cannot resolve the commits of", path);
		goto out;
	}
	if (head) {
		git_oid_tostr(hex, sizeof(hex), git_commit_id(head));
		if (git_revwalk_new(&walk, repo) ||
		    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
		    git_revwalk_push(walk, git_commit_id(head)) ||
		    (base && git_revwalk_hide(walk, git_commit_id(base)))) {
			rc = git_fail(err, "cannot walk the history of", path);
			goto out;
		}
		while (!git_revwalk_next(&id, walk)) {
			git_commit *c = NULL;
			git_tree *tree = NULL;
			char msg[1024];
			const char *key;
			json_t *seen;

			if (git_commit_lookup(&c, repo, &id) || git_commit_tree(&tree, c)) {
				git_commit_free(c);
				rc = git_fail(err, "cannot read a commit of", path);
				goto out;
			}
			gs_message_normalise(git_commit_message(c), msg, sizeof(msg));
			json_array_append_new(messages, json_string(msg));
			{
				char id_hex[GS_OID_HEX];

				const char *raw = git_commit_message(c);

				git_oid_tostr(id_hex, sizeof(id_hex), &id);
				json_array_append_new(oids, json_string(id_hex));
				/* the auto-commit timestamp the runtime put in front, or null */
				json_array_append_new(stamps, !strncmp(msg, "<ts>", 4) && raw ?
								      json_stringn(raw, 19) :
								      json_null());
			}
			json_object_foreach(forbidden, key, seen)
			{
				git_tree_entry *e = NULL;

				if (!git_tree_entry_bypath(&e, tree, key))
					json_object_set(forbidden, key, json_true());
				git_tree_entry_free(e);
			}
			git_error_clear();
			git_tree_free(tree);
			git_commit_free(c);
			count++;
		}
	}
	if (observe_changes(repo, base, head, o, &m, changes)) {
		rc = git_fail(err, "cannot diff the trees of", path);
		goto out;
	}
	*obs = json_pack("{s:s, s:I, s:O, s:O, s:O, s:O, s:O, s:o}", "head", hex, "count",
			 (json_int_t)count, "messages", messages, "oids", oids, "stamps", stamps,
			 "changes", changes, "forbidden", forbidden, "gitignore",
			 observe_gitignore(repo, head, o));
	if (!*obs)
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
out:
	masks_free(&m);
	json_decref(messages);
	json_decref(oids);
	json_decref(stamps);
	json_decref(changes);
	json_decref(forbidden);
	git_revwalk_free(walk);
	git_commit_free(head);
	git_commit_free(base);
	git_repository_free(repo);
	return rc;
}

int gs_remote_commit(const char *bare, const char *branch, const json_t *files, const char *message,
		     struct ph_err *err)
{
	git_repository *repo = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	char ref[300];
	const char *path;
	json_t *content;
	int rc = 0;

	if (!json_is_object(files))
		return ph_error(err, PH_E_INVALID, "remote commit: files must be an object");
	if (git_repository_open(&repo, bare))
		return git_fail(err, "cannot open", bare);
	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	if (resolve(repo, ref, &parent) || git_index_new(&idx) ||
	    (parent && (git_commit_tree(&tree, parent) || git_index_read_tree(idx, tree)))) {
		rc = git_fail(err, "cannot read the branch of", bare);
		goto out;
	}
	json_object_foreach((json_t *)files, path, content)
	{
		git_index_entry e;
		git_oid blob;

		if (!gs_safe_path(path)) {
			rc = ph_error(err, PH_E_INVALID, "remote commit: bad path '%s'", path);
			goto out;
		}
		if (json_is_null(content)) {
			git_index_remove(idx, path, 0);
			continue;
		}
		if (!json_is_string(content)) {
			rc = ph_error(err, PH_E_INVALID,
				      "remote commit: files.%s must be a string or null", path);
			goto out;
		}
		memset(&e, 0, sizeof(e));
		if (git_blob_create_from_buffer(&blob, repo, json_string_value(content),
						json_string_length(content))) {
			rc = git_fail(err, "cannot write a blob to", bare);
			goto out;
		}
		e.mode = GIT_FILEMODE_BLOB;
		e.id = blob;
		e.path = path;
		if (git_index_add(idx, &e)) {
			rc = git_fail(err, "cannot stage a file in", bare);
			goto out;
		}
	}
	git_tree_free(tree);
	tree = NULL;
	if (git_index_write_tree_to(&tree_id, idx, repo) ||
	    git_tree_lookup(&tree, repo, &tree_id) ||
	    git_signature_new(&sig, SIG_NAME, SIG_EMAIL, SIG_TIME + 60, 0) ||
	    git_commit_create(&commit_id, repo, ref, sig, sig, NULL, message, tree, parent ? 1 : 0,
			      (const git_commit **)&parent))
		rc = git_fail(err, "cannot commit to", bare);
out:
	git_signature_free(sig);
	git_index_free(idx);
	git_tree_free(tree);
	git_commit_free(parent);
	git_repository_free(repo);
	return rc;
}
