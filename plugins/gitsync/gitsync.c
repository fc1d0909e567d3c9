/*
 * The git sync domain (CONTRACT.md §7): the suite's "setup" case makes each runtime's
 * workspace a git repository with a baseline commit and a local bare remote beside it
 * (<workspace>/../remote.git) and restarts the runtimes so they see .git; "change" cases
 * change the same files in both workspaces, wait for the auto-commits (debounced) and
 * compare what each runtime committed since the last observation: the number of commits
 * and their messages with the timestamp normalised ("git commits"), the paths they
 * changed with blob hashes after masking volatile lines ("git tree"), the protected
 * .gitignore entries ("git .gitignore"), and whether any commit holds a file that must
 * never be committed ("git never-committed", structural when it differs). "remote-commit"
 * cases add a commit to both remotes as another clone would, "observe" compares again
 * without changing anything (after a pull), "remote" compares the remotes' branch (after a
 * push), and cases with a "method" are HTTP requests compared under the rules
 * (/api/git/status, /api/git/config, pull, push, sync). An observe or remote case's
 * "route" names the request whose effect it compares (route coverage counts its rows for
 * that route at depth "state"). Repositories are read with
 * libgit2 (gitrepo.c).
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitrepo.h"
#include "parity/clock.h"
#include "parity/http_case.h"
#include "parity/row.h"
#include "parity/suite.h"

#define DEFAULT_DEADLINE_MS 20000
#define DEFAULT_SETTLE_MS 1500
#define POLL_MS 100

/* The domain's state for one run. */
struct gs_run {
	const struct ph_host *host;
	struct ph_run *run;
	json_t *setup;	     /* the setup case (borrowed from the case list) */
	struct gs_opts opts; /* borrowed from setup */
	char branch[128];
	char *remote[2];		 /* <workspace>/../remote.git */
	char since[2][GS_OID_HEX];	 /* workspace HEAD at the last observation */
	unsigned turns;			 /* HTTP cases so far: who is asked first */
	char remote_base[2][GS_OID_HEX]; /* remote branch at setup */
	long deadline_ms, settle_ms;
	const char *route; /* the case's "route": the request whose effect its rows compare */
};

static long case_long(const json_t *c, const char *key, long dflt)
{
	json_t *v = json_object_get(c, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? (long)json_integer_value(v)
								: dflt;
}

static int record_error(struct gs_run *g, const char *feature, const char *case_name,
			const char *msg)
{
	return ph_row_error(g->host, g->run, feature, case_name, "could not evaluate", msg);
}

/*
 * Compare a and b under rule_key and record the row; a divergence is raised to at least
 * floor (e.g. structural for a committed database).
 */
static int record_pair(struct gs_run *g, const char *feature, const char *rule_key,
		       const char *case_name, const json_t *a, const json_t *b, const char *summary,
		       enum ph_class floor, const double lat[2])
{
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err err = {0};
	int rc;

	if (g->host->compare_json(g->run, rule_key, a, b, &res, &err))
		return record_error(g, feature, case_name, err.msg);
	row.feature = feature;
	row.case_name = case_name;
	row.reference = summary;
	row.result = &res;
	row.cls = res.verdict != PH_PARITY && floor > res.verdict ? floor : res.verdict;
	row.latency_reference_ms = lat ? lat[0] : -1;
	row.latency_candidate_ms = lat ? lat[1] : -1;
	rc = g->host->record(g->run, &row);
	g->host->result_release(&res);
	/* what a request left in the repositories: route coverage's depth "state" */
	if (!rc && g->route)
		ph_row_annotate_route(g->host, g->run, g->route, "state");
	return rc;
}

static void summary_commits(const json_t *obs, char *buf, size_t n)
{
	json_t *msgs = json_object_get(obs, "messages"), *m;
	size_t i, len;

	len = (size_t)snprintf(buf, n, "%lld new commit%s",
			       (long long)json_integer_value(json_object_get(obs, "count")),
			       json_integer_value(json_object_get(obs, "count")) == 1 ? "" : "s");
	json_array_foreach(msgs, i, m)
	{
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "; " : ": ",
						json_string_value(m));
	}
}

