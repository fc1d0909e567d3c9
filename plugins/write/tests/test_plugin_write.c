/*
 * Unit tests of the write plugin: its pure helpers ({id:<step>} substitution, id labels,
 * row normalisation, the crash verdict, medians) and its run hook driven through the
 * shared fake host (tests/support) with two "runtimes" of its own that generate ids in
 * different formats, so the tests show that each runtime gets its own ids in later steps,
 * that answers and database rows compare equal once ids are labelled, and that a database
 * difference becomes a semantic row.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "parity/labels.h"
#include "parity/plugin.h"
#include "parity/result.h"
#include "plugin_fixture.h"
#include "write.h"

const struct ph_plugin *ph_write_plugin(void);

/* ---- helpers ---- */

static void test_substitute(void **state)
{
	json_t *cap = json_pack("{s:s, s:s}", "remember", "abc-1", "b", "x");
	char *missing = NULL, *s;

	(void)state;
	s = ph_labels_substitute("/api/memory/{id:remember}/recover", cap, &missing);
	assert_string_equal(s, "/api/memory/abc-1/recover");
	free(s);
	s = ph_labels_substitute("{id:b}{id:remember} {id:b", cap, &missing);
	assert_string_equal(s, "xabc-1 {id:b");
	free(s);
	s = ph_labels_substitute("/api/memory/{id:nope}", cap, &missing);
	assert_null(s);
	assert_string_equal(missing, "nope");
	free(missing);
	json_decref(cap);
}

static void test_rewrite_ids(void **state)
{
	struct ph_write_state ws;
	json_t *doc, *out;

	(void)state;
	ph_write_state_init(&ws);
	json_object_set_new(ws.labels[1], "mem_ff", json_string("c/remember"));
	doc = json_pack("{s:s, s:[{s:s}], s:s}", "id", "mem_ff", "results", "id", "mem_ff",
			"content", "other");
	out = ph_write_rewrite_ids(&ws, 1, doc, 1);
	assert_string_equal(json_string_value(json_object_get(out, "id")), "c/remember");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(out, "results"), 0), "id")),
			    "c/remember");
	assert_string_equal(json_string_value(json_object_get(out, "content")), "other");
	assert_non_null(json_object_get(ws.touched, "c/remember"));
	/* the other side does not know that id */
	json_decref(out);
	out = ph_write_rewrite_ids(&ws, 0, doc, 0);
	assert_string_equal(json_string_value(json_object_get(out, "id")), "mem_ff");
	json_decref(out);
	json_decref(doc);
	ph_write_state_release(&ws);
}

