/*
 * What a side of the pipeline domain looks like: the marks taken before a scenario (the
 * last memory and history rowids, the jobs already there, the canned-LLM log's length),
 * the wait until neither runtime has a job left to run, and what a side left after it
 * settled (its new jobs, history, memories and LLM requests, generated ids as labels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "normalize.h"
#include "parity/clock.h"
#include "parity/jsonio.h"
#include "parts.h"

int ph_pipeline_query_int(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			  const char *sql, json_int_t *out, struct ph_err *err)
{
	json_t *rows, *row;
	const char *k;
	json_t *v;
	int rc = host->db_query(run, side, sql, &rows, err);

	*out = 0;
	if (rc)
		return rc;
	row = json_array_get(rows, 0);
	json_object_foreach(row, k, v)
	{
		*out = json_integer_value(v);
		break;
	}
	json_decref(rows);
	return 0;
}

static long file_size(const char *path)
{
	struct stat sb;

	return path && stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

int ph_pipeline_snap(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     struct snap *s, struct ph_err *err)
{
	json_t *rows, *r;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = ph_pipeline_query_int(host, run, side,
					"SELECT coalesce(max(rowid), 0) FROM memories", &s->mem_seq,
					err)) ||
	    (rc = ph_pipeline_query_int(host, run, side,
					"SELECT coalesce(max(rowid), 0) FROM memory_history",
					&s->hist_seq, err)) ||
	    (rc = host->db_query(run, side, "SELECT id FROM memory_jobs", &rows, err)))
		return rc;
	s->jobs = json_object();
	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));

		if (id)
			json_object_set_new(s->jobs, id, json_true());
	}
	json_decref(rows);
	s->log_off = file_size(host->llm_log(run, side));
	return 0;
}

/* Jobs a worker may still run: leased, or pending with attempts left. */
static const char settle_sql[] = "SELECT count(*) FROM memory_jobs WHERE status = 'leased'"
				 " OR (status = 'pending' AND attempts < max_attempts)";

int ph_pipeline_settle(const struct ph_host *host, struct ph_run *run, long timeout_ms,
		       json_int_t left[2], struct ph_err *err)
{
	double deadline = ph_now_ms() + (double)timeout_ms;
	int rc;

	for (;;) {
		for (int s = 0; s < 2; s++)
			if ((rc = ph_pipeline_query_int(host, run, (enum ph_side)s, settle_sql,
							&left[s], err)))
				return rc;
		if ((!left[0] && !left[1]) || ph_now_ms() >= deadline)
			break;
		ph_sleep_ms(SETTLE_POLL_MS);
	}
	ph_sleep_ms(SETTLE_GRACE_MS);
	return 0;
}

static const char *const json_columns[] = {"result", "metadata", NULL};

int ph_pipeline_collect(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			const char *scenario, const struct snap *before, const char *known,
			const json_t *labels, struct state *st, struct ph_err *err)
{
	char sql[1024];
	json_t *rows, *r, *map;
	const char *log;
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = host->db_query(run, side,
				 "SELECT id, memory_id, job_type, status, attempts, max_attempts,"
				 " result, error, leased_at IS NOT NULL AS leased,"
				 " completed_at IS NOT NULL AS completed,"
				 " failed_at IS NOT NULL AS failed FROM memory_jobs ORDER BY id",
				 &rows, err)))
		return rc;
	st->jobs = json_array();
	json_array_foreach(rows, i, r)
	{
		if (!json_object_get(before->jobs, json_string_value(json_object_get(r, "id"))))
			json_array_append(st->jobs, r);
	}
	json_decref(rows);
	snprintf(sql, sizeof(sql),
		 "SELECT rowid AS seq, memory_id, event, old_content, new_content, changed_by,"
		 " actor_type, reason, metadata FROM memory_history WHERE rowid > %lld"
		 " ORDER BY rowid",
		 (long long)before->hist_seq);
	if ((rc = host->db_query(run, side, sql, &st->history, err)))
		return rc;
	snprintf(sql, sizeof(sql),
		 "SELECT rowid AS seq, id, content, type, importance, confidence, pinned, who,"
		 " source_id, source_type, is_deleted, extraction_status FROM memories"
		 " WHERE rowid > %lld OR id IN"
		 " (SELECT memory_id FROM memory_history WHERE rowid > %lld) ORDER BY rowid",
		 (long long)before->mem_seq, (long long)before->hist_seq);
	if ((rc = host->db_query(run, side, sql, &st->memories, err)))
		return rc;
	ph_pipeline_parse_fields(st->jobs, json_columns);
	ph_pipeline_parse_fields(st->history, json_columns);

	log = host->llm_log(run, side);
	if (!log) {
		st->egress_error = "the run has no canned-LLM request log for this runtime";
	} else {
		char *text = NULL;
		size_t len = 0;
		struct ph_err ferr;

		if (ph_file_read(log, 0, &text, &len, &ferr)) {
			st->egress_error = "the canned-LLM request log cannot be read";
		} else {
			size_t off = (size_t)before->log_off <= len ? (size_t)before->log_off : len;

			st->egress =
			    ph_pipeline_egress_parse(text + off, len - off, &st->malformed);
			for (const char *p = text + off; p < text + len; p++)
				st->requests += *p == '\n';
		}
		free(text);
	}

	/* generated ids -> labels everywhere, then drop the row order columns */
	map = ph_pipeline_idmap_build(st->memories, before->mem_seq, known);
	if (map && labels)
		json_object_update(map, (json_t *)labels);
	/*
	 * Later scenarios see these memories as old ones (candidates in their decision
	 * prompts): the host compares their ids under the label they got here.
	 */
	if (map && PH_HOST_HAS(host, canon_add)) {
		const char *id;
		json_t *label;

		json_object_foreach(map, id, label)
		{
			char name[300];
			struct ph_err e;

			if (!json_is_string(label) || !strcmp(json_string_value(label), id))
				continue;
			snprintf(name, sizeof(name), "{memory:%s/%s}", scenario,
				 json_string_value(label));
			host->canon_add(run, side, id, name, &e);
		}
	}
	ph_pipeline_remap(&st->history, map);
	ph_pipeline_remap(&st->memories, map);
	ph_pipeline_remap(&st->jobs, map);
	if (st->egress)
		ph_pipeline_remap(&st->egress, map);
	json_decref(map);
	json_array_foreach(st->history, i, r) json_object_del(r, "seq");
	json_array_foreach(st->memories, i, r) json_object_del(r, "seq");
	return 0;
}

void ph_pipeline_state_release(struct state *st)
{
	json_decref(st->jobs);
	json_decref(st->history);
	json_decref(st->memories);
	json_decref(st->egress);
	memset(st, 0, sizeof(*st));
}