/* Record the rows of one observation pair; which: NULL for all four. */
static int record_observation(struct gs_run *g, const char *case_name, json_t *obs[2],
			      const json_t *which, const double lat[2])
{
	char summary[512];
	json_t *a, *b, *v;
	size_t i;
	int rc = 0, all = !json_is_array(which) || !json_array_size(which);

	for (int k = 0; k < 4 && !rc; k++) {
		static const char *const names[4] = {"commits", "tree", "gitignore",
						     "never-committed"};
		int on = all;

		json_array_foreach(which, i, v)
		{
			if (json_is_string(v) && !strcmp(json_string_value(v), names[k]))
				on = 1;
		}
		if (!on)
			continue;
		switch (k) {
		case 0:
			a = json_pack("{s:O, s:O}", "count", json_object_get(obs[0], "count"),
				      "messages", json_object_get(obs[0], "messages"));
			b = json_pack("{s:O, s:O}", "count", json_object_get(obs[1], "count"),
				      "messages", json_object_get(obs[1], "messages"));
			summary_commits(obs[0], summary, sizeof(summary));
			rc = record_pair(g, "git commits", "GIT /commits", case_name, a, b, summary,
					 PH_PARITY, lat);
			break;
		case 1:
			a = json_incref(json_object_get(obs[0], "changes"));
			b = json_incref(json_object_get(obs[1], "changes"));
			snprintf(summary, sizeof(summary), "%zu path%s committed",
				 json_object_size(a), json_object_size(a) == 1 ? "" : "s");
			rc = record_pair(g, "git tree", "GIT /tree", case_name, a, b, summary,
					 PH_PARITY, NULL);
			break;
		case 2: {
			json_t *ga = json_object_get(obs[0], "gitignore");
			json_t *e = json_object_get(ga, "entries"), *x;
			const char *key;
			size_t have = 0;

			json_object_foreach(e, key, x) have += json_is_true(x);
			a = json_incref(ga);
			b = json_incref(json_object_get(obs[1], "gitignore"));
			snprintf(summary, sizeof(summary),
				 ".gitignore %s, %zu/%zu protected entries",
				 json_is_true(json_object_get(ga, "committed")) ? "committed"
										: "not committed",
				 have, json_object_size(e));
			rc = record_pair(g, "git .gitignore", "GIT /gitignore", case_name, a, b,
					 summary, PH_PARITY, NULL);
			break;
		}
		default: {
			const char *key;
			json_t *x;
			size_t len;

			a = json_incref(json_object_get(obs[0], "forbidden"));
			b = json_incref(json_object_get(obs[1], "forbidden"));
			len = (size_t)snprintf(summary, sizeof(summary), "never committed:");
			json_object_foreach(a, key, x)
			{
				if (!json_is_true(x) && len < sizeof(summary))
					len += (size_t)snprintf(summary + len,
								sizeof(summary) - len, " %s", key);
			}
			/* a file that must never be committed breaks every clone: structural */
			rc = record_pair(g, "git never-committed", "GIT /never-committed",
					 case_name, a, b, summary, PH_STRUCTURAL, NULL);
			break;
		}
		}
		json_decref(a);
		json_decref(b);
	}
	return rc;
}

/*
 * Commit ids come from each side's own clock and are compared by name: the commit
 * "{commit:<case>#<n>}" (n-th new commit of that observation), in full and as the 7-digit
 * short form git prints ("Updating 8c2fdcf..b4755e4"); an auto-commit message's leading
 * timestamp as "{commit_time:<case>#<n>}".
 */
