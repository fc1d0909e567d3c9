/*
 * The secrets domain (CONTRACT.md §9). Through each runtime's API it stores, lists,
 * overwrites and deletes secrets and runs exec cases (suites/secrets: a printed secret must
 * come back redacted, shell metacharacters refused alike); then it inspects the
 * .secrets/secrets.enc each runtime wrote: "format" (same envelope shape), "decrypts with
 * derived key" (every entry opens under BLAKE2b("signet:secrets:" + machine id)) and
 * "values identical" (plaintexts compared as keyed hashes by the host); then the
 * cross-runtime roundtrip: the reference's file is given to the candidate, and the
 * candidate's file to both, and each runtime must list and resolve every secret (resolve:
 * exec secrets-probe, which prints a keyed digest of the variable, never the value). With
 * `parity run --secrets-file F --machine-id ID` the roundtrip also runs on a copy of F.
 *
 * Secret values never reach a report or a log: every answer is scrubbed of the values the
 * suite stores before it is compared, so an unredacted value shows up as the marker
 * "<unredacted value of NAME>". A divergence that follows from entries already found not
 * to decrypt is filed under "decrypts with derived key", its root cause.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "parity/plugin.h"
#include "parity/suite.h"

#ifndef SECRETS_PROBE
#define SECRETS_PROBE "secrets-probe"
#endif

#define F_FORMAT "format"
#define F_DECRYPTS "decrypts with derived key"
#define F_VALUES "values identical"
#define F_RT_REF "roundtrip reference -> candidate"
#define F_RT_CAND "roundtrip candidate -> reference"
#define F_RT_REAL "roundtrip real secrets file"
#define PROBE_VAR "PARITY_SECRET"

/* A secret value the suite stores; what the stores should hold is tracked in `live`. */
struct known {
	char *name;
	char *value;
	int live; /* currently stored (by the reference's answers) */
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	struct known *k;
	size_t n_k;
	const char *mid[2]; /* the runtimes' machine ids; NULL: this machine's */
	char tmp[64];	    /* mkdtemp folder: key file, saved stores */
	char keyfile[128];
	unsigned char key[crypto_generichash_KEYBYTES];
	const char *probe;
	int failed_b;	     /* the candidate's file had entries that do not decrypt */
	json_t *cand_failed; /* names whose candidate entries do not decrypt */
};

/* ---- results built by the plugin ---- */

static void res_add(struct ph_result *r, enum ph_class cls, const char *kind, const char *path,
		    json_t *a, json_t *b, const char *msg)
{
	struct ph_divergence *items = realloc(r->items, (r->count + 1) * sizeof(*items));

	if (!items) {
		json_decref(a);
		json_decref(b);
		return;
	}
	r->items = items;
	items[r->count].cls = cls;
	items[r->count].kind = kind;
	items[r->count].path = strdup(path);
	items[r->count].a = a;
	items[r->count].b = b;
	items[r->count].message = strdup(msg);
	r->count++;
	if (cls > r->verdict)
		r->verdict = cls;
}

static void res_free(struct ph_result *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].path);
		free(r->items[i].message);
		json_decref(r->items[i].a);
		json_decref(r->items[i].b);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void record(struct ctx *c, const char *feature, const char *case_name, const char *reference,
		   enum ph_class cls, const struct ph_result *res, const char *error)
{
	struct ph_row row = {
	    .feature = feature,
	    .case_name = case_name,
	    .reference = reference,
	    .cls = cls,
	    .result = res,
	    .latency_reference_ms = -1,
	    .latency_candidate_ms = -1,
	    .error = error,
	};

	c->host->record(c->run, &row);
}

/* A compared row with the latencies measured. */
static void record_timed(struct ctx *c, const char *feature, const char *case_name,
			 const char *reference, const struct ph_result *res, double la, double lb)
{
	struct ph_row row = {
	    .feature = feature,
	    .case_name = case_name,
	    .reference = reference,
	    .cls = PH_PARITY,
	    .result = res,
	    .latency_reference_ms = la,
	    .latency_candidate_ms = lb,
	};

	c->host->record(c->run, &row);
}

/* ---- scrubbing ---- */

