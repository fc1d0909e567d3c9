/*
 * Unit tests of the gitsync plugin's repository work (gitrepo.c) on repositories the test
 * builds in a temporary folder: the harness's setup (baseline without the database, bare
 * remote pushed), observations of new commits (normalised messages, changed paths with
 * masked blob hashes, .gitignore entries, files that must never be committed), commits
 * added to a remote, and the comparison of two observations under fixtures/rules.json.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <git2.h>

#include "compare/compare.h"
#include "gitrepo.h"
#include "plugin_fixture.h"
#include "compare/rules.h"

const struct ph_plugin *ph_gitsync_plugin(void);

/* A test's repositories: a workspace and its bare remote in the fixture's folder. */
struct fx {
	const char *dir; /* the fixture's folder */
	char ws[128], remote[128];
	json_t *opts_json;
	struct gs_opts opts;
};

static int gs_setup(struct plugin_fixture *pf)
{
	struct fx *f = pf->user;
	json_error_t je;

	f->dir = pf->dir;
	snprintf(f->ws, sizeof(f->ws), "%s/workspace", f->dir);
	snprintf(f->remote, sizeof(f->remote), "%s/remote.git", f->dir);
	f->opts_json = json_loads(
	    "{\"mask_lines\": [\"*Generated: *\"], \"skip_paths\": [\".daemon/*\"],"
	    " \"forbidden\": [\"memory/memories.db\", \"memory/memories.db-wal\"],"
	    " \"protected\": [\"memory/memories.db\", \"memory/memories.db-wal\", \"signetai/\"]}",
	    0, &je);
	if (!f->opts_json)
		return -1;
	f->opts.mask_lines = json_object_get(f->opts_json, "mask_lines");
	f->opts.skip_paths = json_object_get(f->opts_json, "skip_paths");
	f->opts.forbidden = json_object_get(f->opts_json, "forbidden");
	f->opts.protected_entries = json_object_get(f->opts_json, "protected");
	f->opts.gitignore_header = "# Signet generated data";
	gs_git_init();
	return 0;
}

static void gs_teardown(struct plugin_fixture *pf)
{
	json_decref(((struct fx *)pf->user)->opts_json);
	gs_git_shutdown();
}

static const struct plugin_fixture_spec fixture = {.domain = "gitsync",
						    .entry = ph_gitsync_plugin,
						    .user_size = sizeof(struct fx),
						    .setup = gs_setup,
						    .teardown = gs_teardown};

/* The test's repositories, from the fixture cmocka hands it. */
static struct fx *fx_of(void **state)
{
	return ((struct plugin_fixture *)*state)->user;
}

/* Apply changes given as JSON text to a workspace. */
static void change(const char *ws, const char *json_text)
{
	json_error_t je;
	json_t *c = json_loads(json_text, 0, &je);
	struct ph_err err = {0};

	assert_non_null(c);
	assert_int_equal(gs_apply_changes(ws, c, &err), 0);
	json_decref(c);
}

/* A fixture workspace: identity files, the database and its WAL, a daemon log. */
static void make_workspace(const char *ws)
{
	change(ws,
	       "{\"write\": {\"AGENTS.md\": \"# Agents\\n\", \"SOUL.md\": \"calm\\n\","
	       " \"memory/memories.db\": \"SQLite format 3\", \"memory/memories.db-wal\": \"wal\","
	       " \".daemon/logs/daemon.log\": \"started\\n\"}}");
}

/*
 * Commit in ws as a runtime would: stage everything (.gitignore honoured), force-add
 * the paths in force, commit msg on HEAD.
 */
