/*
 * The pipeline domain: the LLM extraction workers of both runtimes on canned LLM answers.
 * suites/pipeline holds three kinds of cases. A case with "method" is an HTTP request
 * compared as in the read domain (the effective pipeline configuration each runtime
 * reports). A case with "seed" is an extraction scenario whose work is seeded: the seed
 * SQL (memories and pending `extract` jobs, since the Rust daemon never queues jobs
 * itself, CONTRACT.md §4.2) is written into both running runtimes' databases. A case with
 * "remember" (an array of remember bodies) is an extraction scenario whose work a
 * runtime queues itself: each body is POSTed to /api/memory/remember on both runtimes,
 * in order and a few milliseconds apart (so their jobs' created_at, and the order the
 * workers take them in, follow the bodies), the memory id each answers is labelled
 * remember-<n> (the first body that answered it), and then
 *   - "pipeline remember jobs" (PIPELINE /remember-jobs): which label each body was
 *     answered with (a deduplicated remember answers an earlier one) and the jobs the
 *     remembers queued ({memory_id, job_type, max_attempts}, in queue order), read at
 *     once, before the workers' progress matters. TS queues one `extract` job per new
 *     memory when memory.pipelineV2.enabled, Rust none. When this row differs, each side
 *     is then given the jobs the other queued and it did not (matched by memory label
 *     and job type): a pending memory_jobs row for its memory of that label, as
 *     seed-extract.sql seeds jobs, logged and noted in the jobs row as seeded by the
 *     harness. The rest of the scenario then compares the extraction itself, not who
 *     queued it (that is this row's finding).
 * Both scenario kinds then wait, bounded, until neither runtime has a job left to run,
 * and compare (matrix feature, then its rule key in the run's rules file):
 *   - "pipeline egress" (PIPELINE /egress): the distinct requests each runtime sent to
 *     the canned LLM;
 *   - "pipeline jobs" (PIPELINE /jobs): the scenario's memory_jobs rows (status,
 *     attempts, result, error);
 *   - "pipeline decisions" (PIPELINE /decisions, PIPELINE /memories): one row per
 *     decision kind (add, update, delete, none) of the memory_history events the workers
 *     wrote, and one of the memories involved; the spec's acceptance check "pipeline
 *     extraction on canned LLM responses produces identical decisions".
 * Memory ids a runtime generates are replaced by stable labels (normalize.c) first, and
 * the ids of jobs a remember queued by "<memory label>/<job type>".
 * When the candidate leaves jobs unprocessed, only the jobs are compared (the rest would
 * repeat that one cause); when the reference does, the scenario cannot be evaluated, and
 * each of its rows is recorded as an error that says why (no row is dropped silently).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "backfill.h"
#include "normalize.h"
#include "parity/jsonio.h"
#include "parity/plugin.h"
#include "parity/suite.h"

#define SETTLE_DEFAULT_MS 15000
#define SETTLE_POLL_MS 100
#define SETTLE_GRACE_MS 300 /* let the canned-LLM log catch up with the last answer */

#define F_EGRESS "pipeline egress"
#define F_JOBS "pipeline jobs"
#define F_DECISIONS "pipeline decisions"
#define F_REMEMBER_JOBS "pipeline remember jobs"

/* Their rules in the run's rules file: pseudo-endpoints, as rule keys must be "METHOD /path". */
#define R_EGRESS "PIPELINE /egress"
#define R_JOBS "PIPELINE /jobs"
#define R_DECISIONS "PIPELINE /decisions"
#define R_MEMORIES "PIPELINE /memories"
#define R_REMEMBER_JOBS "PIPELINE /remember-jobs"

#define REMEMBER_MAX 100  /* bodies in one "remember" case */
#define REMEMBER_GAP_MS 3 /* between two bodies: distinct created_at (milliseconds) */

static const char *const sides[] = {"reference", "candidate"};

/* What a side looked like before a scenario's seed. */
struct snap {
	json_int_t mem_seq, hist_seq;
	json_t *jobs; /* object: job id -> true */
	long log_off;
};