/* Two runtimes with different id formats leave the same rows: equal once normalised. */
static void test_normalise_pairs_generated_ids(void **state)
{
	struct ph_write_state ws;
	json_t *m[2], *h[2], *nm[2], *nh[2];
	const char *ids[2] = {"5b9a-uuid", "mem_0a1b"};

	(void)state;
	ph_write_state_init(&ws);
	for (int i = 0; i < 2; i++) {
		json_object_set_new(ws.labels[i], ids[i], json_string("case/remember"));
		json_object_set_new(ws.labels[i], "mem-0001", json_string("mem-0001"));
		m[i] = json_pack("[{s:s, s:s, s:s, s:s, s:n, s:i}, {s:s, s:s, s:s, s:s, s:n, s:i}]",
				 "id", ids[i], "content", "a", "content_hash", "h1", "created_at",
				 i ? "2026-01-01T00:00:01Z" : "2026-01-01T00:00:00Z", "deleted_at",
				 "version", 2, "id", "mem-0001", "content", "seed", "content_hash",
				 "h0", "created_at", "2026-01-01T00:00:00Z", "deleted_at",
				 "version", 1);
		h[i] =
		    json_pack("[{s:i, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s, s:s}]", "_rowid", 1,
			      "id", i ? "h-x" : "h-y", "memory_id", ids[i], "event", "updated",
			      "created_at", i ? "2026-01-01T00:00:02Z" : "2026-01-01T00:00:09Z",
			      "_rowid", 2, "id", i ? "h-z" : "h-w", "memory_id", ids[i], "event",
			      "deleted", "created_at", "2026-01-01T00:00:03Z");
	}
	json_object_set_new(ws.touched, "case/remember", json_true());
	for (int i = 0; i < 2; i++) {
		nm[i] = ph_write_normalise_memories(&ws, i, m[i]);
		nh[i] = ph_write_normalise_children(&ws, i, h[i], NULL);
	}
	/* only the touched memory, its id a label, timestamps masked, null kept */
	assert_int_equal(json_array_size(nm[0]), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nm[0], 0), "id")),
			    "case/remember");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(nm[0], 0), "created_at")), "<set>");
	assert_true(json_is_null(json_object_get(json_array_get(nm[0], 0), "deleted_at")));
	assert_true(json_equal(nm[0], nm[1]));
	/* history: natural keys by event order, memory_id remapped, _rowid dropped */
	assert_int_equal(json_array_size(nh[0]), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nh[0], 1), "id")),
			    "case/remember/#2");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(nh[0], 1), "memory_id")),
	    "case/remember");
	assert_null(json_object_get(json_array_get(nh[0], 0), "_rowid"));
	assert_true(json_equal(nh[0], nh[1]));
	for (int i = 0; i < 2; i++) {
		json_decref(m[i]);
		json_decref(h[i]);
		json_decref(nm[i]);
		json_decref(nh[i]);
	}
	ph_write_state_release(&ws);
}

/* The members (by id) of a normalised array that the other lacks, or that differ. */
static void member_diff(const json_t *a, const json_t *b, int *only_a, int *only_b, int *differ)
{
	json_t *ia = json_object(), *ib = json_object(), *r, *o;
	const char *k;
	size_t i;

	json_array_foreach(a, i, r)
	    json_object_set(ia, json_string_value(json_object_get(r, "id")), r);
	json_array_foreach(b, i, r)
	    json_object_set(ib, json_string_value(json_object_get(r, "id")), r);
	*only_a = *only_b = *differ = 0;
	json_object_foreach(ia, k, r)
	{
		if (!(o = json_object_get(ib, k)))
			(*only_a)++;
		else if (!json_equal(r, o))
			(*differ)++;
	}
	json_object_foreach(ib, k, r) *only_b += json_object_get(ia, k) == NULL;
	json_decref(ia);
	json_decref(ib);
}

/*
 * One side writes an extra history row first (the Rust daemon's "created" on remember):
 * paired by event it is one extra member and every other pair stays equal; paired by
 * position the same rows would differ at every pair.
 */
