/*
 * Unit tests of the live shadow proxy's parts (core/src/proxy): the bounded queue (never
 * waits on push, refuses when full or closed, counts what it refused, pops in order and
 * drains after close), the parity-shadow/1 entry builder (no values, messages or query
 * strings; error entries; state divergences; nothing for parity), the log file's
 * rotation, and which requests are replayed to a shadow without its own data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "compare/compare.h"
#include "parity/clock.h"
#include "proxy/entry.h"
#include "proxy/ids.h"
#include "proxy/latency.h"
#include "proxy/same.h"
#include "proxy/logfile.h"
#include "proxy/proxy.h"
#include "proxy/queue.h"

static void queue_bounded(void **state)
{
	struct ph_queue q;
	int items[4];
	double t0;

	(void)state;
	assert_int_equal(ph_queue_init(&q, 3), 0);
	assert_int_equal(ph_queue_try_push(&q, &items[0]), 0);
	assert_int_equal(ph_queue_try_push(&q, &items[1]), 0);
	assert_int_equal(ph_queue_try_push(&q, &items[2]), 0);
	t0 = ph_now_ms();
	assert_int_equal(ph_queue_try_push(&q, &items[3]), -1); /* full: refused at once */
	assert_true(ph_now_ms() - t0 < 50);
	assert_int_equal(ph_queue_dropped(&q), 1);
	assert_ptr_equal(ph_queue_pop(&q, 0), &items[0]);
	assert_int_equal(ph_queue_try_push(&q, &items[3]), 0); /* the ring wraps */
	assert_ptr_equal(ph_queue_pop(&q, 0), &items[1]);
	assert_ptr_equal(ph_queue_pop(&q, 0), &items[2]);
	assert_ptr_equal(ph_queue_pop(&q, 0), &items[3]);
	t0 = ph_now_ms();
	assert_null(ph_queue_pop(&q, 30)); /* empty: waits its timeout, no more */
	assert_true(ph_now_ms() - t0 >= 25);
	assert_int_equal(ph_queue_try_push(&q, &items[0]), 0);
	ph_queue_close(&q);
	assert_int_equal(ph_queue_try_push(&q, &items[1]), -1); /* closed */
	assert_int_equal(ph_queue_dropped(&q), 2);
	assert_ptr_equal(ph_queue_pop(&q, -1), &items[0]); /* still drains after close */
	assert_null(ph_queue_pop(&q, -1));		    /* closed and empty: no wait */
	ph_queue_release(&q);
	assert_int_not_equal(ph_queue_init(&q, 0), 0);
}

/* A result with divergences carrying values and messages the entry must not show. */
static void result_with(struct ph_result *res, int n, const enum ph_class *cls,
			const char *const *paths)
{
	int i;

	memset(res, 0, sizeof(*res));
	res->rule = strdup("GET /api/memory/:id");
	res->items = calloc((size_t)n, sizeof(*res->items));
	res->count = (size_t)n;
	res->verdict = PH_PARITY;
	for (i = 0; i < n; i++) {
		res->items[i].cls = cls[i];
		res->items[i].kind = "value";
		res->items[i].path = strdup(paths[i]);
		res->items[i].a = json_string("SECRET-A");
		res->items[i].b = json_string("SECRET-B");
		res->items[i].message = strdup("SECRET-MESSAGE");
		if (cls[i] > res->verdict)
			res->verdict = cls[i];
	}
}

static struct ph_shadow_exchange exchange(void)
{
	struct ph_shadow_exchange x = { 0 };

	x.ts = "2026-12-07T13:00:00.123Z";
	x.request_id = "ps-1a2b-000042";
	x.method = "GET";
	x.path = "/api/memory/mem-1?token=SECRET-QUERY#frag";
	x.rule = "GET /api/memory/:id";
	x.domain = "read";
	x.status_primary = 200;
	x.status_shadow = 200;
	x.latency_primary = 3.1;
	x.latency_shadow = 1.2;
	return x;
}