/* What a side looks like after it settled. */
struct state {
	json_t *jobs, *history, *memories, *egress;
	size_t requests;  /* egress lines, duplicates included */
	size_t malformed; /* log lines that could not be read */
	const char *egress_error;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The first column of the first row of a query, as an integer. */
static int query_int(const struct ph_host *host, struct ph_run *run, enum ph_side side,
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

static int take_snap(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     struct snap *s, struct ph_err *err)
{
	json_t *rows, *r;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = query_int(host, run, side, "SELECT coalesce(max(rowid), 0) FROM memories",
			    &s->mem_seq, err)) ||
	    (rc = query_int(host, run, side,
			    "SELECT coalesce(max(rowid), 0) FROM memory_history", &s->hist_seq,
			    err)) ||
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

/* Write the seed into a side's running database, in one transaction. */
static int seed_side(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     const char *sql, struct ph_err *err)
{
	const char *ws = host->workspace(run, side);
	char path[4096], *msg = NULL;
	sqlite3 *db = NULL;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/memory/memories.db", ws);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "%s: seeding %s: %s", sides[side], path,
			      msg ? msg : sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

/* Jobs a worker may still run: leased, or pending with attempts left. */
static const char settle_sql[] =
	"SELECT count(*) FROM memory_jobs WHERE status = 'leased'"
	" OR (status = 'pending' AND attempts < max_attempts)";

/*
 * Wait until neither side has a job left to run, or timeout_ms passed. left[] gets how
 * many each side still has (0: settled).
 */
static int settle(const struct ph_host *host, struct ph_run *run, long timeout_ms,
		  json_int_t left[2], struct ph_err *err)
{
	double deadline = now_ms() + (double)timeout_ms;
	int rc;

	for (;;) {
		for (int s = 0; s < 2; s++)
			if ((rc = query_int(host, run, (enum ph_side)s, settle_sql, &left[s], err)))
				return rc;
		if ((!left[0] && !left[1]) || now_ms() >= deadline)
			break;
		sleep_ms(SETTLE_POLL_MS);
	}
	sleep_ms(SETTLE_GRACE_MS);
	return 0;
}

static const char *const json_columns[] = {"result", "metadata", NULL};

/*
 * What a side left after it settled. Memories created since before whose id appears quoted
 * in known ('id': the seed SQL, or the remembered ids) keep their id or get their label
 * from labels (id -> label, may be NULL); other new memories are labelled new-N.
 */
static int collect(const struct ph_host *host, struct ph_run *run, enum ph_side side,
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

			st->egress = ph_pipeline_egress_parse(text + off, len - off, &st->malformed);
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

static void state_release(struct state *st)
{
	json_decref(st->jobs);
	json_decref(st->history);
	json_decref(st->memories);
	json_decref(st->egress);
	memset(st, 0, sizeof(*st));
}

/* Sort an array of objects by their "id" string (labels and seeded ids are stable). */
static int by_id(const void *x, const void *y)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)x, "id"));
	const char *b = json_string_value(json_object_get(*(json_t *const *)y, "id"));

	return strcmp(a ? a : "", b ? b : "");
}

static json_t *sorted_by_id(const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

	if (!v)
		return out;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/*
 * Compare a and b under rule_key and record the row. settle_note, when given, says the
 * candidate did not finish: the row is at least semantic and the note is logged. *cls,
 * when given, gets the row's class (PH_ERROR when the comparison itself failed).
 */
static int compare_row_cls(const struct ph_host *host, struct ph_run *run, const char *feature,
			   const char *case_name, const char *rule_key, const char *summary,
			   const json_t *a, const json_t *b, const char *settle_note,
			   enum ph_class *cls)
{
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err err;
	int rc;

	row.feature = feature;
	row.case_name = case_name;
	row.reference = summary;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	rc = host->compare_json(run, rule_key, a, b, &res, &err);
	if (rc) {
		row.cls = PH_ERROR;
		row.error = err.msg;
		if (cls)
			*cls = PH_ERROR;
		return host->record(run, &row);
	}
	if (settle_note) {
		row.cls = PH_SEMANTIC;
		host->log(run, PH_LOG_INFO, "%s: %s", case_name, settle_note);
	}
	if (cls)
		*cls = res.verdict;
	row.result = &res;
	rc = host->record(run, &row);
	host->result_release(&res);
	return rc;
}

static int compare_row(const struct ph_host *host, struct ph_run *run, const char *feature,
		       const char *case_name, const char *rule_key, const char *summary,
		       const json_t *a, const json_t *b, const char *settle_note)
{
	return compare_row_cls(host, run, feature, case_name, rule_key, summary, a, b,
			       settle_note, NULL);
}

static int error_row(const struct ph_host *host, struct ph_run *run, const char *feature,
		     const char *case_name, const char *why)
{
	struct ph_row row = {0};

	row.feature = feature;
	row.case_name = case_name;
	row.reference = "not evaluated";
	row.cls = PH_ERROR;
	row.error = why;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	return host->record(run, &row);
}

/* "3 jobs: 2 completed, 1 dead" */
static void jobs_summary(const json_t *jobs, char *out, size_t n)
{
	json_t *count = json_object(), *j, *v;
	const char *k, *sep = ": ";
	size_t i, w;

	json_array_foreach(jobs, i, j)
	{
		const char *s = json_string_value(json_object_get(j, "status"));

		s = s ? s : "?";
		json_object_set_new(count, s,
				    json_integer(json_integer_value(json_object_get(count, s)) + 1));
	}
	snprintf(out, n, "%zu jobs", json_array_size(jobs));
	json_object_foreach(count, k, v)
	{
		w = strlen(out);
		if (w + 1 < n)
			snprintf(out + w, n - w, "%s%lld %s", sep, (long long)json_integer_value(v),
				 k);
		sep = ", ";
	}
	json_decref(count);
}

/* {job id: "status, attempt N"} of a jobs array: a new object. */
static json_t *job_status(const json_t *jobs)
{
	json_t *out = json_object(), *j;
	size_t i;

	json_array_foreach(jobs, i, j)
	{
		const char *id = json_string_value(json_object_get(j, "id"));
		const char *st = json_string_value(json_object_get(j, "status"));
		char v[128];

		if (!id)
			continue;
		snprintf(v, sizeof(v), "%s, attempt %lld", st ? st : "?",
			 (long long)json_integer_value(json_object_get(j, "attempts")));
		json_object_set_new(out, id, json_string(v));
	}
	return out;
}

static const char *const kinds[] = {"add", "update", "delete", "none"};

/* The options both scenario kinds take: settle_timeout_ms and the decisions wanted. */
static int scenario_options(const struct ph_host *host, struct ph_run *run, const json_t *c,
			    long *timeout_ms, const json_t **want, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *timeout = json_object_get(c, "settle_timeout_ms"), *w;
	size_t i;

	*timeout_ms = SETTLE_DEFAULT_MS;
	*want = json_object_get(c, "decisions");
	if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) <= 0))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"settle_timeout_ms\": expected a positive integer",
				host->suite_dir(run), name);
	if (timeout)
		*timeout_ms = (long)json_integer_value(timeout);
	if (*want && !json_is_array(*want))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"decisions\": expected an array of add, update, "
				"delete, none",
				host->suite_dir(run), name);
	json_array_foreach(*want, i, w)
	{
		if (!json_is_string(w) || !ph_pipeline_event_of(json_string_value(w)))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': decisions[%zu]: expected add, update, delete "
					"or none",
					host->suite_dir(run), name, i);
	}
	return 0;
}