static void test_normalise_history_by_event(void **state)
{
	struct ph_write_state ws;
	json_t *h[2], *n[2];
	int only_a, only_b, differ;

	(void)state;
	ph_write_state_init(&ws);
	json_object_set_new(ws.labels[0], "ref-1", json_string("case/remember"));
	json_object_set_new(ws.labels[1], "cand_1", json_string("case/remember"));
	json_object_set_new(ws.touched, "case/remember", json_true());
	h[0] = json_pack("[{s:i, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s, s:s},"
			 " {s:i, s:s, s:s, s:s, s:s}]",
			 "_rowid", 4, "id", "h1", "memory_id", "ref-1", "event", "deleted",
			 "reason", "first", "_rowid", 5, "id", "h2", "memory_id", "ref-1", "event",
			 "recovered", "reason", "undo", "_rowid", 6, "id", "h3", "memory_id",
			 "ref-1", "event", "deleted", "reason", "final");
	h[1] = json_pack("[{s:i, s:s, s:s, s:s, s:n}, {s:i, s:s, s:s, s:s, s:s},"
			 " {s:i, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s, s:s}]",
			 "_rowid", 7, "id", "x1", "memory_id", "cand_1", "event", "created",
			 "reason", "_rowid", 8, "id", "x2", "memory_id", "cand_1", "event",
			 "deleted", "reason", "first", "_rowid", 9, "id", "x3", "memory_id",
			 "cand_1", "event", "recovered", "reason", "undo", "_rowid", 10, "id", "x4",
			 "memory_id", "cand_1", "event", "deleted", "reason", "final");
	for (int i = 0; i < 2; i++)
		n[i] = ph_write_normalise_children(&ws, i, h[i], "event");
	assert_string_equal(json_string_value(json_object_get(json_array_get(n[0], 2), "id")),
			    "case/remember/deleted#2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(n[1], 0), "id")),
			    "case/remember/created#1");
	member_diff(n[0], n[1], &only_a, &only_b, &differ);
	assert_int_equal(only_a, 0);
	assert_int_equal(only_b, 1); /* the created row, nothing else */
	assert_int_equal(differ, 0);
	for (int i = 0; i < 2; i++)
		json_decref(n[i]);
	/* by position, the one extra row shifts every pair */
	json_object_clear(ws.touched);
	json_object_set_new(ws.touched, "case/remember", json_true());
	for (int i = 0; i < 2; i++)
		n[i] = ph_write_normalise_children(&ws, i, h[i], NULL);
	member_diff(n[0], n[1], &only_a, &only_b, &differ);
	assert_int_equal(only_b, 1);
	assert_int_equal(differ, 3);
	for (int i = 0; i < 2; i++) {
		json_decref(n[i]);
		json_decref(h[i]);
	}
	ph_write_state_release(&ws);
}

/* A row no answer named (a duplicate written behind the API's back) is reported once. */
static void test_normalise_new_rows_once(void **state)
{
	struct ph_write_state ws;
	json_t *rows = json_pack("[{s:s, s:s}]", "id", "hidden-dup", "content_hash", "h9"), *n;

	(void)state;
	ph_write_state_init(&ws);
	n = ph_write_normalise_memories(&ws, 1, rows);
	assert_int_equal(json_array_size(n), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(n, 0), "id")),
			    "new:h9");
	json_decref(n);
	json_object_clear(ws.touched); /* the next case */
	n = ph_write_normalise_memories(&ws, 1, rows);
	assert_int_equal(json_array_size(n), 0);
	json_decref(n);
	json_decref(rows);
	ph_write_state_release(&ws);
}

static void test_crash_verdict(void **state)
{
	json_t *ok = json_pack("[{s:s, s:i, s:i, s:i, s:n}, {s:s, s:i, s:i, s:i, s:s}]", "id", "a",
			       "version", 3, "is_deleted", 0, "changes", 2, "last_life", "id", "b",
			       "version", 2, "is_deleted", 1, "changes", 1, "last_life", "deleted");
	json_t *torn = json_pack("[{s:s, s:i, s:i, s:i, s:n}]", "id", "c", "version", 3,
				 "is_deleted", 0, "changes", 1, "last_life");
	json_t *flag = json_pack("[{s:s, s:i, s:i, s:i, s:s}]", "id", "d", "version", 2,
				 "is_deleted", 0, "changes", 1, "last_life", "deleted");
	json_t *none = json_array(), *orphans = json_pack("[{s:s}]", "memory_id", "gone");
	char *msg;

	(void)state;
	assert_null(ph_write_crash_verdict(ok, none));
	msg = ph_write_crash_verdict(torn, none);
	assert_non_null(strstr(msg, "memory c is at version 3 but has 1 recorded changes"));
	free(msg);
	msg = ph_write_crash_verdict(flag, none);
	assert_non_null(strstr(msg, "memory d has is_deleted=0"));
	free(msg);
	msg = ph_write_crash_verdict(ok, orphans);
	assert_non_null(
	    strstr(msg, "1 history rows name a memory that does not exist (first: gone)"));
	free(msg);
	json_decref(ok);
	json_decref(torn);
	json_decref(flag);
	json_decref(none);
	json_decref(orphans);
}

