/*
 * Performance measurement (perf.h): latency distributions, /proc sampling of a runtime's
 * process tree for RSS and CPU time, targets over candidate/reference ratios, and the
 * performance phase of `parity run` that fills metrics.perf. The phase talks to the
 * runtimes through the session's HTTP connections directly (no plugin, no comparison):
 * it measures, it does not judge parity.
 */
#include "measure/perf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/interrupt.h"
#include "matrix/matrix.h"
#include "parity/jsonio.h"
#include "parity/suite.h"
#include "runtime/runtime.h"
#include "run/session.h"

static const char *const roles[] = { "reference", "candidate" };

/* ---- distributions --------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

double ph_perf_quantile(const double *sorted, size_t n, double q)
{
	size_t rank;

	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	rank = (size_t)ceil(q * (double)n); /* nearest rank, 1-based */
	return sorted[rank ? rank - 1 : 0];
}

int ph_perf_dist_compute(const double *ms, size_t n, struct ph_perf_dist *d, struct ph_err *err)
{
	double *v, sum = 0;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (!n)
		return ph_error(err, PH_E_INVALID, "no latency samples");
	for (i = 0; i < n; i++)
		if (!(ms[i] >= 0) || isinf(ms[i]))
			return ph_error(err, PH_E_INVALID, "latency sample %zu is not a duration", i);
	if (!(v = malloc(n * sizeof(*v))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memcpy(v, ms, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	d->n = n;
	d->min = v[0];
	d->max = v[n - 1];
	d->mean = sum / (double)n;
	d->p50 = ph_perf_quantile(v, n, 0.50);
	d->p95 = ph_perf_quantile(v, n, 0.95);
	d->p99 = ph_perf_quantile(v, n, 0.99);
	for (i = 0; i < PH_PERF_CDF_POINTS; i++)
		d->cdf[i] = ph_perf_quantile(v, n, (double)i / (PH_PERF_CDF_POINTS - 1));
	free(v);
	return 0;
}

/* Milliseconds rounded to microseconds, so reports stay readable. */
static json_t *ms_value(double ms)
{
	return json_real(round(ms * 1000.0) / 1000.0);
}

json_t *ph_perf_dist_json(const struct ph_perf_dist *d)
{
	json_t *cdf = json_array();
	size_t i;

	for (i = 0; i < PH_PERF_CDF_POINTS; i++)
		json_array_append_new(cdf, ms_value(d->cdf[i]));
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)d->n,
			 "min_ms", ms_value(d->min), "p50_ms", ms_value(d->p50), "p95_ms",
			 ms_value(d->p95), "p99_ms", ms_value(d->p99), "max_ms", ms_value(d->max),
			 "mean_ms", ms_value(d->mean), "cdf_ms", cdf);
}

/* ---- /proc: the process tree walk is runtime.c's ---------------------------------- */

struct sample {
	struct ph_perf_proc *out;
	long root;
	int root_seen;
	double hz;
};

static void add_proc(const struct ph_proc *p, void *arg)
{
	struct sample *s = arg;
	long kb;

	if (p->pid == s->root)
		s->root_seen = 1;
	s->out->procs++;
	s->out->cpu_ms += p->cpu_ticks * 1000.0 / (s->hz > 0 ? s->hz : 100.0);
	if ((kb = ph_proc_rss_kb(p->pid)) > 0)
		s->out->rss_kb += kb;
}

int ph_perf_proc_sample(long pid, struct ph_perf_proc *out, struct ph_err *err)
{
	struct sample s = {out, pid, 0, (double)sysconf(_SC_CLK_TCK)};
	int rc;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return ph_error(err, PH_E_NOTFOUND, "process %ld is not running", pid);
	/* the group is pid's only when pid leads it: a group id is never a live process's
	 * pid unless that process is its leader */
	if ((rc = ph_proc_tree((pid_t)pid, (pid_t)pid, add_proc, &s, err)) < 0)
		return rc;
	if (!s.root_seen) {
		memset(out, 0, sizeof(*out));
		return ph_error(err, PH_E_NOTFOUND, "process %ld is not running", pid);
	}
	return 0;
}

/* ---- options and targets ---------------------------------------------------------- */

void ph_perf_opts_init(struct ph_perf_opts *o)
{
	o->requests = PH_PERF_REQUESTS_DEFAULT;
	o->warmup = PH_PERF_WARMUP_DEFAULT;
	o->idle_ms = PH_PERF_IDLE_MS_DEFAULT;
	o->targets = NULL;
}

void ph_perf_opts_release(struct ph_perf_opts *o)
{
	json_decref(o->targets);
	o->targets = NULL;
}

int ph_perf_target_parse(const char *expr, const char *what, struct ph_perf_target *t,
			 struct ph_err *err)
{
	static const char *const ops[] = { "<=", ">=", "==", "<", ">" };
	const char *p = expr;
	char *end;
	size_t i;

	memset(t, 0, sizeof(*t));
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i], strlen(ops[i])))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		goto bad;
	strcpy(t->op, ops[i]);
	p += strlen(ops[i]);
	while (*p == ' ')
		p++;
	errno = 0;
	t->value = strtod(p, &end);
	if (end == p || errno || !isfinite(t->value))
		goto bad;
	while (*end == ' ')
		end++;
	if (*end)
		goto bad;
	return 0;