static void name_commit(struct gs_run *g, enum ph_side side, const char *hex, const char *label)
{
	char name[300], short_hex[8];
	struct ph_err err;

	if (!hex || strlen(hex) < 7 || !PH_HOST_HAS(g->host, canon_add))
		return;
	snprintf(name, sizeof(name), "{commit:%s}", label);
	g->host->canon_add(g->run, side, hex, name, &err);
	snprintf(short_hex, sizeof(short_hex), "%.7s", hex);
	g->host->canon_add(g->run, side, short_hex, name, &err);
}

static void name_commits(struct gs_run *g, enum ph_side side, const char *case_name,
			 const json_t *obs)
{
	const json_t *v;
	size_t i;
	char label[256];

	json_array_foreach(json_object_get(obs, "oids"), i, v)
	{
		const char *stamp =
			json_string_value(json_array_get(json_object_get(obs, "stamps"), i));
		char name[300];
		struct ph_err err;

		snprintf(label, sizeof(label), "%s#%zu", case_name ? case_name : "?", i + 1);
		name_commit(g, side, json_string_value(v), label);
		/* and the time the runtime's clock put in front of its message */
		if (stamp && PH_HOST_HAS(g->host, canon_add)) {
			snprintf(name, sizeof(name), "{commit_time:%s}", label);
			g->host->canon_add(g->run, side, stamp, name, &err);
		}
	}
}

/* Observe both workspaces since the last observation and record the rows. */
static int observe(struct gs_run *g, const json_t *c, const double lat[2])
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *obs[2] = {NULL, NULL};
	struct ph_err err = {0};
	int rc = 0;

	for (int s = 0; s < 2; s++) {
		if (gs_observe(g->host->workspace(g->run, (enum ph_side)s), "HEAD", g->since[s],
			       &g->opts, &obs[s], &err)) {
			rc = record_error(g, "git commits", name, err.msg);
			goto out;
		}
	}
	for (int s = 0; s < 2; s++)
		name_commits(g, (enum ph_side)s, name, obs[s]);
	rc = record_observation(g, name, obs, json_object_get(c, "rows"), lat);
	for (int s = 0; s < 2; s++)
		snprintf(g->since[s], GS_OID_HEX, "%s",
			 json_string_value(json_object_get(obs[s], "head")));
out:
	json_decref(obs[0]);
	json_decref(obs[1]);
	return rc;
}

/*
 * Wait until both workspaces have new commits and neither HEAD moved for settle_ms, or
 * the deadline passes. lat[s] is when side s's first new commit was seen (ms after the
 * change), -1 when none was.
 */
static void wait_commits(struct gs_run *g, long deadline_ms, long settle_ms, double lat[2])
{
	char last[2][GS_OID_HEX];
	double t0 = ph_now_ms(), moved[2] = {-1, -1};
	struct ph_err err;

	lat[0] = lat[1] = -1;
	memcpy(last, g->since, sizeof(last));
	for (;;) {
		double t;

		ph_sleep_ms(POLL_MS);
		t = ph_now_ms();
		for (int s = 0; s < 2; s++) {
			char head[GS_OID_HEX];

			if (gs_head(g->host->workspace(g->run, (enum ph_side)s), "HEAD", head,
				    &err))
				continue;
			if (strcmp(head, last[s])) {
				memcpy(last[s], head, GS_OID_HEX);
				moved[s] = t;
				if (lat[s] < 0)
					lat[s] = t - t0;
			}
		}
		if (moved[0] >= 0 && moved[1] >= 0 && t - moved[0] >= (double)settle_ms &&
		    t - moved[1] >= (double)settle_ms)
			return;
		if (t - t0 >= (double)deadline_ms)
			return;
	}
}