/* Replace every known value in r->body by a marker naming its secret. */
static void scrub(const struct ctx *c, struct ph_response *r)
{
	for (size_t i = 0; r->body && i < c->n_k; i++) {
		const char *v = c->k[i].value;
		size_t vlen = strlen(v), at = 0;
		char mark[160];
		size_t mlen;

		if (!vlen)
			continue;
		mlen =
		    (size_t)snprintf(mark, sizeof(mark), "<unredacted value of %s>", c->k[i].name);
		if (mlen >= sizeof(mark))
			mlen = sizeof(mark) - 1;
		for (;;) {
			char *hit = memmem(r->body + at, r->body_len - at, v, vlen);
			char *nb;
			size_t off, nlen;

			if (!hit)
				break;
			off = (size_t)(hit - r->body);
			nlen = r->body_len - vlen + mlen;
			if (!(nb = malloc(nlen + 1)))
				break;
			memcpy(nb, r->body, off);
			memcpy(nb + off, mark, mlen);
			memcpy(nb + off + mlen, r->body + off + vlen, r->body_len - off - vlen);
			nb[nlen] = '\0';
			sodium_memzero(r->body, r->body_len);
			free(r->body);
			r->body = nb;
			r->body_len = nlen;
			at = off + mlen;
		}
	}
}

/* ---- HTTP steps ---- */

/* How long an exec job may take to finish, and how often it is asked. */
#define EXEC_JOB_WAIT_MS 20000
#define EXEC_JOB_POLL_MS 50

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Is path an exec route ("/api/secrets/exec" or "/api/secrets/NAME/exec")? */
static int is_exec_path(const char *path)
{
	size_t n = strlen(path);

	return !strncmp(path, "/api/secrets/", strlen("/api/secrets/")) && n >= 5 &&
	       !strcmp(path + n - 5, "/exec");
}

/*
 * Since 0.145 both daemons run an exec as a job: 202 {id, status: "queued"|"running",
 * ...}, then GET /api/secrets/exec/<id> until it is "completed" or "failed". When r is
 * such an answer, wait for the job and put its last state into r's body (status kept), so
 * the row compares what the command did; the generated id is compared as {exec_job}.
 * Anything else is left as it is. Returns 0, or -1 when the job never ended (r->error).
 */
static int exec_settle(struct ctx *c, enum ph_side side, struct ph_response *r)
{
	json_t *doc = r->status == 202 ? json_loadb(r->body ? r->body : "", r->body_len, 0, NULL)
				       : NULL;
	const char *id = json_string_value(json_object_get(doc, "id"));
	char path[300];
	struct ph_err e;
	int waited = 0, rc = 0;

	if (!id || strlen(id) > 200 || strchr(id, '/') || strchr(id, '?')) {
		json_decref(doc);
		return 0;
	}
	c->host->canon_add(c->run, side, id, "{exec_job}", &e);
	snprintf(path, sizeof(path), "/api/secrets/exec/%s", id);
	json_decref(doc);
	for (;;) {
		struct ph_request req = {.method = "GET", .path = path};
		struct ph_response jr;
		const char *st;

		c->host->http(c->run, side, &req, &jr, &e);
		doc = jr.status == 200 ? json_loadb(jr.body ? jr.body : "", jr.body_len, 0, NULL)
				       : NULL;
		st = json_string_value(json_object_get(doc, "status"));
		if (st && strcmp(st, "queued") && strcmp(st, "running")) {
			free(r->body);
			r->body = jr.body;
			r->body_len = jr.body_len;
			jr.body = NULL;
			c->host->response_release(&jr);
			json_decref(doc);
			break;
		}
		json_decref(doc);
		c->host->response_release(&jr);
		if (waited >= EXEC_JOB_WAIT_MS || jr.error) {
			free(r->error);
			r->error = strdup(jr.error ? jr.error : "the exec job did not finish in 20 s");
			rc = -1;
			break;
		}
		sleep_ms(EXEC_JOB_POLL_MS);
		waited += EXEC_JOB_POLL_MS;
	}
	return rc;
}

/* The job's state or the answer's status word, for a row's summary ("completed"). */
static const char *job_state(const struct ph_response *r, char *buf, size_t cap)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *st = json_string_value(json_object_get(doc, "status"));

	snprintf(buf, cap, "%s", st && json_object_get(doc, "id") ? st : "");
	json_decref(doc);
	return buf;
}

/*
 * The secrets domain judges answers and files, not speed: one store is a write with an
 * fsync and one exec a process spawn, and a single sample of either says nothing about
 * latency (the read domain covers timing, with repeated samples). Latencies are kept for
 * the row and withheld from the comparison.
 */