bad:
	return ph_error(err, PH_E_INVALID,
			"%s: expected \"<op> <number>\" with op one of <= < >= > ==, got '%s'", what,
			expr);
}

int ph_perf_target_met(const struct ph_perf_target *t, double v)
{
	if (!strcmp(t->op, "<="))
		return v <= t->value;
	if (!strcmp(t->op, "<"))
		return v < t->value;
	if (!strcmp(t->op, ">="))
		return v >= t->value;
	if (!strcmp(t->op, ">"))
		return v > t->value;
	return fabs(v - t->value) <= 1e-9 * (fabs(t->value) > 1 ? fabs(t->value) : 1);
}

static int check_targets_object(const json_t *targets, const char *source, struct ph_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(targets))
		return ph_error(err, PH_E_INVALID,
				"%s: expected an object {\"idle_rss_ratio\": \"<= 0.1\", ...}", source);
	json_object_foreach((json_t *)targets, k, v)
	{
		struct ph_perf_target t;
		char what[512];

		snprintf(what, sizeof(what), "%s.%s", source, k);
		if (!json_is_string(v))
			return ph_error(err, PH_E_INVALID, "%s: expected a string \"<op> <number>\"",
					what);
		if (ph_perf_target_parse(json_string_value(v), what, &t, err))
			return PH_E_INVALID;
	}
	return 0;
}

int ph_perf_opts_parse(struct ph_perf_opts *o, const json_t *perf, const char *source,
		       struct ph_err *err)
{
	static const char *const keys[] = { "requests", "warmup", "idle_ms" };
	static const long lo[] = { 1, 0, 0 }, hi[] = { 1000000, 100000, 3600000 };
	long vals[3] = { o->requests, o->warmup, o->idle_ms };
	json_t *t;
	size_t i;
	int rc;

	if (!perf)
		return 0;
	if (!json_is_object(perf))
		return ph_error(err, PH_E_INVALID, "%s: perf: expected an object", source);
	for (i = 0; i < 3; i++) {
		json_t *v = json_object_get(perf, keys[i]);

		if (!v)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < lo[i] ||
		    json_integer_value(v) > hi[i])
			return ph_error(err, PH_E_INVALID, "%s: perf.%s: expected an integer from %ld "
					"to %ld", source, keys[i], lo[i], hi[i]);
		vals[i] = (long)json_integer_value(v);
	}
	t = json_object_get(perf, "targets");
	if (t) {
		char where[512];

		snprintf(where, sizeof(where), "%s: perf.targets", source);
		if ((rc = check_targets_object(t, where, err)))
			return rc;
		json_decref(o->targets);
		o->targets = json_deep_copy(t);
		if (!o->targets)
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	o->requests = (int)vals[0];
	o->warmup = (int)vals[1];
	o->idle_ms = vals[2];
	return 0;
}