static void entry_no_values(void **state)
{
	static const enum ph_class cls[] = { PH_SEMANTIC, PH_STRUCTURAL, PH_SEMANTIC };
	static const char *const paths[] = { "a.b", "c", "a.b" };
	struct ph_shadow_exchange x = exchange();
	struct ph_result res;
	json_t *e;
	char *s;

	(void)state;
	result_with(&res, 3, cls, paths);
	e = ph_shadow_entry_new(&x, &res, NULL);
	assert_non_null(e);
	s = json_dumps(e, JSON_COMPACT);
	assert_null(strstr(s, "SECRET"));
	assert_null(strstr(s, "?"));
	assert_string_equal(json_string_value(json_object_get(e, "format")), "parity-shadow/1");
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/api/memory/mem-1");
	assert_string_equal(json_string_value(json_object_get(e, "endpoint")),
			    "GET /api/memory/mem-1");
	assert_string_equal(json_string_value(json_object_get(e, "class")), "structural");
	assert_string_equal(json_string_value(json_object_get(e, "domain")), "read");
	assert_int_equal(json_array_size(json_object_get(e, "paths")), 2); /* distinct */
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "paths"), 1)),
			    "c");
	assert_int_equal(json_array_size(json_object_get(e, "divergences")), 3);
	assert_int_equal(json_object_size(json_array_get(json_object_get(e, "divergences"), 0)),
			 3);
	assert_null(json_object_get(e, "error"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "status"),
							    "shadow")),
			 200);
	free(s);
	json_decref(e);
	ph_result_release(&res);
}

static void entry_parity_is_nothing(void **state)
{
	struct ph_shadow_exchange x = exchange();
	struct ph_result res;

	(void)state;
	result_with(&res, 0, NULL, NULL);
	assert_null(ph_shadow_entry_new(&x, &res, NULL));
	assert_null(ph_shadow_entry_new(&x, NULL, NULL));
	ph_result_release(&res);
}