static void untimed(struct ph_response *a, struct ph_response *b, double *la, double *lb)
{
	*la = a->latency_ms;
	*lb = b->latency_ms;
	a->latency_ms = b->latency_ms = -1;
}

/*
 * Send one request to both runtimes, scrub both answers, compare them under the endpoint's
 * rule and record a row under feature (NULL: the matched rule). Returns the reference's
 * status (0 when either side did not answer).
 */
static long step(struct ctx *c, const char *feature, const char *case_name, const char *method,
		 const char *path, const char *body, const char *count_key)
{
	struct ph_request req = {
	    .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0};
	struct ph_header h = {"Content-Type", "application/json"};
	struct ph_response a, b;
	struct ph_result res = {0};
	struct ph_err ea, eb, e;
	char endpoint[600], summary[128], why[1100];
	double la, lb;
	long status = 0;

	req.headers = &h;
	req.n_headers = 1;
	snprintf(endpoint, sizeof(endpoint), "%s %s", method, path);
	c->host->http(c->run, PH_REFERENCE, &req, &a, &ea);
	c->host->http(c->run, PH_CANDIDATE, &req, &b, &eb);
	if (is_exec_path(path)) {
		exec_settle(c, PH_REFERENCE, &a);
		exec_settle(c, PH_CANDIDATE, &b);
	}
	scrub(c, &a);
	scrub(c, &b);
	if (a.error || b.error) {
		snprintf(why, sizeof(why), "%s%s%s%s%s", a.error ? "reference: " : "",
			 a.error ? a.error : "", a.error && b.error ? "; " : "",
			 b.error ? "candidate: " : "", b.error ? b.error : "");
		record(c, feature ? feature : endpoint, case_name,
		       a.error ? "no answer" : "answered", PH_ERROR, NULL, why);
		goto out;
	}
	status = a.status;
	{
		char st[32];

		if (*job_state(&a, st, sizeof(st)))
			snprintf(summary, sizeof(summary), "%ld, job %s", a.status, st);
		else
			snprintf(summary, sizeof(summary), "%ld", a.status);
	}
	if (count_key) {
		json_t *doc = json_loadb(a.body ? a.body : "", a.body_len, 0, NULL);
		json_t *arr = json_object_get(doc, count_key);

		if (json_is_array(arr))
			snprintf(summary, sizeof(summary), "%ld, %zu %s", a.status,
				 json_array_size(arr), count_key);
		json_decref(doc);
	}
	untimed(&a, &b, &la, &lb);
	if (c->host->compare(c->run, endpoint, &a, &b, &res, &e)) {
		record(c, feature ? feature : endpoint, case_name, summary, PH_ERROR, NULL, e.msg);
		goto out;
	}
	record_timed(c, feature ? feature : res.rule, case_name, summary, &res, la, lb);
	c->host->result_release(&res);
out:
	c->host->response_release(&a);
	c->host->response_release(&b);
	return status;
}

/* The value the stores should hold under name, or NULL. */
static struct known *known_find(struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_k; i++)
		if (c->k[i].live && !strcmp(c->k[i].name, name))
			return &c->k[i];
	return NULL;
}

/* The secret name of "/api/secrets/NAME" (not exec), or NULL. */
static const char *secret_of_path(const char *path, char *buf, size_t cap)
{
	const char *p = path + strlen("/api/secrets/");

	if (strncmp(path, "/api/secrets/", strlen("/api/secrets/")) || !*p || strchr(p, '/') ||
	    strchr(p, '?') || !strcmp(p, "exec") || strlen(p) >= cap)
		return NULL;
	snprintf(buf, cap, "%s", p);
	return buf;
}

/* Collect the values the suite stores (they are scrubbed from every answer). */
static int collect_values(struct ctx *c, const json_t *cases, struct ph_err *err)
{
	const json_t *cs;
	size_t i;

	json_array_foreach(cases, i, cs)
	{
		const char *method = json_string_value(json_object_get(cs, "method"));
		const char *path = json_string_value(json_object_get(cs, "path"));
		const char *value =
		    json_string_value(json_object_get(json_object_get(cs, "body"), "value"));
		char name[256];
		struct known *k;

		if (!method || !path || !value || strcmp(method, "POST") ||
		    !secret_of_path(path, name, sizeof(name)))
			continue;
		if (strchr(value, '"') || strchr(value, '\\'))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': a stored value may not hold '\"' or '\\' "
					"(answers are scrubbed of the raw bytes)",
					c->host->suite_dir(c->run),
					json_string_value(json_object_get(cs, "name")));
		k = realloc(c->k, (c->n_k + 1) * sizeof(*k));
		if (!k)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		c->k = k;
		k[c->n_k].name = strdup(name);
		k[c->n_k].value = strdup(value);
		k[c->n_k].live = 0;
		if (!k[c->n_k].name || !k[c->n_k].value)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		c->n_k++;
	}
	return 0;
}

