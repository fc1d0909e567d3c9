/*
 * The jobs one runtime's remembers queued and the other's did not: which they are
 * (backfill.h: a multiset difference keyed by memory label and job type, and the reverse
 * lookup of a label to the id a runtime gave it), and seeding them for the side that
 * lacks them (parts.h ph_pipeline_backfill), so a remember scenario compares the
 * extraction itself and not who queued it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "backfill.h"
#include "parts.h"

/* "<memory_id>\x1f<job_type>": the key two queued jobs are matched by. */
static void job_key(const json_t *job, char *out, size_t n)
{
	const char *m = json_string_value(json_object_get(job, "memory_id"));
	const char *t = json_string_value(json_object_get(job, "job_type"));

	snprintf(out, n, "%s\x1f%s", m ? m : "", t ? t : "");
}

json_t *ph_pipeline_jobs_missing(const json_t *have, const json_t *lack)
{
	json_t *count = json_object(), *out = json_array(), *job;
	size_t i;

	if (!count || !out) {
		json_decref(count);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(lack, i, job)
	{
		char key[512];

		job_key(job, key, sizeof(key));
		json_object_set_new(count, key,
				    json_integer(json_integer_value(json_object_get(count, key)) + 1));
	}
	json_array_foreach(have, i, job)
	{
		char key[512];
		json_int_t left;

		job_key(job, key, sizeof(key));
		left = json_integer_value(json_object_get(count, key));
		if (left > 0)
			json_object_set_new(count, key, json_integer(left - 1));
		else
			json_array_append_new(out, json_integer((json_int_t)i));
	}
	json_decref(count);
	return out;
}

const char *ph_pipeline_label_id(const json_t *labels, const char *label)
{
	const char *id;
	json_t *v;

	if (!label)
		return NULL;
	json_object_foreach((json_t *)labels, id, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), label))
			return id;
	}
	return NULL;
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
 * Each side gets, for the jobs the other queued and it did not (matched by memory label
 * and job type, above), a pending memory_jobs row for its memory of that label, with the
 * same columns as seed-extract.sql and the other side's max_attempts, labelled as the
 * other side's job (so the jobs row compares the two). Without it the extraction of
 * remembered memories is never compared on the real pair: the Rust daemon never queues
 * from remember.
 */
int ph_pipeline_backfill(const struct ph_host *host, struct ph_run *run, const char *name,
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
			const json_t *job =
			    json_array_get(queued[s], (size_t)json_integer_value(v));
			const char *ml = json_string_value(json_object_get(job, "memory_id"));
			const char *type = json_string_value(json_object_get(job, "job_type"));
			const char *jl = json_string_value(
			    json_array_get(job_labels[s], (size_t)json_integer_value(v)));
			const json_t *max = json_object_get(job, "max_attempts");
			const char *mid = ph_pipeline_label_id(su->labels[o], ml);
			char id[300], at[64], *row, *next;
			size_t w;

			if (!mid && (!ml || ph_pipeline_label_id(su->labels[s], ml))) {
				snprintf(
				    why, wn,
				    "not evaluated: the %s queued job '%s' and the %s did not, "
				    "and the %s has no memory labelled '%s' to seed it for (see "
				    "%s/remember-jobs)",
				    ph_pipeline_sides[s], jl ? jl : "?", ph_pipeline_sides[o],
				    ph_pipeline_sides[o], ml ? ml : "?", name);
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
		if (!bad && sql && ph_pipeline_seed(host, run, (enum ph_side)o, sql, &e)) {
			snprintf(why, wn, "not evaluated: seeding the %s's missing jobs: %s",
				 ph_pipeline_sides[o], e.msg);
			bad = 1;
		}
		sqlite3_free(sql);
		if (bad)
			return -1;
		if (!n)
			continue;
		host->log(
		    run, PH_LOG_WARN,
		    "%s/remember-jobs: the %s queued %zu job(s) the %s did not (%s): the "
		    "harness seeded them into the %s's memory_jobs (pending, for its memories "
		    "of those labels), so the rows that follow compare the extraction itself, "
		    "not who queued it",
		    name, ph_pipeline_sides[s], n, ph_pipeline_sides[o], list,
		    ph_pipeline_sides[o]);
		{
			size_t w = strlen(note);

			snprintf(note + w, nn - w, "%s%zu %s job(s) seeded by the harness",
				 w ? "; " : "", n, ph_pipeline_sides[o]);
		}
	}
	return 0;
}
