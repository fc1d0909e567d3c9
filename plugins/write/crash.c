/*
 * Crash consistency, one of the spec's success metrics: a batch of memories written, then a
 * burst of modifies, deletes and recovers sent without waiting, SIGKILL while the runtime
 * is still working, a restart, and every memory of the batch must be complete with its
 * history (its version one more than its recorded changes, its deleted flag its last
 * lifecycle event) or absent. One row per runtime: it is each runtime's own guarantee,
 * not a comparison of the two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"

#define CRASH_MEMORIES 10
#define CRASH_BURST 20
#define CRASH_PATCHES 60

/*
 * Check the crash batch of side: every memory's version equals 1 plus its recorded
 * changes, its deleted flag matches its last delete/recover event, and no history row
 * names a memory that is absent. Returns a message (caller frees) or NULL when complete.
 */
char *ph_write_crash_verdict(const json_t *memories, const json_t *orphans)
{
	json_t *m;
	size_t i;

	json_array_foreach(memories, i, m)
	{
		json_int_t version = json_integer_value(json_object_get(m, "version"));
		json_int_t changes = json_integer_value(json_object_get(m, "changes"));
		json_int_t deleted = json_integer_value(json_object_get(m, "is_deleted"));
		const char *last = json_string_value(json_object_get(m, "last_life"));
		const char *id = json_string_value(json_object_get(m, "id"));

		if (version != 1 + changes)
			return ph_write_dupf("memory %s is at version %lld but has %lld recorded "
					     "changes",
					     id ? id : "?", (long long)version, (long long)changes);
		if ((deleted != 0) != (last && !strcmp(last, "deleted")))
			return ph_write_dupf("memory %s has is_deleted=%lld but its last lifecycle "
					     "event is %s",
					     id ? id : "?", (long long)deleted,
					     last ? last : "none");
	}
	if (json_array_size(orphans)) {
		const json_t *first = json_array_get(orphans, 0);

		return ph_write_dupf("%zu history rows name a memory that does not exist (first: "
				     "%s)",
				     json_array_size(orphans),
				     json_string_value(json_object_get(first, "memory_id")));
	}
	return NULL;
}

/* The row of side's check; why is the message (a divergence's, or an error's). */
static int crash_row(const struct ph_host *host, struct ph_run *run, int side,
		     const char *reference, enum ph_class cls, const char *kind, const char *why)
{
	return ph_write_check_row(host, run, "crash consistency", ph_write_sides[side], reference,
				  cls, kind, why);
}

/*
 * The burst: modify batches of CRASH_PATCHES patches (a few milliseconds of work each),
 * with a delete and a recover every few batches, each sent without waiting for the
 * answer, so the SIGKILL that follows finds the runtime still working. The two real
 * daemons read a batch item differently: TS 0.145.7 takes its fields flat on the item
 * (and ignores a "patch" key), the Rust daemon nested under "patch" (ignoring the flat
 * ones; a flat-only item is a 422). Each item carries the same content both ways, so both
 * apply it once. Single PATCH requests (a shape both accept) would not do: the Rust daemon
 * applies one faster than the next arrives, so the kill would find it idle, with no write
 * in flight.
 */
static void burst(const struct ph_host *host, struct ph_run *run, int side, char *const *ids)
{
	const char *who = ph_write_sides[side];
	char *body, *path;

	for (int i = 0; i < CRASH_BURST; i++) {
		json_t *patches = json_array(), *doc;
		int k = (i / 5) % CRASH_MEMORIES;

		for (int j = 0; j < CRASH_PATCHES; j++) {
			char *content = ph_write_dupf("crash batch %s %d: burst %d patch %d", who,
						      j % CRASH_MEMORIES, i, j);

			json_array_append_new(patches,
					      json_pack("{s:s, s:s?, s:{s:s?}}", "id",
							ids[j % CRASH_MEMORIES], "content", content,
							"patch", "content", content));
			free(content);
		}
		doc = json_pack("{s:o, s:s}", "patches", patches, "reason", "crash burst");
		body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (body)
			ph_write_fire(host, run, side, "POST", "/api/memory/modify", body);
		free(body);
		if (i % 5 != 4)
			continue;
		if ((path = ph_write_dupf("/api/memory/%s?reason=crash%%20burst", ids[k])))
			ph_write_fire(host, run, side, "DELETE", path, NULL);
		free(path);
		if ((path = ph_write_dupf("/api/memory/%s/recover", ids[k])))
			ph_write_fire(host, run, side, "POST", path,
				      "{\"reason\":\"crash burst\"}");
		free(path);
	}
}