static void api_phase(struct ctx *c, const json_t *cases)
{
	const json_t *cs;
	size_t i;

	json_array_foreach(cases, i, cs)
	{
		const char *method = json_string_value(json_object_get(cs, "method"));
		const char *path = json_string_value(json_object_get(cs, "path"));
		const char *value =
		    json_string_value(json_object_get(json_object_get(cs, "body"), "value"));
		json_t *body = json_object_get(cs, "body");
		char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		char name[256];
		long st;

		st = step(c, json_string_value(json_object_get(cs, "feature")),
			  json_string_value(json_object_get(cs, "name")), method, path, text,
			  json_string_value(json_object_get(cs, "count")));
		if (text) {
			sodium_memzero(text, strlen(text));
			free(text);
		}
		/* what the stores now hold, by the reference's answer */
		if (st == 200 && secret_of_path(path, name, sizeof(name))) {
			for (size_t j = 0; j < c->n_k; j++) {
				if (strcmp(c->k[j].name, name))
					continue;
				if (!strcmp(method, "DELETE"))
					c->k[j].live = 0;
				else if (!strcmp(method, "POST"))
					c->k[j].live = value && !strcmp(c->k[j].value, value);
			}
		}
		c->host->progress(c->run, (int)i + 1, (int)json_array_size(cases) + 3);
	}
}

/* ---- the files ---- */

static char *store_of(struct ctx *c, enum ph_side side)
{
	const char *ws = c->host->workspace(c->run, side);
	size_t n = strlen(ws) + sizeof("/.secrets/secrets.enc");
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/.secrets/secrets.enc", ws);
	return p;
}

/* The file's JSON with every ciphertext replaced by a marker (values never compared). */
static json_t *envelope(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL), *e;
	const char *k;

	json_object_foreach(json_object_get(doc, "secrets"), k, e)
	{
		if (json_is_string(json_object_get(e, "ciphertext")))
			json_object_set_new(e, "ciphertext", json_string("<ciphertext>"));
	}
	return doc;
}

static void format_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *a = envelope(pa), *b = envelope(pb);
	struct ph_result res = {0};
	struct ph_err e;
	char summary[64];

	if (!a) {
		record(c, F_FORMAT, "secrets.enc envelope", "no readable file", PH_ERROR, NULL,
		       "the reference runtime left no readable .secrets/secrets.enc");
	} else if (!b) {
		res_add(&res, PH_STRUCTURAL, "missing", "", json_string("secrets.enc"), NULL,
			"the candidate left no readable JSON .secrets/secrets.enc");
		record(c, F_FORMAT, "secrets.enc envelope", "JSON envelope", PH_PARITY, &res, NULL);
		res_free(&res);
	} else if (c->host->compare_json(c->run, "SECRETS /file", a, b, &res, &e)) {
		record(c, F_FORMAT, "secrets.enc envelope", "JSON envelope", PH_ERROR, NULL, e.msg);
	} else {
		snprintf(summary, sizeof(summary), "version %lld, %zu entries",
			 (long long)json_integer_value(json_object_get(a, "version")),
			 json_object_size(json_object_get(a, "secrets")));
		record(c, F_FORMAT, "secrets.enc envelope", summary, PH_PARITY, &res, NULL);
		c->host->result_release(&res);
	}
	json_decref(a);
	json_decref(b);
}

/* The status secrets_check gave name in report, or NULL when it has no such entry. */
static const char *status_of(const json_t *report, const char *name)
{
	const json_t *ent;
	size_t i;

	json_array_foreach(json_object_get(report, "entries"), i, ent)
	{
		if (!strcmp(json_string_value(json_object_get(ent, "name")), name))
			return json_string_value(json_object_get(ent, "status"));
	}
	return NULL;
}