/* Apply the case's changes to both workspaces, wait for the commits and compare. */
static int do_change(struct gs_run *g, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	struct ph_err err = {0};
	double lat[2];
	long deadline = case_long(c, "deadline_ms", g->deadline_ms);
	long settle = case_long(c, "settle_ms", g->settle_ms);

	for (int s = 0; s < 2; s++)
		if (gs_apply_changes(g->host->workspace(g->run, (enum ph_side)s),
				     json_object_get(c, "changes"), &err))
			return record_error(g, "git commits", name, err.msg);
	wait_commits(g, deadline, settle, lat);
	if (json_is_true(json_object_get(c, "expect_commit")) && lat[0] < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "the reference runtime made no commit within %ld ms: is auto-commit on?",
			 deadline);
		for (int s = 0; s < 2; s++) /* the next case starts from here */
			if (gs_head(g->host->workspace(g->run, (enum ph_side)s), "HEAD",
				    g->since[s], &err))
				g->since[s][0] = '\0';
		return record_error(g, "git commits", name, msg);
	}
	return observe(g, c, lat);
}

/* Add the case's commit to both remotes. */
static int do_remote_commit(struct gs_run *g, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *msg = json_string_value(json_object_get(c, "message"));
	struct ph_err err = {0};

	for (int s = 0; s < 2; s++) {
		char ref[300], head[GS_OID_HEX];

		if (gs_remote_commit(g->remote[s], g->branch, json_object_get(c, "files"),
				     msg ? msg : "remote change\n", &err))
			return record_error(g, "git remote", name, err.msg);
		snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
		if (!gs_head(g->remote[s], ref, head, &err))
			name_commit(g, (enum ph_side)s, head, name ? name : "remote");
	}
	return 0;
}

/*
 * Compare the remotes' branch since setup: how many commits arrived, what they changed,
 * and whether the branch is the workspace's HEAD. Messages are left to "git commits",
 * which already compared them when they were made.
 */
static int do_remote(struct gs_run *g, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *obs[2] = {NULL, NULL}, *v[2] = {NULL, NULL};
	struct ph_err err = {0};
	char ref[300], summary[512];
	int rc = 0;

	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	for (int s = 0; s < 2; s++) {
		char head[GS_OID_HEX];

		if (gs_observe(g->remote[s], ref, g->remote_base[s], &g->opts, &obs[s], &err) ||
		    gs_head(g->host->workspace(g->run, (enum ph_side)s), "HEAD", head, &err)) {
			rc = record_error(g, "git remote", name, err.msg);
			goto out;
		}
		v[s] = json_pack("{s:O, s:O, s:b}", "count", json_object_get(obs[s], "count"),
				 "changes", json_object_get(obs[s], "changes"), "workspace_head",
				 !strcmp(head, json_string_value(json_object_get(obs[s], "head"))));
	}
	snprintf(summary, sizeof(summary), "%lld commits on origin/%s, %zu paths changed%s",
		 (long long)json_integer_value(json_object_get(v[0], "count")), g->branch,
		 json_object_size(json_object_get(v[0], "changes")),
		 json_is_true(json_object_get(v[0], "workspace_head")) ? ", = workspace HEAD" : "");
	rc =
	    record_pair(g, "git remote", "GIT /remote", name, v[0], v[1], summary, PH_PARITY, NULL);
out:
	json_decref(v[0]);
	json_decref(v[1]);
	json_decref(obs[0]);
	json_decref(obs[1]);
	return rc;
}