static void commit_all(const char *ws, const char *msg, const char *const *force)
{
	git_repository *repo;
	git_index *idx;
	git_oid tree_id, id;
	git_tree *tree;
	git_signature *sig;
	git_object *head = NULL;
	char *all[] = {"*"};
	git_strarray spec = {all, 1};

	assert_int_equal(git_repository_open(&repo, ws), 0);
	assert_int_equal(git_repository_index(&idx, repo), 0);
	assert_int_equal(git_index_add_all(idx, &spec, GIT_INDEX_ADD_DEFAULT, NULL, NULL), 0);
	assert_int_equal(git_index_update_all(idx, &spec, NULL, NULL), 0);
	for (size_t i = 0; force && force[i]; i++)
		assert_int_equal(git_index_add_bypath(idx, force[i]), 0);
	assert_int_equal(git_index_write(idx), 0);
	assert_int_equal(git_index_write_tree(&tree_id, idx), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_now(&sig, "runtime", "runtime@localhost"), 0);
	assert_int_equal(git_revparse_single(&head, repo, "HEAD"), 0);
	assert_int_equal(git_commit_create(&id, repo, "HEAD", sig, sig, NULL, msg, tree, 1,
					   (const git_commit **)&head),
			 0);
	git_object_free(head);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(repo);
}

static void test_normalise(void **state)
{
	char out[128];

	(void)state;
	gs_message_normalise("2026-05-01T12-00-00_auto_AGENTS.md\n\nbody\n", out, sizeof(out));
	assert_string_equal(out, "<ts>_auto_AGENTS.md");
	/* another format keeps its own timestamp, so it differs from the upstream one */
	gs_message_normalise("[signet] auto-commit: AGENTS.md (2026-05-01T12:00:00.000Z)", out,
			     sizeof(out));
	assert_string_equal(out, "[signet] auto-commit: AGENTS.md (2026-05-01T12:00:00.000Z)");
	/* an ISO timestamp with ':' is not the upstream shape */
	gs_message_normalise("2026-05-01T12:00:00_auto_x", out, sizeof(out));
	assert_string_equal(out, "2026-05-01T12:00:00_auto_x");
	gs_message_normalise("short", out, sizeof(out));
	assert_string_equal(out, "short");
	gs_message_normalise("2026-05-01T12-00-00", out, sizeof(out));
	assert_string_equal(out, "<ts>");
}

static void test_setup_baseline(void **state)
{
	struct fx *f = fx_of(state);
	struct ph_err err = {0};
	char ws_head[GS_OID_HEX], remote_head[GS_OID_HEX], tracking[GS_OID_HEX];
	git_repository *repo;
	git_object *obj;
	json_t *obs;

	make_workspace(f->ws);
	assert_int_equal(gs_repo_setup(f->ws, f->remote, "main", &f->opts, &err), 0);
	assert_int_equal(gs_head(f->ws, "HEAD", ws_head, &err), 0);
	assert_int_equal(gs_head(f->remote, "refs/heads/main", remote_head, &err), 0);
	assert_int_equal(gs_head(f->ws, "refs/remotes/origin/main", tracking, &err), 0);
	assert_int_equal(strlen(ws_head), 40);
	assert_string_equal(ws_head, remote_head);
	assert_string_equal(ws_head, tracking);

	/* the baseline holds the workspace files but not the database, WAL or daemon logs */
	assert_int_equal(git_repository_open(&repo, f->ws), 0);
	assert_int_equal(git_revparse_single(&obj, repo, "HEAD:AGENTS.md"), 0);
	git_object_free(obj);
	assert_int_equal(git_revparse_single(&obj, repo, "HEAD:memory/memories.db"), GIT_ENOTFOUND);
	assert_int_equal(git_revparse_single(&obj, repo, "HEAD:.daemon/logs/daemon.log"),
			 GIT_ENOTFOUND);
	git_repository_free(repo);

	/* nothing new since the baseline */
	assert_int_equal(gs_observe(f->ws, "HEAD", ws_head, &f->opts, &obs, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(obs, "count")), 0);
	assert_int_equal(json_object_size(json_object_get(obs, "changes")), 0);
	assert_true(json_is_false(json_object_get(json_object_get(obs, "gitignore"), "committed")));
	json_decref(obs);

	/* an unborn branch observes as empty, not as an error */
	assert_int_equal(gs_head(f->remote, "refs/heads/other", remote_head, &err), 0);
	assert_string_equal(remote_head, "");
}