/* What a scenario set up on each side before the workers' work is waited for. */
struct setup {
	struct snap before[2];
	const char *known[2];  /* ids quoted here are not labelled new-N (collect) */
	json_t *labels[2];     /* id -> label the scenario gave, or NULL */
	const char *jobs_note; /* appended to the jobs row's summary (seeded jobs), or NULL */
};

/*
 * The rows of a scenario that cannot be evaluated, each an error saying why: jobs,
 * egress, one decisions row per kind wanted, memories. Returns non-zero only when a row
 * cannot be recorded.
 */
static int error_rows(const struct ph_host *host, struct ph_run *run, const char *name,
		      const json_t *want, const char *why)
{
	char cname[256];
	json_t *w;
	size_t i;
	int rc;

	snprintf(cname, sizeof(cname), "%s/jobs", name);
	if ((rc = error_row(host, run, F_JOBS, cname, why)))
		return rc;
	snprintf(cname, sizeof(cname), "%s/egress", name);
	if ((rc = error_row(host, run, F_EGRESS, cname, why)))
		return rc;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int wanted = 0;

		json_array_foreach(want, i, w) wanted |= !strcmp(json_string_value(w), kinds[k]);
		snprintf(cname, sizeof(cname), "%s/decision-%s", name, kinds[k]);
		if (wanted && (rc = error_row(host, run, F_DECISIONS, cname, why)))
			return rc;
	}
	snprintf(cname, sizeof(cname), "%s/memories", name);
	return error_row(host, run, F_DECISIONS, cname, why);
}

/*
 * The common end of both scenario kinds: wait until the workers settled, collect each
 * side and record the jobs, egress, decisions and memories rows. Returns non-zero only
 * when a row cannot be recorded.
 */
static int evaluate(const struct ph_host *host, struct ph_run *run, const char *name,
		    const struct setup *su, long timeout_ms, const json_t *want,
		    struct ph_err *err)
{
	char cname[256], summary[256], why[1400];
	struct state st[2] = {{0}};
	json_int_t left[2] = {0, 0};
	json_t *w;
	size_t i;
	int rc = 0, s;