int ph_perf_targets_parse_arg(const char *arg, json_t **targets, struct ph_err *err)
{
	char *copy = strdup(arg), *save = NULL, *item;
	int rc = 0;

	*targets = json_object();
	if (!copy || !*targets) {
		free(copy);
		json_decref(*targets);
		*targets = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		struct ph_perf_target t;
		char *op = strpbrk(item, "<>="), *name = item, *e;
		char what[300];

		while (*name == ' ')
			name++;
		if (!op || op == name) {
			rc = ph_error(err, PH_E_INVALID,
				      "--targets: '%s': expected NAME<=NUMBER (also < >= > ==)", item);
			break;
		}
		for (e = op; e > name && e[-1] == ' '; e--)
			;
		snprintf(what, sizeof(what), "--targets: %.*s", (int)(e - name), name);
		if ((rc = ph_perf_target_parse(op, what, &t, err)))
			break;
		{
			char key[256], expr[64];

			snprintf(key, sizeof(key), "%.*s", (int)(e - name), name);
			snprintf(expr, sizeof(expr), "%s %g", t.op, t.value);
			json_object_set_new(*targets, key, json_string(expr));
		}
	}
	if (!rc && !json_object_size(*targets))
		rc = ph_error(err, PH_E_INVALID, "--targets: expected NAME<=NUMBER[,...]");
	free(copy);
	if (rc) {
		json_decref(*targets);
		*targets = NULL;
	}
	return rc;
}

int ph_perf_targets_from_config(const char *path, json_t **targets, struct ph_err *err)
{
	json_t *doc = NULL, *t;
	char where[1100];
	int rc;

	*targets = NULL;
	if ((rc = ph_json_load_file(path, &doc, err)))
		return rc;
	t = json_object_get(json_object_get(doc, "perf"), "targets");
	snprintf(where, sizeof(where), "%s: perf.targets", path);
	if (t && !(rc = check_targets_object(t, where, err)))
		*targets = json_incref(t);
	json_decref(doc);
	return rc;
}

int ph_perf_targets_check(const json_t *targets, const json_t *ratios, json_t **results,
			  struct ph_err *err)
{
	const char *k;
	json_t *v;
	int rc;

	*results = json_array();
	if (!*results)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = check_targets_object(targets, "targets", err))) {
		json_decref(*results);
		*results = NULL;
		return rc;
	}
	json_object_foreach((json_t *)targets, k, v)
	{
		struct ph_perf_target t;
		json_t *r = json_object_get(ratios, k), *met;

		ph_perf_target_parse(json_string_value(v), k, &t, NULL);
		if (json_is_number(r))
			met = json_boolean(ph_perf_target_met(&t, json_number_value(r)));
		else
			met = json_null();
		json_array_append_new(*results,
				      json_pack("{s:s, s:s, s:O, s:o}", "target", k, "expr",
						json_string_value(v), "value",
						json_is_number(r) ? r : json_null(), "met", met));
	}
	return 0;
}

/* ---- ratios ------------------------------------------------------------------------ */

static json_t *ratio(const json_t *ref, const json_t *cand)
{
	double a, b;

	if (!json_is_number(ref) || !json_is_number(cand))
		return json_null();
	a = json_number_value(ref);
	b = json_number_value(cand);
	if (!(a > 0))
		return json_null();
	return json_real(round(b / a * 10000.0) / 10000.0);
}