/* Read what side's batch left after the restart and record the verdict. */
static int judge(const struct ph_host *host, struct ph_run *run, int side)
{
	const char *who = ph_write_sides[side];
	char *sql_m, *sql_o, *why = NULL, summary[96];
	json_t *mem = NULL, *orph = NULL, *m;
	json_int_t changes = 0;
	struct ph_err e;
	size_t n;
	int rc;

	sql_m = ph_write_dupf("SELECT m.id, m.version, m.is_deleted,"
			      " (SELECT count(*) FROM memory_history h WHERE h.memory_id = m.id AND"
			      "  h.event IN ('updated', 'deleted', 'recovered')) AS changes,"
			      " (SELECT h.event FROM memory_history h WHERE h.memory_id = m.id AND"
			      "  h.event IN ('deleted', 'recovered') ORDER BY h.rowid DESC LIMIT 1)"
			      "  AS last_life"
			      " FROM memories m WHERE m.content LIKE 'crash batch %s %%'",
			      who);
	sql_o = ph_write_dupf("SELECT h.memory_id FROM memory_history h WHERE (h.new_content LIKE"
			      " 'crash batch %s %%' OR h.old_content LIKE 'crash batch %s %%') AND"
			      " NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = h.memory_id)",
			      who, who);
	ph_err_clear(&e);
	if (!sql_m || !sql_o || host->db_query(run, (enum ph_side)side, sql_m, &mem, &e) ||
	    host->db_query(run, (enum ph_side)side, sql_o, &orph, &e)) {
		why = ph_write_dupf("cannot read the %s database after the crash: %s", who, e.msg);
		rc = crash_row(host, run, side, "unreadable", PH_ERROR, "crash", why ? why : "db");
		goto out;
	}
	/*
	 * The count shows the burst reached the runtime (0 would prove nothing); it varies
	 * from run to run, so it goes to the log, and the row stays diffable.
	 */
	json_array_foreach(mem, n, m)
		changes += json_integer_value(json_object_get(m, "changes"));
	host->log(run, PH_LOG_INFO,
		  "crash consistency: %s: %lld changes recorded before the SIGKILL", who,
		  (long long)changes);
	why = ph_write_crash_verdict(mem, orph);
	snprintf(summary, sizeof(summary), "%zu memories after SIGKILL, %s", json_array_size(mem),
		 why ? "incomplete" : "all complete");
	rc = crash_row(host, run, side, summary, why ? PH_STRUCTURAL : PH_PARITY, "partial-write",
		       why);
out:
	free(sql_m);
	free(sql_o);
	free(why);
	json_decref(mem);
	json_decref(orph);
	return rc;
}

int ph_write_crash_check(const struct ph_host *host, struct ph_run *run, int side)
{
	char *ids[CRASH_MEMORIES] = {0}, *body, *why = NULL;
	struct ph_err e;
	int made = 0, i, rc;

	for (i = 0; i < CRASH_MEMORIES; i++) {
		body = ph_write_dupf("{\"content\":\"crash batch %s %d: a memory written before "
				     "the kill\",\"who\":\"parity\"}",
				     ph_write_sides[side], i);
		ids[i] = body ? ph_write_post_id(host, run, side, "/api/memory/remember", body)
			      : NULL;
		made += ids[i] != NULL;
		free(body);
	}
	if (made < CRASH_MEMORIES) {
		why = ph_write_dupf("only %d of %d remembers answered with an id before the crash",
				    made, CRASH_MEMORIES);
		rc = crash_row(host, run, side, "not run", PH_ERROR, "crash",
			       why ? why : "remember failed");
		goto out;
	}
	burst(host, run, side, ids);
	ph_err_clear(&e);
	host->runtime_stop(run, (enum ph_side)side, 1, &e);
	ph_err_clear(&e);
	if (host->runtime_restart(run, (enum ph_side)side, NULL, &e)) {
		why = ph_write_dupf("the %s did not start again after SIGKILL: %s",
				    ph_write_sides[side], e.msg);
		rc = crash_row(host, run, side, "restart failed", PH_STRUCTURAL, "restart",
			       why ? why : "restart");
		goto out;
	}
	rc = judge(host, run, side);
out:
	for (i = 0; i < CRASH_MEMORIES; i++)
		free(ids[i]);
	free(why);
	return rc;
}