static void test_observe_commit(void **state)
{
	struct fx *f = fx_of(state);
	struct ph_err err = {0};
	char base[GS_OID_HEX];
	json_t *obs, *changes, *gi;
	const char *const force_db[] = {"memory/memories.db", NULL};

	make_workspace(f->ws);
	assert_int_equal(gs_repo_setup(f->ws, f->remote, "main", &f->opts, &err), 0);
	assert_int_equal(gs_head(f->ws, "HEAD", base, &err), 0);

	change(f->ws,
	       "{\"append\": {\"AGENTS.md\": \"more\\n\"}, \"delete\": [\"SOUL.md\"],"
	       " \"write\": {\".gitignore\": \"# Signet generated data\\nmemory/memories.db\\n"
	       "memory/memories.db-wal\\n\"}}");
	commit_all(f->ws, "2026-05-01T12-00-00_auto_AGENTS.md, SOUL.md", NULL);
	assert_int_equal(gs_observe(f->ws, "HEAD", base, &f->opts, &obs, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(obs, "count")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(obs, "messages"), 0)),
			    "<ts>_auto_AGENTS.md, SOUL.md");
	changes = json_object_get(obs, "changes");
	assert_int_equal(json_object_size(changes), 3);
	assert_string_equal(json_string_value(json_object_get(changes, "SOUL.md")), "deleted");
	assert_true(
	    !strncmp(json_string_value(json_object_get(changes, "AGENTS.md")), "100644 ", 7));
	assert_non_null(json_object_get(changes, ".gitignore"));
	gi = json_object_get(obs, "gitignore");
	assert_true(json_is_true(json_object_get(gi, "committed")));
	assert_true(json_is_true(json_object_get(gi, "header")));
	assert_true(
	    json_is_true(json_object_get(json_object_get(gi, "entries"), "memory/memories.db")));
	assert_true(json_is_false(json_object_get(json_object_get(gi, "entries"), "signetai/")));
	assert_true(json_is_false(
	    json_object_get(json_object_get(obs, "forbidden"), "memory/memories.db")));
	json_decref(obs);

	/* a commit that force-adds the database: reported under forbidden, not in changes */
	change(f->ws, "{\"append\": {\"AGENTS.md\": \"again\\n\"}}");
	commit_all(f->ws, "2026-05-01T12-00-05_auto_AGENTS.md", force_db);
	assert_int_equal(gs_observe(f->ws, "HEAD", base, &f->opts, &obs, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(obs, "count")), 2);
	assert_true(
	    json_is_true(json_object_get(json_object_get(obs, "forbidden"), "memory/memories.db")));
	assert_true(json_is_false(
	    json_object_get(json_object_get(obs, "forbidden"), "memory/memories.db-wal")));
	assert_null(json_object_get(json_object_get(obs, "changes"), "memory/memories.db"));
	json_decref(obs);
}

/* Observe one workspace after a commit of content, since its baseline. */
static json_t *observe_content(struct fx *f, const char *sub, const char *content)
{
	char ws[200], remote[200], base[GS_OID_HEX];
	struct ph_err err = {0};
	json_t *c, *obs;

	snprintf(ws, sizeof(ws), "%s/%s/workspace", f->dir, sub);
	snprintf(remote, sizeof(remote), "%s/%s/remote.git", f->dir, sub);
	make_workspace(ws);
	assert_int_equal(gs_repo_setup(ws, remote, "main", &f->opts, &err), 0);
	assert_int_equal(gs_head(ws, "HEAD", base, &err), 0);
	c = json_pack("{s:{s:s}}", "write", "SIGNET-ARCHITECTURE.md", content);
	assert_int_equal(gs_apply_changes(ws, c, &err), 0);
	json_decref(c);
	commit_all(ws, "2026-05-01T12-00-00_auto_SIGNET-ARCHITECTURE.md", NULL);
	assert_int_equal(gs_observe(ws, "HEAD", base, &f->opts, &obs, &err), 0);
	return obs;
}