json_t *ph_perf_ratios(const json_t *reference, const json_t *candidate)
{
	static const char *const top[][2] = { { "startup_ratio", "startup_ms" },
					      { "idle_rss_ratio", "idle_rss_kb" },
					      { "peak_rss_ratio", "peak_rss_kb" },
					      { "cpu_ratio", "cpu_ms" } };
	static const char *const lat[][2] = { { "p50_ratio", "p50_ms" },
					      { "p95_ratio", "p95_ms" },
					      { "p99_ratio", "p99_ms" },
					      { "max_ratio", "max_ms" } };
	json_t *out = json_object(), *eps = json_object(), *re = json_object_get(reference,
										 "endpoints");
	const char *ep;
	json_t *rd;
	size_t i;

	if (!out || !eps) {
		json_decref(out);
		json_decref(eps);
		return NULL;
	}
	for (i = 0; i < 4; i++)
		json_object_set_new(out, top[i][0],
				    ratio(json_object_get(reference, top[i][1]),
					  json_object_get(candidate, top[i][1])));
	for (i = 0; i < 4; i++)
		json_object_set_new(out, lat[i][0], json_null());
	json_object_foreach(re, ep, rd)
	{
		json_t *cd = json_object_get(json_object_get(candidate, "endpoints"), ep);
		json_t *one;

		if (!cd)
			continue;
		one = json_object();
		for (i = 0; i < 4; i++) {
			json_t *r = ratio(json_object_get(rd, lat[i][1]),
					  json_object_get(cd, lat[i][1]));
			json_t *worst = json_object_get(out, lat[i][0]);

			if (json_is_number(r) &&
			    (!json_is_number(worst) || json_number_value(r) > json_number_value(worst)))
				json_object_set(out, lat[i][0], r);
			json_object_set_new(one, lat[i][0], r);
		}
		json_object_set_new(eps, ep, one);
	}
	json_object_set_new(out, "endpoints", eps);
	return out;
}

/* ---- the phase --------------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One endpoint measured: its usable cases and the samples per side. */
struct endpoint {
	char *key;                   /* "POST /api/memory/recall" */
	const json_t **cases;        /* borrowed from the suite */
	char **bodies;               /* the cases' bodies as text, or NULL */
	size_t n_cases;
	double *ms[2];
	size_t n_ms;
};

struct phase {
	struct ph_session *s;
	struct endpoint ep[2];
	size_t n_ep;
	long peak_rss[2];
	struct ph_err err;
	json_t *skipped;             /* endpoint -> why it was not measured */
};

/* Free what an endpoint slot owns and zero it. */
static void endpoint_clear(struct endpoint *e)
{
	for (size_t i = 0; i < e->n_cases; i++)
		free(e->bodies[i]);
	free(e->bodies);
	free(e->cases);
	free(e->key);
	free(e->ms[0]);
	free(e->ms[1]);
	memset(e, 0, sizeof(*e));
}

static const char *const perf_paths[] = { "/api/memory/recall", "/api/memory/search" };

static void request_of(const json_t *c, const char *body, struct ph_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = json_string_value(json_object_get(c, "method"));
	req->path = json_string_value(json_object_get(c, "path"));
	if (body) {
		req->body = body;
		req->body_len = strlen(body);
	}
}

/* Pick the suites/read cases of the measured endpoints (no custom headers, JSON bodies). */
static int pick_cases(struct phase *ph, const json_t *cases, struct ph_err *err)
{
	const json_t *c;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		struct endpoint *e = &ph->ep[ph->n_ep];

		memset(e, 0, sizeof(*e));
		json_array_foreach(cases, i, c)
		{
			const char *m = json_string_value(json_object_get(c, "method"));
			const char *p = json_string_value(json_object_get(c, "path"));
			size_t len = strlen(perf_paths[k]);

			if (!m || !p || strncmp(p, perf_paths[k], len) || (p[len] && p[len] != '?') ||
			    json_object_get(c, "headers") || json_object_get(c, "body_text"))
				continue;
			if (!e->key) {
				size_t n = strlen(m) + len + 2;

				if (!(e->key = malloc(n)))
					return ph_error(err, PH_E_NOMEM, "out of memory");
				snprintf(e->key, n, "%s %s", m, perf_paths[k]);
			} else if (strncmp(e->key, m, strlen(m)) || e->key[strlen(m)] != ' ') {
				continue; /* another method on the same path */
			}
			{
				const json_t **nc = realloc(e->cases,
							    (e->n_cases + 1) * sizeof(*e->cases));
				char **nb;

				if (nc)
					e->cases = nc;
				nb = nc ? realloc(e->bodies, (e->n_cases + 1) * sizeof(*e->bodies)) :
					  NULL;
				if (!nb)
					return ph_error(err, PH_E_NOMEM, "out of memory");
				e->bodies = nb;
			}
			e->cases[e->n_cases] = c;
			e->bodies[e->n_cases] =
				json_object_get(c, "body") ?
					json_dumps(json_object_get(c, "body"),
						   JSON_COMPACT | JSON_ENCODE_ANY) :
					NULL;
			e->n_cases++;
		}
		if (e->n_cases)
			ph->n_ep++;
	}
	if (!ph->n_ep)
		return ph_error(err, PH_E_NOTFOUND,
				"%s/suites/read: no case for POST /api/memory/recall or GET "
				"/api/memory/search to measure",
				ph->s->cfg.repo);
	return 0;
}