	snprintf(cname, sizeof(cname), "%s/jobs", name);
	if ((rc = settle(host, run, timeout_ms, left, err)))
		return error_rows(host, run, name, want, err->msg);
	if (left[0]) {
		snprintf(why, sizeof(why),
			 "the reference runtime still had %lld job(s) to run after %ld ms: the "
			 "scenario cannot be evaluated (is its pipeline worker running, and its "
			 "extraction endpoint the canned LLM?)",
			 (long long)left[0], timeout_ms);
		return error_rows(host, run, name, want, why);
	}
	for (s = 0; s < 2; s++) {
		if ((rc = collect(host, run, (enum ph_side)s, name, &su->before[s], su->known[s],
				  su->labels[s], &st[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", sides[s], err->msg);
			rc = error_rows(host, run, name, want, why);
			goto out;
		}
	}

	/* jobs, by id: seeded ids, or the labels of the jobs a remember queued */
	jobs_summary(st[0].jobs, summary, sizeof(summary));
	if (su->jobs_note) {
		size_t w = strlen(summary);

		snprintf(summary + w, sizeof(summary) - w, " (%s)", su->jobs_note);
	}
	if (left[1]) {
		/*
		 * Unfinished work: compare how many jobs are left and each job's status and
		 * attempts only (a result still missing is not a second, structural finding).
		 */
		json_t *a = json_pack("{s:i, s:o}", "jobs_left", 0, "status", job_status(st[0].jobs));
		json_t *b = json_pack("{s:I, s:o}", "jobs_left", left[1], "status",
				      job_status(st[1].jobs));

		snprintf(why, sizeof(why),
			 "the candidate still had %lld job(s) to run after %ld ms; egress and "
			 "decisions are not compared, they would only repeat this",
			 (long long)left[1], timeout_ms);
		rc = compare_row(host, run, F_JOBS, cname, R_JOBS, summary, a, b, why);
		json_decref(a);
		json_decref(b);
		goto out;
	}
	{
		json_t *a = sorted_by_id(st[0].jobs), *b = sorted_by_id(st[1].jobs);

		rc = compare_row(host, run, F_JOBS, cname, R_JOBS, summary, a, b, NULL);
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}

	/* egress */
	snprintf(cname, sizeof(cname), "%s/egress", name);
	if (st[0].egress_error || st[1].egress_error) {
		snprintf(why, sizeof(why), "%s: %s",
			 st[0].egress_error ? "reference" : "candidate",
			 st[0].egress_error ? st[0].egress_error : st[1].egress_error);
		rc = error_row(host, run, F_EGRESS, cname, why);
	} else {
		snprintf(summary, sizeof(summary), "%zu distinct LLM requests (%zu sent)",
			 json_array_size(st[0].egress), st[0].requests);
		if (st[0].malformed || st[1].malformed)
			host->log(run, PH_LOG_WARN,
				  "%s: %zu/%zu unreadable canned-LLM log lines skipped", cname,
				  st[0].malformed, st[1].malformed);
		rc = compare_row(host, run, F_EGRESS, cname, R_EGRESS, summary, st[0].egress,
				 st[1].egress, NULL);
	}
	if (rc)
		goto out;

	/* decisions, one row per kind: the acceptance check's named group */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *event = ph_pipeline_event_of(kinds[k]);
		json_t *a = ph_pipeline_select_event(st[0].history, event, NULL);
		json_t *b = ph_pipeline_select_event(st[1].history, event, NULL);
		int wanted = 0;

		json_array_foreach(want, i, w) wanted |= !strcmp(json_string_value(w), kinds[k]);
		snprintf(cname, sizeof(cname), "%s/decision-%s", name, kinds[k]);
		if (wanted || json_array_size(a) || json_array_size(b)) {
			/*
			 * A reference that makes none of a wanted kind is compared too (the
			 * candidate must make none either); the summary and the log say the
			 * scenario did not exercise it there, which on refd means the canned
			 * answers are wrong.
			 */
			if (wanted && !json_array_size(a))
				host->log(run, PH_LOG_WARN,
					  "%s: the reference runtime made no '%s' decision (history "
					  "event '%s'): the scenario does not exercise it there",
					  cname, kinds[k], event);
			snprintf(summary, sizeof(summary), "%zu %s decision(s)%s", json_array_size(a),
				 kinds[k],
				 wanted && !json_array_size(a) ? " (the scenario wants some)" : "");
			rc = compare_row(host, run, F_DECISIONS, cname, R_DECISIONS, summary, a, b,
					 NULL);
		}
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}
	/* history events that are none of the four kinds, when either side wrote any */
	{
		json_t *o[2];

		for (s = 0; s < 2; s++) {
			json_t *r;

			o[s] = json_array();
			json_array_foreach(st[s].history, i, r)
			{
				const char *e = json_string_value(json_object_get(r, "event"));
				int known = 0;

				for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
					known |= e && !strcmp(e, ph_pipeline_event_of(kinds[k]));
				if (!known)
					json_array_append(o[s], r);
			}
		}
		if (json_array_size(o[0]) || json_array_size(o[1])) {
			snprintf(cname, sizeof(cname), "%s/decision-other", name);
			snprintf(summary, sizeof(summary), "%zu other history event(s)",
				 json_array_size(o[0]));
			rc = compare_row(host, run, F_DECISIONS, cname, R_DECISIONS, summary, o[0],
					 o[1], NULL);
		}
		json_decref(o[0]);
		json_decref(o[1]);
		if (rc)
			goto out;
	}
	/* the memories the scenario created or touched */
	{
		json_t *a = sorted_by_id(st[0].memories), *b = sorted_by_id(st[1].memories);

		snprintf(cname, sizeof(cname), "%s/memories", name);
		snprintf(summary, sizeof(summary), "%zu memories", json_array_size(a));
		rc = compare_row(host, run, F_DECISIONS, cname, R_MEMORIES, summary, a, b,
				 NULL);
		json_decref(a);
		json_decref(b);
	}
out:
	for (s = 0; s < 2; s++)
		state_release(&st[s]);
	return rc;
}

/* The text of the suite file a case names under key (NULL when absent); caller frees. */
static int case_file(const struct ph_host *host, struct ph_run *run, const json_t *c,
		     const char *key, char **text, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *v = json_object_get(c, key);
	char path[4096];
	size_t len;

	*text = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v) || strchr(json_string_value(v), '/'))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"%s\": expected the name of a .sql file of the "
				"suite folder",
				host->suite_dir(run), name, key);
	snprintf(path, sizeof(path), "%s/%s", host->suite_dir(run), json_string_value(v));
	if (ph_file_read(path, 0, text, &len, err))
		return ph_error_prefix(err, "case '%s'", name);
	return 0;
}