/* Compare the changes of two observations under GIT /tree of the project's rules. */
static enum ph_class compare_tree(const json_t *a, const json_t *b)
{
	struct ph_rules *rules = NULL;
	struct ph_result res = {0};
	struct ph_err err = {0};
	const struct ph_rule *rule;
	enum ph_class v;

	assert_int_equal(ph_rules_load(&rules, PARITY_SOURCE_DIR "/fixtures/rules.json", &err), 0);
	rule = ph_rules_find(rules, "GIT /tree");
	assert_non_null(rule);
	assert_string_equal(rule->key, "GIT /tree");
	assert_int_equal(ph_compare_json_rule(rule, json_object_get(a, "changes"),
					      json_object_get(b, "changes"), &res, &err),
			 0);
	v = res.verdict;
	ph_result_release(&res);
	ph_rules_free(rules);
	return v;
}

static void test_masked_lines(void **state)
{
	/* a; b: another Generated: time; c: other content; d: another header line */
	static const char *const content[4] = {
	    "<!--\n  Generated: 2026-05-01T12:00:00.000Z\n-->\nbody\n",
	    "<!--\n  Generated: 2026-05-01T12:00:09.123Z\n-->\nbody\n",
	    "<!--\n  Generated: 2026-05-01T12:00:00.000Z\n-->\nother\n",
	    "<!--\n  Written: 2026-05-01T12:00:00.000Z\n-->\nbody\n",
	};
	static const char *const sub[4] = {"a", "b", "c", "d"};
	struct fx *f = fx_of(state);
	json_t *obs[4];
	size_t i;

	for (i = 0; i < 4; i++)
		obs[i] = observe_content(f, sub[i], content[i]);
	/* only the Generated: line differs: the same masked hash, parity */
	assert_true(
	    json_equal(json_object_get(obs[0], "changes"), json_object_get(obs[1], "changes")));
	assert_int_equal(compare_tree(obs[0], obs[1]), PH_PARITY);
	/* other content, or another header line, is a different blob: semantic */
	assert_int_equal(compare_tree(obs[0], obs[2]), PH_SEMANTIC);
	assert_int_equal(compare_tree(obs[0], obs[3]), PH_SEMANTIC);
	for (i = 0; i < 4; i++)
		json_decref(obs[i]);
}