static void sample_rss(struct phase *ph)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct ph_perf_proc p;

		if (!ph_perf_proc_sample(ph->s->side[i].pid, &p, NULL) && p.rss_kb > ph->peak_rss[i])
			ph->peak_rss[i] = p.rss_kb;
	}
}

/* Send one request to side; its latency in *ms. A transport failure or a non-2xx is < 0. */
static int send_one(struct phase *ph, int side, const struct ph_request *req, double *ms,
		    struct ph_err *err)
{
	struct ph_response r;
	int rc;

	if (ph_interrupted())
		return ph_error(err, PH_E_INTERRUPTED, "interrupted");
	rc = ph_http_send(ph->s->side[side].http, req, &r, err);
	if (!rc && (r.status < 200 || r.status > 299))
		rc = ph_error(err, PH_E_RUNTIME, "%s runtime answered %s %s with status %ld",
			      roles[side], req->method, req->path, r.status);
	else if (!rc && r.latency_ms < 0)
		rc = ph_error(err, PH_E_HTTP, "%s %s: no latency measured", req->method, req->path);
	*ms = r.latency_ms;
	ph_response_release(&r);
	return rc;
}

/* Warm-up: every case at least once per side; keep the cases both sides answer 2xx. */
static int warm_up(struct phase *ph, const struct ph_perf_opts *o, struct ph_err *err)
{
	size_t k, i, kept;
	int w;

	for (k = 0; k < ph->n_ep; k++) {
		struct endpoint *e = &ph->ep[k];

		for (i = 0; i < e->n_cases; i++) {
			struct ph_request req;
			struct ph_err ignored;
			double ms;
			int ok;

			request_of(e->cases[i], e->bodies[i], &req);
			ok = !send_one(ph, 0, &req, &ms, &ignored) && !send_one(ph, 1, &req, &ms, &ignored);
			if (ph_interrupted())
				return ph_error(err, PH_E_INTERRUPTED, "interrupted");
			if (!ok)
				e->cases[i] = NULL;
		}
		for (i = kept = 0; i < e->n_cases; i++) {
			if (!e->cases[i]) {
				free(e->bodies[i]);
				continue;
			}
			e->cases[kept] = e->cases[i];
			e->bodies[kept++] = e->bodies[i];
		}
		e->n_cases = kept;
		if (!kept) {
			/* an endpoint one runtime lacks is a finding of the read domain; the
			 * others are still measured */
			if (!ph->skipped)
				ph->skipped = json_object();
			json_object_set_new(ph->skipped, e->key,
					    json_string("no case of suites/read was answered 2xx "
							"by both runtimes"));
			ph_session_log(ph->s, "perf: %s not measured: no case answered 2xx by both",
				       e->key);
			endpoint_clear(e);
			memmove(e, e + 1, (ph->n_ep - k - 1) * sizeof(*e));
			memset(&ph->ep[ph->n_ep - 1], 0, sizeof(*e));
			ph->n_ep--;
			k--;
			continue;
		}
		for (w = 0; w < o->warmup; w++) {
			struct ph_request req;
			double ms;
			int rc;

			request_of(e->cases[w % kept], e->bodies[w % kept], &req);
			if ((rc = send_one(ph, w % 2, &req, &ms, err)) ||
			    (rc = send_one(ph, 1 - w % 2, &req, &ms, err)))
				return rc;
		}
	}
	return 0;
}