/* Send the case's "embed" request ({method, path, body?}) to side; 2xx or why not. */
static int embed_side(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		      const json_t *embed, struct ph_err *err)
{
	static const struct ph_header json_type = {"Content-Type", "application/json"};
	const json_t *body = json_object_get(embed, "body");
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct ph_request req = {0};
	struct ph_response resp = {0};
	int rc;

	req.method = json_string_value(json_object_get(embed, "method"));
	req.path = json_string_value(json_object_get(embed, "path"));
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.headers = &json_type;
	req.n_headers = text ? 1 : 0;
	req.timeout_ms = 60000;
	rc = host->http(run, side, &req, &resp, err);
	if (!rc && (resp.status < 200 || resp.status > 299))
		rc = ph_error(err, PH_E_RUNTIME, "%s %s answered %ld: %.200s", req.method, req.path,
			      resp.status, resp.body ? resp.body : "");
	host->response_release(&resp);
	free(text);
	return rc;
}

/*
 * Run one seeded extraction scenario case. Returns non-zero only for a malformed case.
 * "memories" (optional): SQL of the memories the scenario's facts are decided against,
 * written first, then embedded through each runtime's own API ("embed": a request such
 * as POST /api/repair/re-embed), so both daemons' vector search sees them before any job
 * is queued; "seed": the SQL of the work itself (the jobs).
 */
static int scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
		    struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *want, *embed = json_object_get(c, "embed");
	char cname[256], why[1400];
	char *sql = NULL, *mem_sql = NULL, *known = NULL;
	struct setup su;
	long timeout_ms;
	int rc = 0, s;

	memset(&su, 0, sizeof(su));
	if (!json_object_get(c, "seed"))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"seed\": expected the name of a .sql file of the "
				"suite folder",
				host->suite_dir(run), name);
	if (embed && (!json_is_object(embed) ||
		      !json_is_string(json_object_get(embed, "method")) ||
		      !json_is_string(json_object_get(embed, "path"))))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"embed\": expected {\"method\", \"path\", "
				"\"body\"?}",
				host->suite_dir(run), name);
	if ((rc = scenario_options(host, run, c, &timeout_ms, &want, err)) ||
	    (rc = case_file(host, run, c, "seed", &sql, err)) ||
	    (rc = case_file(host, run, c, "memories", &mem_sql, err)))
		goto out;
	{
		size_t n = (mem_sql ? strlen(mem_sql) : 0) + strlen(sql) + 2;

		if (!(known = malloc(n))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(known, n, "%s\n%s", mem_sql ? mem_sql : "", sql);
	}

	/*
	 * The memories mark is taken before the memories, so they are in the memories row;
	 * the history mark after their embed, so what a runtime's re-embed writes there (the
	 * TS daemon's repair audit, event 'none', memory_id 'system') is not read as a
	 * decision of the workers.
	 */
	snprintf(cname, sizeof(cname), "%s/seed", name);
	for (s = 0; s < 2; s++) {
		su.known[s] = known;
		if ((rc = take_snap(host, run, (enum ph_side)s, &su.before[s], err)) ||
		    (mem_sql && (rc = seed_side(host, run, (enum ph_side)s, mem_sql, err))) ||
		    (mem_sql && embed && (rc = embed_side(host, run, (enum ph_side)s, embed, err))) ||
		    (rc = query_int(host, run, (enum ph_side)s,
				    "SELECT coalesce(max(rowid), 0) FROM memory_history",
				    &su.before[s].hist_seq, err)) ||
		    (rc = seed_side(host, run, (enum ph_side)s, sql, err))) {
			snprintf(why, sizeof(why), "%s: %s", sides[s], err->msg);
			if (!(rc = error_row(host, run, F_JOBS, cname, why))) {
				snprintf(why, sizeof(why), "not evaluated: the seed failed (%s)", cname);
				rc = error_rows(host, run, name, want, why);
			}
			goto out;
		}
	}
	rc = evaluate(host, run, name, &su, timeout_ms, want, err);
out:
	for (s = 0; s < 2; s++)
		json_decref(su.before[s].jobs);
	free(sql);
	free(mem_sql);
	free(known);
	return rc;
}

/*
 * POST one remember body to a side. *id gets the memory id it answered (malloc'd), or
 * stays NULL with why filled (transport failure, status, no id).
 */