/* Make both workspaces repositories with a bare remote, then restart the runtimes. */
static int do_setup(struct gs_run *g, json_t *c, struct ph_err *err)
{
	const char *branch = json_string_value(json_object_get(c, "branch"));
	int rc;

	g->setup = c;
	g->opts.mask_lines = json_object_get(c, "mask_lines");
	g->opts.skip_paths = json_object_get(c, "skip_paths");
	g->opts.forbidden = json_object_get(c, "forbidden");
	g->opts.protected_entries = json_object_get(c, "protected");
	g->opts.gitignore_header = json_string_value(json_object_get(c, "gitignore_header"));
	g->deadline_ms = case_long(c, "deadline_ms", DEFAULT_DEADLINE_MS);
	g->settle_ms = case_long(c, "settle_ms", DEFAULT_SETTLE_MS);
	snprintf(g->branch, sizeof(g->branch), "%s", branch ? branch : "main");
	for (int s = 0; s < 2; s++) {
		const char *ws = g->host->workspace(g->run, (enum ph_side)s);
		char *copy = strdup(ws), ref[300];

		if (!copy)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		free(g->remote[s]);
		if (asprintf(&g->remote[s], "%s/remote.git", dirname(copy)) < 0)
			g->remote[s] = NULL;
		free(copy);
		if (!g->remote[s])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
		if ((rc = gs_repo_setup(ws, g->remote[s], g->branch, &g->opts, err)) ||
		    (rc = gs_head(ws, "HEAD", g->since[s], err)) ||
		    (rc = gs_head(g->remote[s], ref, g->remote_base[s], err)))
			return rc;
	}
	/* the runtimes look for .git and the remote when they start */
	for (int s = 0; s < 2; s++) {
		if ((rc = g->host->runtime_restart(g->run, (enum ph_side)s, NULL, err)))
			return rc;
		name_commit(g, (enum ph_side)s, g->since[s], "baseline");
	}
	g->host->log(g->run, PH_LOG_INFO, "gitsync: repositories ready, remotes %s and %s",
		     g->remote[0], g->remote[1]);
	return 0;
}

/* One case of the suite, by its kind. */
static int gitsync_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	struct gs_run *g = ctx;
	const char *kind = json_string_value(json_object_get(c, "kind"));
	const char *dir = g->host->suite_dir(g->run);

	(void)i;
	if (!kind)
		kind = "http";
	g->route = json_string_value(json_object_get(c, "route"));
	if (json_object_get(c, "route") &&
	    (!g->route || (strcmp(kind, "observe") && strcmp(kind, "remote"))))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': route: expected \"METHOD /path\", the request "
				"whose effect an observe or remote case compares",
				dir, json_string_value(json_object_get(c, "name")));
	if (strcmp(kind, "setup") && strcmp(kind, "http") && !g->setup)
		return ph_error(err, PH_E_INVALID, "%s: case '%s' (%s) comes before the setup case",
				dir, json_string_value(json_object_get(c, "name")), kind);
	if (!strcmp(kind, "setup"))
		return do_setup(g, c, err);
	if (!strcmp(kind, "http"))
		return ph_http_case(g->host, g->run, c, g->turns++, err);
	if (!strcmp(kind, "change"))
		return do_change(g, c);
	if (!strcmp(kind, "observe"))
		return observe(g, c, NULL);
	if (!strcmp(kind, "remote-commit"))
		return do_remote_commit(g, c);
	if (!strcmp(kind, "remote"))
		return do_remote(g, c);
	return ph_error(err, PH_E_INVALID,
			"%s: case '%s': unknown kind '%s' (setup, http, change, observe, "
			"remote-commit, remote)",
			dir, json_string_value(json_object_get(c, "name")), kind);
}

static int gitsync_run(void *state, const struct ph_host *host, struct ph_run *run,
		       struct ph_err *err)
{
	struct gs_run g = {0};
	json_t *cases;
	double t0 = ph_now_ms();
	int rc;

	(void)state;
	g.host = host;
	g.run = run;
	if ((rc = ph_suite_load(host, run, &cases, err)))
		return rc;
	gs_git_init();
	rc = ph_suite_each_case(host, run, cases, gitsync_case, &g, err);
	host->log(run, PH_LOG_INFO, "gitsync: %zu cases in %.1f s", json_array_size(cases),
		  (ph_now_ms() - t0) / 1000.0);
	free(g.remote[0]);
	free(g.remote[1]);
	json_decref(cases);
	gs_git_shutdown();
	return rc;
}

PH_PLUGIN_EXPORT(gitsync, "1.0.0",
		 "git sync: auto-commits compared with libgit2, /api/git/* over HTTP", NULL,
		 gitsync_run, NULL)