static int measure(struct phase *ph, const struct ph_perf_opts *o, struct ph_err *err)
{
	size_t k;
	int i, rc;
	double last = now_ms();

	for (k = 0; k < ph->n_ep; k++) {
		struct endpoint *e = &ph->ep[k];

		e->ms[0] = calloc((size_t)o->requests, sizeof(double));
		e->ms[1] = calloc((size_t)o->requests, sizeof(double));
		if (!e->ms[0] || !e->ms[1])
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (i = 0; i < o->requests; i++) {
		for (k = 0; k < ph->n_ep; k++) {
			struct endpoint *e = &ph->ep[k];
			struct ph_request req;
			int first = i % 2;

			request_of(e->cases[(size_t)i % e->n_cases], e->bodies[(size_t)i % e->n_cases],
				   &req);
			if ((rc = send_one(ph, first, &req, &e->ms[first][i], err)) ||
			    (rc = send_one(ph, 1 - first, &req, &e->ms[1 - first][i], err)))
				return rc;
			e->n_ms = (size_t)i + 1;
		}
		if (now_ms() - last >= 50) {
			sample_rss(ph);
			last = now_ms();
		}
	}
	return 0;
}

static void idle(long ms)
{
	double until = now_ms() + (double)ms;

	while (!ph_interrupted() && now_ms() < until) {
		double left = until - now_ms();
		struct timespec ts;

		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e6);
		nanosleep(&ts, NULL);
	}
}

static json_t *side_json(struct phase *ph, int side, const struct ph_perf_proc *idle_p,
			 double cpu_ms, struct ph_err *err)
{
	struct ph_side_state *st = &ph->s->side[side];
	json_t *o, *eps = json_object();
	size_t k;

	for (k = 0; k < ph->n_ep; k++) {
		struct ph_perf_dist d;

		if (ph_perf_dist_compute(ph->ep[k].ms[side], ph->ep[k].n_ms, &d, err)) {
			json_decref(eps);
			return NULL;
		}
		json_object_set_new(eps, ph->ep[k].key, ph_perf_dist_json(&d));
	}
	o = json_pack("{s:s, s:I, s:o, s:I, s:I, s:o, s:i, s:o}", "name",
		      ph->s->cfg.runtimes[side].name, "pid", (json_int_t)st->pid, "startup_ms",
		      ms_value(st->rt.startup_ms), "idle_rss_kb", (json_int_t)idle_p->rss_kb,
		      "peak_rss_kb", (json_int_t)ph->peak_rss[side], "cpu_ms", ms_value(cpu_ms),
		      "processes", idle_p->procs, "endpoints", eps);
	if (!o)
		ph_error(err, PH_E_NOMEM, "out of memory");
	return o;
}

static int phase_body(struct phase *ph, const struct ph_perf_opts *o, json_t *perf,
		      struct ph_err *err)
{
	struct ph_session *s = ph->s;
	struct ph_perf_proc idle_p[2], before[2], after[2];
	json_t *cases = NULL, *sides[2] = { NULL, NULL }, *ratios;
	char *dir;
	size_t n;
	int i, rc;