static void test_spread(void **state)
{
	json_t *odd = json_pack("[f, f, f]", 9.0, 1.0, 3.0),
	       *even = json_pack("[i, i, i, i]", 4, 1, 2, 100);
	json_t *empty = json_array();
	double iqr;

	(void)state;

	assert_true(ph_write_spread(odd, &iqr) == 3.0);
	assert_true(iqr == 8.0); /* sorted 1 3 9: v[2] - v[0] */
	assert_true(ph_write_spread(even, &iqr) == 3.0);
	assert_true(iqr == 98.0); /* sorted 1 2 4 100: v[3] - v[1] */
	assert_true(ph_write_spread(empty, NULL) < 0);
	json_decref(odd);
	json_decref(even);
	json_decref(empty);
}

/* ---- the run hook through a fake host ---- */

/*
 * The run hook through the shared fake host and fixture (tests/support), with runtimes of
 * its own: each side generates ids in its own format ("ref-N" / "cand_N"), remembers what
 * it holds, answers remember/delete/list/recall, and serves memories rows from that
 * memory. drift makes the candidate's database content differ from what it answered.
 */
struct fake {
	struct plugin_fixture *fx; /* the shared fixture: folder and fake host */
	json_t *paths[2];	   /* what each side received: "METHOD path" */
	json_t *mem[2];	  /* id -> content */
	int next[2];
	int drift;
	int lose; /* the reference started on the candidate's workspace does not see its data */
	int restarts;
};

static struct fake F;

/* What side holds, as a list or recall answers it: {key: [{id}...]}. */
static json_t *held_ids(int side, const char *key)
{
	const char *k;
	json_t *v, *list = json_array();

	json_object_foreach(F.mem[side], k, v)
	    json_array_append_new(list, json_pack("{s:s}", "id", k));
	return json_pack("{s:o}", key, list);
}

static int f_http(struct fake_host *fh, enum ph_side side, const struct ph_request *req,
		  struct ph_response *resp)
{
	json_t *out = NULL, *body;
	char *line;
	const char *id;

	(void)fh;
	resp->latency_ms = 1;
	assert_true(asprintf(&line, "%s %s", req->method, req->path) > 0);
	json_array_append_new(F.paths[side], json_string(line));
	free(line);
	body = req->body ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
	if (!strcmp(req->method, "POST") && !strcmp(req->path, "/api/memory/remember")) {
		char nid[32];

		snprintf(nid, sizeof(nid), side ? "cand_%d" : "ref-%d", ++F.next[side]);
		json_object_set_new(F.mem[side], nid, json_copy(json_object_get(body, "content")));
		out =
		    json_pack("{s:s, s:O}", "id", nid, "content", json_object_get(body, "content"));
	} else if (!strcmp(req->method, "DELETE") && !strncmp(req->path, "/api/memory/", 12)) {
		id = req->path + 12;
		out = json_object_get(F.mem[side], id)
			  ? json_pack("{s:s, s:s}", "id", id, "status", "deleted")
			  : NULL;
		resp->status = out ? 200 : 404;
		if (!out)
			out = json_pack("{s:s}", "error", "not_found");
	} else if (!strcmp(req->method, "GET")) {
		out = held_ids(side, "memories");
	} else if (!strcmp(req->path, "/api/memory/recall")) {
		out = held_ids(side, "results");
	} else {
		out = json_pack("{s:s}", "status", "ok");
	}
	if (!resp->status)
		resp->status = 200;
	resp->body = json_dumps(out, JSON_COMPACT);
	resp->body_len = strlen(resp->body);
	json_decref(out);
	json_decref(body);
	return 0;
}

static int add_div(struct ph_result *out, const char *rule, int differ)
{
	memset(out, 0, sizeof(*out));
	out->rule = strdup(rule);
	if (differ)
		return ph_result_add(out, PH_SEMANTIC, "value", "", NULL, NULL, "differs");
	return 0;
}