/*
 * secrets_check of both files, entry by entry: what matters is that the candidate's
 * entries open as the reference's do. An entry that decrypts on one side and not on the
 * other is structural (the other runtime cannot read it); the same status on both sides
 * is parity, also when neither encrypts (two instances of a runtime that stores plain
 * base64 agree with each other). A reference entry that fails the MAC means the key is
 * not the runtime's: the configured machine id is wrong, and nothing can be judged. The
 * candidate's entries that fail where the reference's open are remembered.
 */
static void decrypts_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *ra = NULL, *rb = NULL, *ent;
	struct ph_result res = {0};
	struct ph_err e;
	char summary[160], msg[500], path[300];
	size_t i;

	if (c->host->secrets_check(c->run, pa, c->mid[PH_REFERENCE], &ra, &e)) {
		record(c, F_DECRYPTS, "check", "not checked", PH_ERROR, NULL, e.msg);
		return;
	}
	json_array_foreach(json_object_get(ra, "entries"), i, ent)
	{
		if (!strcmp(json_string_value(json_object_get(ent, "status")),
			    "wrong key or corrupted (mac check failed)")) {
			record(c, F_DECRYPTS, "check", "entries fail", PH_ERROR, NULL,
			       "the reference runtime's own secrets.enc does not decrypt with the "
			       "derived key: is its machine id the one configured "
			       "(SIGNET_MACHINE_ID)?");
			json_decref(ra);
			return;
		}
	}
	snprintf(summary, sizeof(summary), "%lld of %zu decrypt",
		 (long long)json_integer_value(json_object_get(ra, "n_ok")),
		 json_array_size(json_object_get(ra, "entries")));
	if (json_integer_value(json_object_get(ra, "n_failed")))
		snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary),
			 " (the others: %s)",
			 json_string_value(json_object_get(
				 json_array_get(json_object_get(ra, "entries"), 0), "status")));
	if (c->host->secrets_check(c->run, pb, c->mid[PH_CANDIDATE], &rb, &e)) {
		/* not a secrets file at all: the envelope row says what differs */
		res_add(&res, PH_STRUCTURAL, "unreadable", "", NULL, NULL, e.msg);
	} else {
		json_array_foreach(json_object_get(rb, "entries"), i, ent)
		{
			const char *name = json_string_value(json_object_get(ent, "name"));
			const char *st = json_string_value(json_object_get(ent, "status"));
			const char *ref = status_of(ra, name);

			if (!ref || !strcmp(st, ref))
				continue; /* a missing entry is the values row's to report */
			snprintf(path, sizeof(path), "secrets.%s", name);
			if (!strcmp(ref, "ok")) {
				json_array_append_new(c->cand_failed, json_string(name));
				snprintf(msg, sizeof(msg),
					 "the candidate's entry does not decrypt with the derived "
					 "key: %s",
					 st);
			} else {
				snprintf(msg, sizeof(msg),
					 "the entries are stored differently: the reference's %s, the "
					 "candidate's %s",
					 ref, st);
			}
			res_add(&res, PH_STRUCTURAL, "decrypt", path, json_string(ref),
				json_string(st), msg);
		}
	}
	c->failed_b = json_array_size(c->cand_failed) > 0;
	record(c, F_DECRYPTS, "check", summary, PH_PARITY, &res, NULL);
	res_free(&res);
	json_decref(ra);
	json_decref(rb);
}

static int cand_failed(const struct ctx *c, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(c->cand_failed, i, v)
	{
		if (!strcmp(json_string_value(v), name))
			return 1;
	}
	return 0;
}

static void values_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *rep = NULL, *d;
	struct ph_result res = {0};
	struct ph_err e;
	char summary[160], path[300], msg[400];
	size_t i, skipped = 0;

	if (c->host->secrets_verify(c->run, pa, pb, c->mid[PH_REFERENCE], c->mid[PH_CANDIDATE],
				    &rep, &e)) {
		record(c, F_VALUES, "verify", "not compared", PH_ERROR, NULL, e.msg);
		return;
	}
	json_array_foreach(json_object_get(rep, "diffs"), i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *kind = json_string_value(json_object_get(d, "kind"));

		snprintf(path, sizeof(path), "secrets.%s", name);
		if (!strcmp(kind, "does not decrypt in b") ||
		    !strcmp(kind, "does not decrypt in a")) {
			/* filed under "decrypts with derived key" */
			skipped++;
		} else if (!strcmp(kind, "only in a")) {
			res_add(&res, PH_STRUCTURAL, "missing", path, json_string(name), NULL,
				"the candidate's store lost this secret");
		} else if (!strcmp(kind, "only in b")) {
			res_add(&res, PH_STRUCTURAL, "extra", path, NULL, json_string(name),
				"the candidate's store holds a secret the reference's does not");
		} else {
			snprintf(msg, sizeof(msg),
				 "the plaintexts differ (compared as keyed hashes)");
			res_add(&res, PH_SEMANTIC, "value", path, NULL, NULL, msg);
		}
	}
	snprintf(summary, sizeof(summary), "%lld identical%s",
		 (long long)json_integer_value(json_object_get(rep, "n_same")),
		 skipped ? ", some not comparable (see decrypts with derived key)" : "");
	record(c, F_VALUES, "verify", summary, PH_PARITY, &res, NULL);
	res_free(&res);
	json_decref(rep);
}