static void remember_one(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			 const char *body, char **id, char *why, size_t wn)
{
	static const struct ph_header json_type = {"Content-Type", "application/json"};
	struct ph_request req = {0};
	struct ph_response resp = {0};
	struct ph_err e;
	json_t *doc = NULL;
	const char *s;

	*id = NULL;
	req.method = "POST";
	req.path = "/api/memory/remember";
	req.body = body;
	req.body_len = strlen(body);
	req.headers = &json_type;
	req.n_headers = 1;
	ph_err_clear(&e);
	if (host->http(run, side, &req, &resp, &e) || resp.error) {
		snprintf(why, wn, "%s", resp.error ? resp.error : e.msg);
	} else if (resp.status != 200) {
		snprintf(why, wn, "answered %ld: %.200s", resp.status,
			 resp.body ? resp.body : "");
	} else if (!(doc = json_loadb(resp.body, resp.body_len, 0, NULL)) ||
		   !(s = json_string_value(json_object_get(doc, "id"))) || !*s) {
		snprintf(why, wn, "answered 200 without an \"id\": %.200s",
			 resp.body ? resp.body : "");
	} else if (!(*id = strdup(s))) {
		snprintf(why, wn, "out of memory");
	}
	json_decref(doc);
	host->response_release(&resp);
}

/*
 * The jobs a side queued since before: {memory_id, job_type, max_attempts} in queue order,
 * memory ids as their labels; each job id gets the label "<memory label>/<job type>" (and
 * "#n" from the second on) in labels, and that label is appended to job_labels (so its
 * index is the job's). A new array, or NULL with err filled.
 */
static json_t *queued_jobs(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			   const struct snap *before, json_t *labels, json_t *job_labels,
			   struct ph_err *err)
{
	json_t *rows, *r, *out, *used;
	size_t i;

	if (host->db_query(run, side,
			   "SELECT id, memory_id, job_type, max_attempts FROM memory_jobs"
			   " ORDER BY rowid",
			   &rows, err))
		return NULL;
	out = json_array();
	used = json_object();
	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *mid = json_string_value(json_object_get(r, "memory_id"));
		const char *type = json_string_value(json_object_get(r, "job_type"));
		const char *ml = mid ? json_string_value(json_object_get(labels, mid)) : NULL;
		char label[256];

		if (!id || json_object_get(before->jobs, id))
			continue;
		snprintf(label, sizeof(label), "%s/%s", ml ? ml : mid ? mid : "?",
			 type ? type : "?");
		for (int n = 2; json_object_get(used, label); n++)
			snprintf(label, sizeof(label), "%s/%s#%d", ml ? ml : mid ? mid : "?",
				 type ? type : "?", n);
		json_object_set_new(used, label, json_true());
		json_object_set_new(labels, id, json_string(label));
		json_array_append_new(job_labels, json_string(label));
		json_array_append_new(out, json_pack("{s:s?, s:s?, s:O?}", "memory_id",
						     ml ? ml : mid, "job_type", type,
						     "max_attempts",
						     json_object_get(r, "max_attempts")));
	}
	json_decref(rows);
	json_decref(used);
	return out;
}

/* UTC now plus plus_ms, as the seed files write times: 2026-02-01T10:00:00.000Z. */
static void iso_now(char *out, size_t n, long plus_ms)
{
	struct timespec ts;
	struct tm tm;
	long long ms;
	time_t t;
	size_t w;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + plus_ms;
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	w = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + w, n - w, ".%03dZ", (int)(ms % 1000));
}

/*
 * Give each side the jobs the other side's remembers queued and its own did not (matched
 * by memory label and job type, backfill.c): a pending memory_jobs row for its memory of
 * that label, with the same columns as seed-extract.sql and the other side's max_attempts,
 * labelled as the other side's job (so the jobs row compares the two). Without it the
 * extraction of remembered memories is never compared on the real pair: the Rust daemon
 * never queues from remember. note gets what was seeded ("" when nothing), for the jobs
 * row. Returns 0, or -1 with why filled when a job cannot be seeded (the scenario cannot
 * be evaluated).
 */