/* The rules keys of the real rules file: an id in the path matches ":id". */
static int f_compare(struct ph_run *run, const char *endpoint, const struct ph_response *a,
		     const struct ph_response *b, struct ph_result *out, struct ph_err *err)
{
	char rule[64];

	(void)run;
	(void)err;
	snprintf(rule, sizeof(rule), "%.*s", (int)strcspn(endpoint, " "), endpoint);
	strcat(rule, strstr(endpoint, "remember") ? " /api/memory/remember" : " /api/memory/:id");
	return add_div(out, rule, a->status != b->status || strcmp(a->body, b->body));
}

static int f_db_query(struct ph_run *run, enum ph_side side, const char *sql, json_t **rows,
		      struct ph_err *err)
{
	const char *k;
	json_t *v;

	(void)run;
	(void)err;
	*rows = json_array();
	if (!strcmp(sql, "SELECT * FROM memories ORDER BY rowid")) {
		json_object_foreach(F.mem[side], k, v)
		{
			const char *c = json_string_value(v);

			json_array_append_new(
			    *rows, json_pack("{s:s, s:s, s:s}", "id", k, "content",
					     side && F.drift ? "drifted" : c, "content_hash", c));
		}
	} else if (strstr(sql, "FROM memory_history ORDER BY rowid")) {
		json_object_foreach(F.mem[side], k, v) json_array_append_new(
		    *rows, json_pack("{s:i, s:s, s:s, s:s}", "_rowid", 1, "id", side ? "hx" : "hy",
				     "memory_id", k, "event", "created"));
	}
	return 0;
}

static int f_restart(struct ph_run *run, enum ph_side side, const char *ws, struct ph_err *err)
{
	(void)run;
	(void)err;
	F.restarts++;
	if (ws && side == PH_REFERENCE && !F.lose) {
		/* the reference now serves the candidate's database */
		json_decref(F.mem[0]);
		F.mem[0] = json_deep_copy(F.mem[1]);
	}
	return 0;
}

static const char suite[] =
    "{\"cases\": [{\"name\": \"c1\", \"steps\": ["
    " {\"name\": \"remember\", \"method\": \"POST\", \"path\": \"/api/memory/remember\","
    "  \"body\": {\"content\": \"one\"}},"
    " {\"name\": \"delete\", \"method\": \"DELETE\", \"path\": \"/api/memory/{id:remember}\"}"
    "]}]}";

static int f_setup(struct plugin_fixture *fx)
{
	memset(&F, 0, sizeof(F));
	F.fx = fx;
	plugin_fixture_write(fx, "steps.json", suite);
	for (int i = 0; i < 2; i++) {
		F.paths[i] = json_array();
		F.mem[i] = json_object();
	}
	fx->fh.workspace[PH_REFERENCE] = "/nonexistent/ref";
	fx->fh.workspace[PH_CANDIDATE] = "/nonexistent/cand";
	fx->fh.respond = f_http;
	fx->fh.host.compare = f_compare;
	fx->fh.host.db_query = f_db_query;
	fx->fh.host.runtime_restart = f_restart;
	return 0;
}

static void f_teardown(struct plugin_fixture *fx)
{
	(void)fx;
	for (int i = 0; i < 2; i++) {
		json_decref(F.paths[i]);
		json_decref(F.mem[i]);
	}
}

static const struct plugin_fixture_spec fixture = {
    .domain = "write", .entry = ph_write_plugin, .setup = f_setup, .teardown = f_teardown};

/* The class recorded for feature (and case, when given); NULL when there is no such row. */
static const char *row_class(const char *feature, const char *case_name)
{
	json_t *r;
	size_t i;

	json_array_foreach(F.fx->fh.rows, i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "feature")), feature))
			continue;
		if (case_name && strcmp(json_string_value(json_object_get(r, "case")), case_name))
			continue;
		return json_string_value(json_object_get(r, "class"));
	}
	return NULL;
}

/* The notes (annotations) of the row of feature and case. */
static const json_t *row_notes(const char *feature, const char *case_name)
{
	json_t *r;
	size_t i;

	json_array_foreach(F.fx->fh.rows, i, r)
	{
		if (!strcmp(json_string_value(json_object_get(r, "feature")), feature) &&
		    !strcmp(json_string_value(json_object_get(r, "case")), case_name))
			return json_object_get(r, "notes");
	}
	fail_msg("no row %s [%s]", feature, case_name);
	return NULL;
}