/* ---- roundtrip ---- */

/* Stop side, copy src (under src_mid) to its store (under its machine id), start it. */
static int give(struct ctx *c, enum ph_side side, const char *src, const char *src_mid,
		struct ph_err *err)
{
	char *dst = store_of(c, side);
	int rc;

	if (!dst)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = c->host->runtime_stop(c->run, side, 0, err);
	if (!rc)
		rc = c->host->secrets_copy(c->run, src, src_mid, dst, c->mid[side], err);
	if (!rc)
		rc = c->host->runtime_restart(c->run, side, NULL, err);
	free(dst);
	return rc;
}

/* The probe's line for a value, as the runtimes should print it. */
static void expected_probe(const struct ctx *c, const char *value, char *out, size_t cap)
{
	unsigned char d[32];
	char hex[65];

	crypto_generichash(d, sizeof(d), (const unsigned char *)value, strlen(value), c->key,
			   sizeof(c->key));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	snprintf(out, cap, "set digest=%s\n", hex);
}

/*
 * What the reference printed for a probe (the answer's stdout, or its job's result.stdout),
 * or NULL; scrubbed; caller frees.
 */
static char *probe_stdout(const struct ph_response *r)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *s = json_string_value(json_object_get(doc, "stdout"));

	if (!s)
		s = json_string_value(json_object_get(json_object_get(doc, "result"), "stdout"));
	char *out = s ? strdup(s) : NULL;

	json_decref(doc);
	return out;
}

/*
 * Both runtimes now run on the same file: list on both, then resolve every name the
 * reference lists on both through the probe. known: the suite's values apply (check the
 * reference's digests against them).
 */
static void roundtrip_rows(struct ctx *c, const char *feature, int known, int attribute)
{
	struct ph_request req = {.method = "GET", .path = "/api/secrets"};
	struct ph_response lr;
	struct ph_err e;
	json_t *doc, *names, *nv;
	size_t i;

	step(c, feature, "list", "GET", "/api/secrets", NULL, "secrets");
	if (c->host->http(c->run, PH_REFERENCE, &req, &lr, &e)) {
		c->host->response_release(&lr);
		return;
	}
	doc = json_loadb(lr.body ? lr.body : "", lr.body_len, 0, NULL);
	c->host->response_release(&lr);
	names = json_object_get(doc, "secrets");
	json_array_foreach(names, i, nv)
	{
		const char *name = json_string_value(nv);
		struct ph_request pr = {.method = "POST", .path = "/api/secrets/exec"};
		struct ph_response a, b;
		struct ph_result res = {0};
		struct ph_header h = {"Content-Type", "application/json"};
		const char *f = feature;
		char *body, case_name[300], summary[64], want[128], *got = NULL, command[1200];
		double la, lb;
		json_t *bj;
		struct known *k = known ? known_find(c, name) : NULL;

		if (!name)
			continue;
		snprintf(command, sizeof(command), "%s %s %s", c->probe, PROBE_VAR, c->keyfile);
		bj = json_pack("{s:s, s:{s:s}}", "command", command, "secrets", PROBE_VAR, name);
		body = bj ? json_dumps(bj, JSON_COMPACT) : NULL;
		json_decref(bj);
		if (!body)
			continue;
		pr.body = body;
		pr.body_len = strlen(body);
		pr.headers = &h;
		pr.n_headers = 1;
		snprintf(case_name, sizeof(case_name), "resolve %s", name);
		if (attribute && cand_failed(c, name)) {
			f = F_DECRYPTS; /* the candidate's entry was already found not to decrypt */
			k = NULL;	/* and the reference cannot be expected to resolve it */
			snprintf(case_name, sizeof(case_name), "%s: resolve %s", feature, name);
		}
		c->host->http(c->run, PH_REFERENCE, &pr, &a, &e);
		c->host->http(c->run, PH_CANDIDATE, &pr, &b, &e);
		exec_settle(c, PH_REFERENCE, &a);
		exec_settle(c, PH_CANDIDATE, &b);
		scrub(c, &a);
		scrub(c, &b);
		if (a.error || b.error) {
			record(c, f, case_name, a.error ? "no answer" : "answered", PH_ERROR, NULL,
			       a.error ? a.error : b.error);
		} else if (untimed(&a, &b, &la, &lb),
			   c->host->compare(c->run, "POST /api/secrets/exec", &a, &b, &res, &e)) {
			record(c, f, case_name, "compared", PH_ERROR, NULL, e.msg);
		} else {
			got = a.status == 200 || a.status == 202 ? probe_stdout(&a) : NULL;
			snprintf(summary, sizeof(summary), "%ld, %s", a.status,
				 got && !strncmp(got, "set ", 4) ? "resolved" : "not resolved");
			if (k && k->live)
				expected_probe(c, k->value, want, sizeof(want));
			if (k && k->live && (!got || strcmp(got, want)))
				record(c, f, case_name, summary, PH_ERROR, NULL,
				       "the reference runtime does not resolve the value the suite "
				       "stored under this name");
			else
				record_timed(c, f, case_name, summary, &res, la, lb);
			c->host->result_release(&res);
		}
		free(got);
		free(body);
		c->host->response_release(&a);
		c->host->response_release(&b);
	}
	json_decref(doc);
}