static void entry_error_and_state(void **state)
{
	static const enum ph_class cls[] = { PH_SEMANTIC };
	static const char *const paths[] = { "db.memories.content" };
	struct ph_shadow_exchange x = exchange();
	struct ph_result st;
	json_t *e, *d;

	(void)state;
	x.error = "timeout";
	x.status_shadow = 0;
	x.latency_shadow = -1;
	e = ph_shadow_entry_new(&x, NULL, NULL);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "class")), "error");
	assert_string_equal(json_string_value(json_object_get(e, "error")), "timeout");
	assert_true(json_is_null(json_object_get(json_object_get(e, "latency_ms"), "shadow")));
	d = json_array_get(json_object_get(e, "divergences"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "shadow-failed");
	assert_string_equal(json_string_value(json_object_get(d, "path")), "");
	json_decref(e);

	x = exchange();
	result_with(&st, 1, cls, paths);
	e = ph_shadow_entry_new(&x, NULL, &st);
	assert_non_null(e);
	d = json_array_get(json_object_get(e, "divergences"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "state");
	assert_string_equal(json_string_value(json_object_get(d, "path")), "db.memories.content");
	assert_string_equal(json_string_value(json_object_get(e, "class")), "semantic");
	json_decref(e);
	ph_result_release(&st);
}

static void logfile_rotates(void **state)
{
	char dir[] = "/tmp/parity-proxy-XXXXXX", path[128], old[140];
	struct ph_logfile lf;
	struct ph_err err = { 0, "" };
	json_t *line = json_pack("{s:s}", "k", "0123456789012345678901234567890123456789");
	FILE *f;
	int i, n = 0;
	char buf[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(ph_logfile_open(&lf, path, 200, &err), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(ph_logfile_write(&lf, line), 0);
	assert_true(lf.rotations > 0);
	ph_logfile_close(&lf);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(buf, sizeof(buf), f))
		n++;
	fclose(f);
	assert_true(n >= 1 && n <= 4); /* at most 200 bytes of 51-byte lines */
	assert_int_equal(access(old, F_OK), 0);
	unlink(path);
	unlink(old);
	rmdir(dir);
	json_decref(line);
}

static void replay_safe(void **state)
{
	(void)state;
	assert_true(ph_proxy_replay_safe("GET", "/api/memories?x=1"));
	assert_true(ph_proxy_replay_safe("HEAD", "/health"));
	assert_true(ph_proxy_replay_safe("POST", "/api/memory/recall"));
	assert_true(ph_proxy_replay_safe("POST", "/api/memory/search?q=1"));
	assert_false(ph_proxy_replay_safe("POST", "/api/memory/remember"));
	assert_false(ph_proxy_replay_safe("POST", "/api/memory/recall/x"));
	assert_false(ph_proxy_replay_safe("DELETE", "/api/memory/mem-1"));
	assert_false(ph_proxy_replay_safe("PATCH", "/api/memory/mem-1"));
}

/* Generated ids paired: requests to the shadow name its own, its answers the primary's. */
static void ids_paired_both_ways(void **state)
{
	struct ph_id_map *m = ph_id_map_new(2);
	const char *body;
	char *out;
	size_t len;

	(void)state;
	assert_non_null(m);
	assert_null(ph_id_map_uri_to_shadow(m, "/api/memory/p-1")); /* nothing paired yet */
	ph_id_map_add(m, "p-1", "s-1");
	ph_id_map_add(m, "same", "same"); /* equal ids need no pairing */
	assert_int_equal(ph_id_map_size(m), 1);
	out = ph_id_map_uri_to_shadow(m, "/api/memory/p-1/history?q=p-1");
	assert_string_equal(out, "/api/memory/s-1/history?q=p-1"); /* the query is left */
	free(out);
	assert_null(ph_id_map_uri_to_shadow(m, "/api/memory/p-10"));
	body = "{\"ids\": [\"p-1\", \"x\"], \"n\": 1}";
	assert_int_equal(ph_id_map_body(m, 1, body, strlen(body), &out, &len), 1);
	assert_string_equal(out, "{\"ids\":[\"s-1\",\"x\"],\"n\":1}");
	assert_int_equal(len, strlen(out));
	free(out);
	body = "{\"id\": \"s-1\"}";
	assert_int_equal(ph_id_map_body(m, 0, body, strlen(body), &out, &len), 1);
	assert_string_equal(out, "{\"id\":\"p-1\"}");
	free(out);
	assert_int_equal(ph_id_map_body(m, 0, "not json", 8, &out, &len), 0);
	body = "{\"id\": \"p-1\"}"; /* a primary id is not the shadow's */
	assert_int_equal(ph_id_map_body(m, 0, body, strlen(body), &out, &len), 0);
	/* past the capacity the oldest pair is forgotten, both ways */
	ph_id_map_add(m, "p-2", "s-2");
	ph_id_map_add(m, "p-3", "s-3");
	assert_int_equal(ph_id_map_size(m), 2);
	assert_null(ph_id_map_uri_to_shadow(m, "/api/memory/p-1"));
	assert_int_equal(ph_id_map_body(m, 0, "\"s-1\"", 5, &out, &len), 0);
	out = ph_id_map_uri_to_shadow(m, "/p-3");
	assert_string_equal(out, "/s-3");
	free(out);
	ph_id_map_free(m);
}

/* One slow answer is not timing; a side slower over a window of exchanges is. */
static void latency_judged_over_windows(void **state)
{
	struct ph_timing t = PH_TIMING_DEFAULT;
	struct ph_latency_windows *w = ph_latency_windows_new(&t, 0.01);
	struct ph_latency_verdict v;
	int i, found = 0, at = -1;

	(void)state;
	assert_non_null(w);
	/* alike, with one outlier on the shadow: never */
	for (i = 0; i < 3 * LATENCY_EVERY; i++)
		found |= ph_latency_add(w, "GET /a", 10.0 + (i % 5), i == 7 ? 500.0 : 10.0 + (i % 3),
					&v);
	assert_false(found);
	/* the shadow 8x slower every time: found at the first judgement */
	for (i = 0; i < 2 * LATENCY_EVERY && at < 0; i++)
		if (ph_latency_add(w, "GET /b", 10.0 + (i % 4), 80.0 + (i % 4), &v))
			at = i;
	assert_int_equal(at, LATENCY_EVERY - 1);
	assert_true(v.median_shadow > v.median_primary * 2 && v.p < 0.01);
	assert_int_equal(v.n, LATENCY_EVERY);
	/* under the floor (5 ms) nothing counts, however large the ratio */
	for (i = 0; i < 2 * LATENCY_EVERY; i++)
		assert_false(ph_latency_add(w, "GET /c", 0.2, 2.0, &v));
	ph_latency_windows_free(w);
}

/*
 * The instances' own values get one name on both sides: ports as numbers (and in an
 * address), folders inside strings, pids; digits inside other values are left.
 */
static void same_values_said_by_one_name(void **state)
{
	struct ph_same m;
	const char *primary = "{\"port\": 3850, \"id\": \"mem-38612\", \"n\": 3850,"
			      " \"url\": \"http://127.0.0.1:3850/x\", \"dir\": \"/srv/a/agents\","
			      " \"pid\": 111}";
	const char *shadow = "{\"port\": 3861, \"id\": \"mem-38612\", \"n\": 3861,"
			     " \"url\": \"http://127.0.0.1:3861/x\", \"dir\": \"/srv/b/agents\","
			     " \"pid\": 222}";
	char *a, *b;
	size_t la, lb;

	(void)state;
	assert_int_equal(ph_same_init(&m), 0);
	assert_int_equal(ph_same_body(&m, 1, shadow, strlen(shadow), &b, &lb), 0); /* none yet */
	assert_int_equal(ph_same_add_ports(&m, "http://127.0.0.1:3850", "http://127.0.0.1:3861"),
			 0);
	assert_int_equal(ph_same_add_spec(&m, "/srv/a=/srv/b"), 0);
	assert_int_equal(ph_same_add_spec(&m, "111=222"), 0);
	assert_int_equal(ph_same_add_spec(&m, "no-equals"), -1);
	assert_int_equal(ph_same_add_spec(&m, "=x"), -1);
	assert_int_equal(ph_same_add_spec(&m, "ab=cd"), -1); /* too short: would match anywhere */
	assert_int_equal(ph_same_body(&m, 0, primary, strlen(primary), &a, &la), 1);
	assert_int_equal(ph_same_body(&m, 1, shadow, strlen(shadow), &b, &lb), 1);
	assert_string_equal(a, b);
	assert_int_equal(la, lb);
	assert_non_null(strstr(b, "\"mem-38612\""));
	assert_null(strstr(b, ":3861")); /* neither the number nor the address */
	assert_non_null(strstr(b, "\"port\":\"{port}\""));
	assert_null(strstr(b, "/srv/b"));
	assert_null(strstr(b, "222"));
	free(a);
	free(b);
	assert_int_equal(ph_same_body(&m, 1, "{\"a\": 1}", 8, &b, &lb), 0);
	assert_int_equal(ph_same_body(&m, 1, "not json", 8, &b, &lb), 0);
	ph_same_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queue_bounded),
		cmocka_unit_test(ids_paired_both_ways),
		cmocka_unit_test(latency_judged_over_windows),
		cmocka_unit_test(same_values_said_by_one_name),
		cmocka_unit_test(entry_no_values),
		cmocka_unit_test(entry_parity_is_nothing),
		cmocka_unit_test(entry_error_and_state),
		cmocka_unit_test(logfile_rotates),
		cmocka_unit_test(replay_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