static int run_plugin(void)
{
	struct ph_err err;

	assert_string_equal(ph_write_plugin()->name, "write");
	return plugin_fixture_run(F.fx, &err);
}

static void test_run_own_ids_per_side(void **state)
{
	(void)state;
	assert_int_equal(run_plugin(), 0);
	/* each side's delete names the id that side generated */
	assert_string_equal(json_string_value(json_array_get(F.paths[0], 1)),
			    "DELETE /api/memory/ref-1");
	assert_string_equal(json_string_value(json_array_get(F.paths[1], 1)),
			    "DELETE /api/memory/cand_1");
	/* answers and rows compare equal once ids are labels */
	assert_string_equal(row_class("POST /api/memory/remember", "c1/remember"), "parity");
	assert_string_equal(row_class("DELETE /api/memory/:id", "c1/delete"), "parity");
	assert_string_equal(row_class("db: memories", "c1"), "parity");
	assert_string_equal(row_class("db: memory_history", "c1"), "parity");
	assert_string_equal(row_class("crash consistency", "reference"), "parity");
	assert_string_equal(row_class("crash consistency", "candidate"), "parity");
	assert_string_equal(row_class("rollback: reference reads candidate writes", NULL),
			    "parity");
	/* killed and restarted once per side, then the rollback restarts */
	assert_true(F.restarts >= 4);
}

/*
 * What route coverage reads: a step's row drives the request it sent, a database row the
 * case's requests, at depth state.
 */
static void test_run_coverage_notes(void **state)
{
	const json_t *n, *routes;

	(void)state;
	assert_int_equal(run_plugin(), 0);
	n = row_notes("DELETE /api/memory/:id", "c1/delete");
	assert_string_equal(json_string_value(json_object_get(n, "route")),
			    "DELETE /api/memory/ref-1");
	assert_null(json_object_get(n, "depth"));
	for (int t = 0; t < 2; t++) {
		n = row_notes(t ? "db: memory_history" : "db: memories", "c1");
		routes = json_object_get(n, "route");
		assert_int_equal(json_array_size(routes), 2);
		assert_string_equal(json_string_value(json_array_get(routes, 0)),
				    "POST /api/memory/remember");
		assert_string_equal(json_string_value(json_array_get(routes, 1)),
				    "DELETE /api/memory/ref-1");
		assert_string_equal(json_string_value(json_object_get(n, "depth")), "state");
	}
}

static void test_run_db_drift_is_semantic(void **state)
{
	(void)state;
	F.drift = 1;
	assert_int_equal(run_plugin(), 0);
	assert_string_equal(row_class("POST /api/memory/remember", "c1/remember"), "parity");
	assert_string_equal(row_class("db: memories", "c1"), "semantic");
	assert_string_equal(row_class("db: memory_history", "c1"), "parity");
}

static void test_run_rollback_loss_is_semantic(void **state)
{
	(void)state;
	F.lose = 1;
	assert_int_equal(run_plugin(), 0);
	assert_string_equal(row_class("rollback: reference reads candidate writes", NULL),
			    "semantic");
	assert_string_equal(row_class("db: memories", "c1"), "parity");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_substitute),
	    cmocka_unit_test(test_rewrite_ids),
	    cmocka_unit_test(test_normalise_pairs_generated_ids),
	    cmocka_unit_test(test_normalise_history_by_event),
	    cmocka_unit_test(test_normalise_new_rows_once),
	    cmocka_unit_test(test_crash_verdict),
	    cmocka_unit_test(test_spread),
	    cmocka_unit_test(test_run_own_ids_per_side),
	    cmocka_unit_test(test_run_coverage_notes),
	    cmocka_unit_test(test_run_db_drift_is_semantic),
	    cmocka_unit_test(test_run_rollback_loss_is_semantic),
	};

	return plugin_fixture_run_tests(&fixture, tests);
}