static int copy_file(struct ctx *c, const char *src, const char *dst, const char *mid,
		     struct ph_err *err)
{
	return c->host->secrets_copy(c->run, src, mid, dst, mid, err);
}

static void roundtrip(struct ctx *c, const char *pa, const char *pb)
{
	char saved_a[128], saved_b[128];
	struct ph_err e;

	snprintf(saved_a, sizeof(saved_a), "%s/reference.enc", c->tmp);
	snprintf(saved_b, sizeof(saved_b), "%s/candidate.enc", c->tmp);
	if (copy_file(c, pa, saved_a, c->mid[PH_REFERENCE], &e) ||
	    copy_file(c, pb, saved_b, c->mid[PH_CANDIDATE], &e)) {
		record(c, F_RT_REF, "setup", "not run", PH_ERROR, NULL, e.msg);
		return;
	}
	/* the reference's file to the candidate: both now read what the reference wrote */
	if (give(c, PH_CANDIDATE, saved_a, c->mid[PH_REFERENCE], &e))
		record(c, F_RT_REF, "setup", "not run", PH_ERROR, NULL, e.msg);
	else
		roundtrip_rows(c, F_RT_REF, 1, 0);
	/* and the reverse: both read what the candidate wrote */
	if (give(c, PH_REFERENCE, saved_b, c->mid[PH_CANDIDATE], &e) ||
	    give(c, PH_CANDIDATE, saved_b, c->mid[PH_CANDIDATE], &e))
		record(c, F_RT_CAND, "setup", "not run", PH_ERROR, NULL, e.msg);
	else
		roundtrip_rows(c, F_RT_CAND, 1, 1);
	unlink(saved_a);
	unlink(saved_b);
}

/* --secrets-file F --machine-id ID: a copy of a real store given to both runtimes. */
static void real_file(struct ctx *c, const char *file, const char *mid)
{
	json_t *rep = NULL;
	struct ph_err e;
	char summary[128];

	if (c->host->secrets_check(c->run, file, mid, &rep, &e)) {
		record(c, F_RT_REAL, "check", "not run", PH_ERROR, NULL, e.msg);
		return;
	}
	snprintf(summary, sizeof(summary), "%lld of %zu decrypt",
		 (long long)json_integer_value(json_object_get(rep, "n_ok")),
		 json_array_size(json_object_get(rep, "entries")));
	if (json_integer_value(json_object_get(rep, "n_failed")))
		record(c, F_RT_REAL, "check", summary, PH_ERROR, NULL,
		       "entries of the given secrets file do not decrypt under the given machine "
		       "id (parity secrets check says which and why)");
	json_decref(rep);
	/* the file is only read: secrets_copy writes the runtimes' stores */
	if (give(c, PH_REFERENCE, file, mid, &e) || give(c, PH_CANDIDATE, file, mid, &e)) {
		record(c, F_RT_REAL, "setup", "not run", PH_ERROR, NULL, e.msg);
		return;
	}
	roundtrip_rows(c, F_RT_REAL, 0, 0);
}