static void test_remote_commit(void **state)
{
	struct fx *f = fx_of(state);
	struct ph_err err = {0};
	char base[GS_OID_HEX], h1[GS_OID_HEX], h2[GS_OID_HEX], remote2[200];
	json_t *files, *obs;

	make_workspace(f->ws);
	assert_int_equal(gs_repo_setup(f->ws, f->remote, "main", &f->opts, &err), 0);
	assert_int_equal(gs_head(f->remote, "refs/heads/main", base, &err), 0);
	files = json_pack("{s:s}", "notes/from-remote.md", "hello\n");
	assert_int_equal(gs_remote_commit(f->remote, "main", files, "remote: add notes\n", &err),
			 0);
	assert_int_equal(gs_observe(f->remote, "refs/heads/main", base, &f->opts, &obs, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(obs, "count")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(obs, "messages"), 0)),
			    "remote: add notes");
	assert_int_equal(json_object_size(json_object_get(obs, "changes")), 1);
	assert_non_null(json_object_get(json_object_get(obs, "changes"), "notes/from-remote.md"));
	json_decref(obs);

	/* the same commit on an identical second remote gets the same id (fixed date) */
	snprintf(remote2, sizeof(remote2), "%s/ws2/remote.git", f->dir);
	{
		char ws2[200];

		snprintf(ws2, sizeof(ws2), "%s/ws2/workspace", f->dir);
		make_workspace(ws2);
		assert_int_equal(gs_repo_setup(ws2, remote2, "main", &f->opts, &err), 0);
	}
	assert_int_equal(gs_remote_commit(remote2, "main", files, "remote: add notes\n", &err), 0);
	assert_int_equal(gs_head(f->remote, "refs/heads/main", h1, &err), 0);
	assert_int_equal(gs_head(remote2, "refs/heads/main", h2, &err), 0);
	assert_string_equal(h1, h2);
	json_decref(files);

	/* bad input is an error naming the problem, not a crash */
	files = json_pack("{s:s}", "../escape", "x");
	assert_int_equal(gs_remote_commit(f->remote, "main", files, "x", &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "../escape"));
	json_decref(files);
	assert_true(gs_observe("/nonexistent/repo", "HEAD", NULL, &f->opts, &obs, &err) < 0);
	assert_null(obs);
	assert_non_null(strstr(err.msg, "/nonexistent/repo"));
}

static void test_apply_changes_paths(void **state)
{
	struct fx *f = fx_of(state);
	struct ph_err err = {0};
	json_t *c;
	struct stat st;
	char path[256];

	c = json_pack("{s:{s:s}}", "write", "/etc/passwd", "x");
	assert_int_equal(gs_apply_changes(f->dir, c, &err), PH_E_INVALID);
	json_decref(c);
	c = json_pack("{s:{s:s}}", "write", "a/../../x", "x");
	assert_int_equal(gs_apply_changes(f->dir, c, &err), PH_E_INVALID);
	json_decref(c);
	c = json_pack("{s:{s:i}}", "write", "a", 1);
	assert_int_equal(gs_apply_changes(f->dir, c, &err), PH_E_INVALID);
	json_decref(c);
	c = json_pack("{s:{s:s}}", "write", "deep/er/file.md", "x");
	assert_int_equal(gs_apply_changes(f->dir, c, &err), 0);
	json_decref(c);
	snprintf(path, sizeof(path), "%s/deep/er/file.md", f->dir);
	assert_int_equal(stat(path, &st), 0);
	c = json_pack("{s:[s]}", "delete", "deep/er/file.md");
	assert_int_equal(gs_apply_changes(f->dir, c, &err), 0);
	json_decref(c);
	assert_int_equal(stat(path, &st), -1);
}

/* ---- the run hook through the fake host (tests/support) ---- */

static void test_run_http_and_order(void **state)
{
	struct plugin_fixture *pf = *state;
	struct ph_err err;

	/* an HTTP case needs no repository: the shared case exchange runs it */
	assert_int_equal(plugin_fixture_run_cases(pf,
						  "{\"name\": \"status\", \"method\": \"GET\","
						  " \"path\": \"/api/git/status\"}",
						  &err),
			 0);
	assert_string_equal(fake_host_row_class(&pf->fh, "status"), "parity");
	assert_int_equal(json_array_size(pf->fh.requests), 2);
	/* anything else needs the setup case first */
	assert_int_equal(
	    plugin_fixture_run_cases(pf, "{\"name\": \"c1\", \"kind\": \"change\"}", &err),
	    PH_E_INVALID);
	assert_non_null(strstr(err.msg, "comes before the setup case"));
	assert_non_null(strstr(err.msg, pf->dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test(test_setup_baseline),
	    cmocka_unit_test(test_observe_commit),
	    cmocka_unit_test(test_masked_lines),
	    cmocka_unit_test(test_remote_commit),
	    cmocka_unit_test(test_apply_changes_paths),
	    cmocka_unit_test(test_run_http_and_order),
	};

	return plugin_fixture_run_tests(&fixture, tests);
}