static int backfill(const struct ph_host *host, struct ph_run *run, const char *name,
		    struct setup *su, json_t *const queued[2], json_t *const job_labels[2],
		    char *note, size_t nn, char *why, size_t wn)
{
	int seq = 0;

	note[0] = 0;
	for (int s = 0; s < 2; s++) {
		int o = 1 - s;
		json_t *missing = ph_pipeline_jobs_missing(queued[s], queued[o]), *v;
		char *sql = NULL, list[1024] = "";
		struct ph_err e;
		size_t i, n = 0;
		int bad = 0;

		if (!missing) {
			snprintf(why, wn, "out of memory");
			return -1;
		}
		json_array_foreach(missing, i, v)
		{
			const json_t *job = json_array_get(queued[s], (size_t)json_integer_value(v));
			const char *ml = json_string_value(json_object_get(job, "memory_id"));
			const char *type = json_string_value(json_object_get(job, "job_type"));
			const char *jl = json_string_value(
				json_array_get(job_labels[s], (size_t)json_integer_value(v)));
			const json_t *max = json_object_get(job, "max_attempts");
			const char *mid = ph_pipeline_label_id(su->labels[o], ml);
			char id[300], at[64], *row, *next;
			size_t w;

			if (!mid && (!ml || ph_pipeline_label_id(su->labels[s], ml))) {
				snprintf(why, wn,
					 "not evaluated: the %s queued job '%s' and the %s did not, "
					 "and the %s has no memory labelled '%s' to seed it for (see "
					 "%s/remember-jobs)",
					 sides[s], jl ? jl : "?", sides[o], sides[o], ml ? ml : "?",
					 name);
				bad = 1;
				break;
			}
			/* a label of neither side is an id both share (a fixture memory) */
			if (!mid)
				mid = ml;
			snprintf(id, sizeof(id), "parity-seeded-%s-%04d", name, ++seq);
			iso_now(at, sizeof(at), (long)n);
			row = sqlite3_mprintf(
				"INSERT INTO memory_jobs (id, memory_id, job_type, status, attempts,"
				" max_attempts, created_at, updated_at)"
				" VALUES (%Q, %Q, %Q, 'pending', 0, %lld, %Q, %Q);\n",
				id, mid, type ? type : "extract",
				json_is_integer(max) ? (long long)json_integer_value(max) : 3LL, at,
				at);
			next = row ? sqlite3_mprintf("%s%s", sql ? sql : "", row) : NULL;
			sqlite3_free(row);
			if (!next) {
				snprintf(why, wn, "out of memory");
				bad = 1;
				break;
			}
			sqlite3_free(sql);
			sql = next;
			json_object_set_new(su->labels[o], id, json_string(jl ? jl : id));
			w = strlen(list);
			snprintf(list + w, sizeof(list) - w, "%s%s", n ? ", " : "", jl ? jl : id);
			n++;
		}
		json_decref(missing);
		if (!bad && sql && seed_side(host, run, (enum ph_side)o, sql, &e)) {
			snprintf(why, wn, "not evaluated: seeding the %s's missing jobs: %s",
				 sides[o], e.msg);
			bad = 1;
		}
		sqlite3_free(sql);
		if (bad)
			return -1;
		if (!n)
			continue;
		host->log(run, PH_LOG_WARN,
			  "%s/remember-jobs: the %s queued %zu job(s) the %s did not (%s): the "
			  "harness seeded them into the %s's memory_jobs (pending, for its memories "
			  "of those labels), so the rows that follow compare the extraction itself, "
			  "not who queued it",
			  name, sides[s], n, sides[o], list, sides[o]);
		{
			size_t w = strlen(note);

			snprintf(note + w, nn - w, "%s%zu %s job(s) seeded by the harness",
				 w ? "; " : "", n, sides[o]);
		}
	}
	return 0;
}