/* ---- the run ---- */

static int make_keyfile(struct ctx *c, struct ph_err *err)
{
	char hex[2 * sizeof(c->key) + 2];
	FILE *f;

	snprintf(c->tmp, sizeof(c->tmp), "/tmp/parity-secrets-XXXXXX");
	if (!mkdtemp(c->tmp)) {
		c->tmp[0] = '\0';
		return ph_error(err, PH_E_IO, "cannot make a temporary folder in /tmp");
	}
	snprintf(c->keyfile, sizeof(c->keyfile), "%s/probe.key", c->tmp);
	randombytes_buf(c->key, sizeof(c->key));
	sodium_bin2hex(hex, sizeof(hex), c->key, sizeof(c->key));
	f = fopen(c->keyfile, "w");
	if (!f || fprintf(f, "%s\n", hex) < 0 || fclose(f)) {
		return ph_error(err, PH_E_IO, "cannot write '%s'", c->keyfile);
	}
	return 0;
}

static int secrets_run(void *state, const struct ph_host *host, struct ph_run *run,
		       struct ph_err *err)
{
	struct ctx c = {.host = host, .run = run};
	json_t *cases = NULL;
	char *pa = NULL, *pb = NULL;
	const char *file = host->param(run, "secrets-file");
	int rc;

	(void)state;
	if (host->size < offsetof(struct ph_host, canon_add) + sizeof(host->canon_add))
		return ph_error(err, PH_E_INVALID, "the host is too old for the secrets domain");
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "libsodium could not be initialised");
	c.probe = getenv("PARITY_SECRETS_PROBE");
	if (!c.probe || !*c.probe)
		c.probe = SECRETS_PROBE;
	if (access(c.probe, X_OK))
		return ph_error(err, PH_E_NOTFOUND, "secrets-probe not found at '%s'", c.probe);
	c.mid[PH_REFERENCE] = host->runtime_env(run, PH_REFERENCE, "SIGNET_MACHINE_ID");
	c.mid[PH_CANDIDATE] = host->runtime_env(run, PH_CANDIDATE, "SIGNET_MACHINE_ID");
	c.cand_failed = json_array();
	if ((rc = ph_suite_load_dir(host->suite_dir(run), &cases, err)) ||
	    (rc = collect_values(&c, cases, err)) || (rc = make_keyfile(&c, err)))
		goto out;
	host->progress(run, 0, (int)json_array_size(cases) + 3);
	api_phase(&c, cases);
	if (!(pa = store_of(&c, PH_REFERENCE)) || !(pb = store_of(&c, PH_CANDIDATE))) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	format_row(&c, pa, pb);
	decrypts_row(&c, pa, pb);
	values_row(&c, pa, pb);
	host->progress(run, (int)json_array_size(cases) + 1, (int)json_array_size(cases) + 3);
	roundtrip(&c, pa, pb);
	host->progress(run, (int)json_array_size(cases) + 2, (int)json_array_size(cases) + 3);
	if (file)
		real_file(&c, file, host->param(run, "machine-id"));
	host->progress(run, (int)json_array_size(cases) + 3, (int)json_array_size(cases) + 3);
out:
	if (c.tmp[0]) {
		unlink(c.keyfile);
		rmdir(c.tmp);
	}
	sodium_memzero(c.key, sizeof(c.key));
	for (size_t i = 0; i < c.n_k; i++) {
		sodium_memzero(c.k[i].value, strlen(c.k[i].value));
		free(c.k[i].value);
		free(c.k[i].name);
	}
	free(c.k);
	free(pa);
	free(pb);
	json_decref(cases);
	json_decref(c.cand_failed);
	return rc;
}

static const struct ph_plugin plugin = {
    PH_PLUGIN_HEADER,
    .name = "secrets",
    .version = "1.0.0",
    .description = "secrets API, secrets.enc format and keys, cross-runtime roundtrip, exec "
		   "redaction",
    .run = secrets_run,
};

const struct ph_plugin *ph_secrets_plugin(void);

const struct ph_plugin *ph_secrets_plugin(void)
{
	return &plugin;
}