	n = strlen(s->cfg.repo) + sizeof("/suites/read");
	if (!(dir = malloc(n)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(dir, n, "%s/suites/read", s->cfg.repo);
	rc = ph_suite_load_dir(dir, &cases, err);
	free(dir);
	if (rc)
		return rc;
	if ((rc = pick_cases(ph, cases, err)) || (rc = ph_session_start(s, "perf", err)))
		goto out;
	ph_session_log(s, "perf: idle %ld ms, then %d requests per endpoint and runtime",
		       o->idle_ms, o->requests);
	idle(o->idle_ms);
	for (i = 0; i < 2; i++)
		if ((rc = ph_perf_proc_sample(s->side[i].pid, &idle_p[i], err))) {
			ph_error_prefix(err, "%s runtime after the idle period", roles[i]);
			goto out;
		}
	ph->peak_rss[0] = idle_p[0].rss_kb;
	ph->peak_rss[1] = idle_p[1].rss_kb;
	if ((rc = warm_up(ph, o, err)))
		goto out;
	if (!ph->n_ep) {
		rc = ph_error(err, PH_E_RUNTIME,
			      "no endpoint to measure: no case of suites/read was answered 2xx by "
			      "both runtimes");
		goto out;
	}
	for (i = 0; i < 2; i++)
		if ((rc = ph_perf_proc_sample(s->side[i].pid, &before[i], err)))
			goto out;
	if ((rc = measure(ph, o, err)))
		goto out;
	for (i = 0; i < 2; i++)
		if ((rc = ph_perf_proc_sample(s->side[i].pid, &after[i], err)))
			goto out;
	sample_rss(ph);
	for (i = 0; i < 2; i++) {
		if (after[i].rss_kb > ph->peak_rss[i])
			ph->peak_rss[i] = after[i].rss_kb;
		if (!(sides[i] = side_json(ph, i, &idle_p[i], after[i].cpu_ms - before[i].cpu_ms,
					   err))) {
			rc = err->code ? err->code : PH_E_NOMEM;
			goto out;
		}
	}
	ratios = ph_perf_ratios(sides[0], sides[1]);
	json_object_set_new(perf, "reference", sides[0]);
	json_object_set_new(perf, "candidate", sides[1]);
	sides[0] = sides[1] = NULL;
	json_object_set_new(perf, "ratios", ratios);
	if (o->targets) {
		json_t *results;

		if ((rc = ph_perf_targets_check(o->targets, ratios, &results, err)))
			goto out;
		json_object_set_new(perf, "targets", results);
	}
out:
	ph_session_stop(s);
	json_decref(sides[0]);
	json_decref(sides[1]);
	json_decref(cases);
	return rc;
}

int ph_perf_run(struct ph_session *s, const struct ph_perf_opts *o, struct ph_err *err)
{
	json_t *metrics = json_object_get(s->matrix, "metrics"), *perf;
	struct phase ph;
	double t0 = now_ms();
	size_t k;
	int rc;

	if (!json_is_object(metrics))
		return ph_error(err, PH_E_INVALID, "the matrix has no metrics object");
	perf = json_pack("{s:i, s:i, s:I, s:s}", "requests", o->requests, "warmup", o->warmup,
			 "idle_ms", (json_int_t)o->idle_ms, "fixture", s->cfg.fixture);
	if (!perf)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memset(&ph, 0, sizeof(ph));
	ph.s = s;
	rc = phase_body(&ph, o, perf, err);
	if (rc) {
		json_object_clear(perf);
		json_object_set_new(perf, "error", json_string(err->msg));
		ph_session_log(s, "perf: error: %s", err->msg);
	}
	json_object_set_new(perf, "endpoints", json_array());
	for (k = 0; k < 2; k++) { /* both slots: one may be half-filled when memory ran out */
		if (!rc && k < ph.n_ep)
			json_array_append_new(json_object_get(perf, "endpoints"),
					      json_string(ph.ep[k].key));
		endpoint_clear(&ph.ep[k]);
	}
	if (ph.skipped)
		json_object_set_new(perf, "skipped", ph.skipped);
	json_object_set_new(perf, "duration_ms", ms_value(now_ms() - t0));
	json_object_set_new(metrics, "perf", perf);
	return rc;
}

/* ---- terminal summary -------------------------------------------------------------- */

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : -1;
}

void ph_perf_print(const json_t *perf, FILE *f)
{
	const json_t *ratios = json_object_get(perf, "ratios"), *eps, *t;
	const char *ep;
	json_t *v;
	size_t i;
	int k;

	if (json_is_string(json_object_get(perf, "error"))) {
		fprintf(f, "perf: error: %s\n", json_string_value(json_object_get(perf, "error")));
		return;
	}
	fprintf(f, "\nperf (%lld requests per endpoint and runtime, after %lld ms idle):\n",
		(long long)json_integer_value(json_object_get(perf, "requests")),
		(long long)json_integer_value(json_object_get(perf, "idle_ms")));
	fprintf(f, "  %-10s %12s %12s %10s %11s\n", "runtime", "idle RSS kB", "peak RSS kB",
		"CPU ms", "startup ms");
	for (k = 0; k < 2; k++) {
		const json_t *r = json_object_get(perf, roles[k]);

		fprintf(f, "  %-10s %12.0f %12.0f %10.1f %11.1f\n", roles[k], num(r, "idle_rss_kb"),
			num(r, "peak_rss_kb"), num(r, "cpu_ms"), num(r, "startup_ms"));
	}
	eps = json_object_get(json_object_get(perf, "reference"), "endpoints");
	json_object_foreach((json_t *)eps, ep, v)
	{
		const json_t *c = json_object_get(
			json_object_get(json_object_get(perf, "candidate"), "endpoints"), ep);

		fprintf(f, "  %-26s p50 %.3f / %.3f ms   p99 %.3f / %.3f ms (reference / candidate)\n",
			ep, num(v, "p50_ms"), num(c, "p50_ms"), num(v, "p99_ms"), num(c, "p99_ms"));
	}
	fprintf(f, "  candidate/reference: idle RSS %.3f, peak RSS %.3f, CPU %.3f, p50 %.3f, "
		   "p99 %.3f\n",
		num(ratios, "idle_rss_ratio"), num(ratios, "peak_rss_ratio"), num(ratios, "cpu_ratio"),
		num(ratios, "p50_ratio"), num(ratios, "p99_ratio"));
	json_array_foreach(json_object_get(perf, "targets"), i, t)
	{
		const json_t *met = json_object_get(t, "met");

		fprintf(f, "  target %s %s: %s\n", json_string_value(json_object_get(t, "target")),
			json_string_value(json_object_get(t, "expr")),
			json_is_true(met) ? "met" : json_is_false(met) ? "MISSED" : "not measured");
	}
}

/* ---- the table the renderers show ---------------------------------------------------- */

static json_t *cell(const json_t *v, const char *fmt)
{
	char buf[64];

	if (!json_is_number(v))
		return json_string("n/a");
	snprintf(buf, sizeof(buf), fmt, json_number_value(v));
	return json_string(buf);
}

static void table_row(json_t *rows, const char *label, const json_t *ref, const json_t *cand,
		      const json_t *ratios, const char *key, const char *ratio_key,
		      const char *fmt)
{
	json_array_append_new(rows, json_pack("[s, o, o, o]", label,
					      cell(json_object_get(ref, key), fmt),
					      cell(json_object_get(cand, key), fmt),
					      cell(json_object_get(ratios, ratio_key), "%.3f")));
}

json_t *ph_perf_table(const json_t *perf)
{
	static const char *const top[][4] = {
		{ "startup ms", "startup_ms", "startup_ratio", "%.1f" },
		{ "idle RSS kB", "idle_rss_kb", "idle_rss_ratio", "%.0f" },
		{ "peak RSS kB", "peak_rss_kb", "peak_rss_ratio", "%.0f" },
		{ "CPU ms (measured requests)", "cpu_ms", "cpu_ratio", "%.1f" },
	};
	static const char *const lat[][2] = {
		{ "p50", "p50" }, { "p95", "p95" }, { "p99", "p99" }, { "max", "max" } };
	const json_t *ref = json_object_get(perf, "reference"), *cand = json_object_get(perf,
										       "candidate");
	const json_t *ratios = json_object_get(perf, "ratios");
	json_t *rows, *v;
	const char *ep;
	size_t i;

	if (!json_is_object(ref) || !json_is_object(cand))
		return NULL;
	if (!(rows = json_array()))
		return NULL;
	for (i = 0; i < 4; i++)
		table_row(rows, top[i][0], ref, cand, ratios, top[i][1], top[i][2], top[i][3]);
	json_object_foreach((json_t *)json_object_get(ref, "endpoints"), ep, v)
	{
		const json_t *c = json_object_get(json_object_get(cand, "endpoints"), ep);
		const json_t *r = json_object_get(json_object_get(ratios, "endpoints"), ep);

		for (i = 0; i < 4; i++) {
			char label[300], key[16], rkey[16];

			snprintf(label, sizeof(label), "%s %s ms", ep, lat[i][0]);
			snprintf(key, sizeof(key), "%s_ms", lat[i][1]);
			snprintf(rkey, sizeof(rkey), "%s_ratio", lat[i][1]);
			table_row(rows, label, v, c, r, key, rkey, "%.3f");
		}
	}
	return rows;
}