/* Run one remember scenario case. Returns non-zero only for a malformed case. */
static int remember_scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
			     struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *bodies = json_object_get(c, "remember"), *body;
	json_t *answered[2] = {NULL, NULL}, *queued[2] = {NULL, NULL};
	json_t *job_labels[2] = {NULL, NULL};
	const json_t *want;
	char cname[256], summary[256], why[1400], note[256];
	char *known[2] = {NULL, NULL};
	struct setup su;
	enum ph_class cls = PH_PARITY;
	long timeout_ms;
	size_t k;
	int rc = 0, s;

	memset(&su, 0, sizeof(su));
	if (!json_is_array(bodies) || !json_array_size(bodies) ||
	    json_array_size(bodies) > REMEMBER_MAX)
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"remember\": expected an array of 1 to %d remember "
				"bodies",
				host->suite_dir(run), name, REMEMBER_MAX);
	json_array_foreach(bodies, k, body)
	{
		if (!json_is_object(body) || !json_is_string(json_object_get(body, "content")))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': remember[%zu]: expected an object with a "
					"\"content\" string",
					host->suite_dir(run), name, k);
	}
	if ((rc = scenario_options(host, run, c, &timeout_ms, &want, err)))
		return rc;

	snprintf(cname, sizeof(cname), "%s/remember-jobs", name);
	for (s = 0; s < 2; s++) {
		su.labels[s] = json_object();
		answered[s] = json_array();
		job_labels[s] = json_array();
		if ((rc = take_snap(host, run, (enum ph_side)s, &su.before[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", sides[s], err->msg);
			rc = error_row(host, run, F_REMEMBER_JOBS, cname, why);
			goto failed;
		}
	}
	json_array_foreach(bodies, k, body)
	{
		char *text = json_dumps(body, JSON_COMPACT);

		if (k)
			sleep_ms(REMEMBER_GAP_MS);
		for (s = 0; s < 2 && text; s++) {
			char *id, label[32], w[1024];
			const char *l;

			remember_one(host, run, (enum ph_side)s, text, &id, w, sizeof(w));
			if (!id) {
				snprintf(why, sizeof(why), "%s: remember[%zu]: %s", sides[s], k, w);
				free(text);
				rc = error_row(host, run, F_REMEMBER_JOBS, cname, why);
				goto failed;
			}
			if (!(l = json_string_value(json_object_get(su.labels[s], id)))) {
				snprintf(label, sizeof(label), "remember-%zu", k + 1);
				json_object_set_new(su.labels[s], id, json_string(label));
				l = label;
			}
			json_array_append_new(answered[s], json_string(l));
			free(id);
		}
		if (!text) {
			rc = error_row(host, run, F_REMEMBER_JOBS, cname, "out of memory");
			goto failed;
		}
		free(text);
	}

	/* the remembered ids are named, not new-N: quote them for collect */
	for (s = 0; s < 2; s++) {
		const char *id;
		json_t *v;
		size_t n = 1;

		json_object_foreach(su.labels[s], id, v) n += strlen(id) + 3;
		if (!(known[s] = calloc(1, n))) {
			rc = error_row(host, run, F_REMEMBER_JOBS, cname, "out of memory");
			goto failed;
		}
		json_object_foreach(su.labels[s], id, v)
		{
			strcat(known[s], "'");
			strcat(known[s], id);
			strcat(known[s], "' ");
		}
		su.known[s] = known[s];
	}

	/* what the remembers queued, read at once: job types and limits, not progress */
	for (s = 0; s < 2; s++) {
		if (!(queued[s] = queued_jobs(host, run, (enum ph_side)s, &su.before[s],
					      su.labels[s], job_labels[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", sides[s], err->msg);
			rc = error_row(host, run, F_REMEMBER_JOBS, cname, why);
			goto failed;
		}
	}
	{
		json_t *a = json_pack("{s:O, s:O}", "answered", answered[0], "queued", queued[0]);
		json_t *b = json_pack("{s:O, s:O}", "answered", answered[1], "queued", queued[1]);

		snprintf(summary, sizeof(summary), "%zu remembers, %zu jobs queued",
			 json_array_size(bodies), json_array_size(queued[0]));
		rc = compare_row_cls(host, run, F_REMEMBER_JOBS, cname, R_REMEMBER_JOBS, summary,
				     a, b, NULL, &cls);
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}
	/*
	 * The remembers queued other work (the Rust daemon queues none): that is the row
	 * above. Each side gets the jobs only the other queued, so what follows compares the
	 * extraction itself.
	 */
	if (cls != PH_PARITY) {
		if (backfill(host, run, name, &su, queued, job_labels, note, sizeof(note), why,
			     sizeof(why))) {
			rc = error_rows(host, run, name, want, why);
			goto out;
		}
		su.jobs_note = note[0] ? note : NULL;
	}
	rc = evaluate(host, run, name, &su, timeout_ms, want, err);
	goto out;
failed:
	/* the remember-jobs row is an error: the rest cannot be evaluated either */
	if (!rc) {
		snprintf(why, sizeof(why), "not evaluated: see %s", cname);
		rc = error_rows(host, run, name, want, why);
	}
out:
	for (s = 0; s < 2; s++) {
		json_decref(su.before[s].jobs);
		json_decref(su.labels[s]);
		json_decref(answered[s]);
		json_decref(queued[s]);
		json_decref(job_labels[s]);
		free(known[s]);
	}
	return rc;
}

static int pipeline_run(void *state, const struct ph_host *host, struct ph_run *run,
			struct ph_err *err)
{
	json_t *cases, *c;
	size_t i, n;
	int rc;

	(void)state;
	rc = ph_suite_load_dir(host->suite_dir(run), &cases, err);
	if (rc)
		return rc;
	n = json_array_size(cases);
	if (!n) {
		json_decref(cases);
		return ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
	}
	host->progress(run, 0, (int)n);
	json_array_foreach(cases, i, c)
	{
		if (json_object_get(c, "method"))
			rc = host->http_case(run, c, err);
		else if (json_object_get(c, "seed"))
			rc = scenario(host, run, c, err);
		else if (json_object_get(c, "remember"))
			rc = remember_scenario(host, run, c, err);
		else
			rc = ph_error(err, PH_E_INVALID,
				      "%s: case '%s': expected \"method\" (an HTTP case), \"seed\" "
				      "(a seeded extraction scenario) or \"remember\" (one through "
				      "remember)",
				      host->suite_dir(run),
				      json_string_value(json_object_get(c, "name")));
		if (rc) {
			json_decref(cases);
			return rc;
		}
		host->progress(run, (int)i + 1, (int)n);
	}
	json_decref(cases);
	return 0;
}

static const struct ph_plugin plugin = {
	PH_PLUGIN_HEADER,
	.name = "pipeline",
	.version = "1.0.0",
	.description = "LLM extraction workers on canned answers: egress, jobs, decisions, config",
	.run = pipeline_run,
};

const struct ph_plugin *ph_pipeline_plugin(void);

const struct ph_plugin *ph_pipeline_plugin(void)
{
	return &plugin;
}
