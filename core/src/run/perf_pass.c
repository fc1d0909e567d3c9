/*
 * The performance pass of `parity run` (perf_pass.h): which suite cases it sends, the
 * /proc samples of each runtime's process tree, and the pass itself. It talks to the
 * runtimes through the session's HTTP connections directly (no plugin, no comparison):
 * it measures, it does not judge parity. Distributions, ratios and targets are
 * measure/perf.h's.
 */
#include "run/perf_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parity/suite.h"
#include "runtime/interrupt.h"
#include "runtime/runtime.h"

static const char *const roles[] = { "reference", "candidate" };

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

/* ---- the pass -------------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One endpoint measured: its usable cases and the samples per side. */
struct endpoint {
	char *key;                   /* "METHOD /path" */
	const char *domain;          /* whose suite marked its cases (borrowed) */
	const json_t **cases;        /* borrowed from the suites */
	char **bodies;               /* the cases' bodies as text, or NULL */
	size_t n_cases;
	double *ms[2];
	size_t n_ms;
};

struct phase {
	struct ph_session *s;
	struct endpoint *ep;         /* in the order their first case comes in the suites */
	size_t n_ep;                 /* measured (ep[n_ep..n_slots) are zeroed) */
	size_t n_slots;
	long peak_rss[2];
	json_t *suites;              /* the cases loaded, which ep[].cases borrow from */
	char *sources;               /* "suites/read[, suites/<d>...]": where cases came from */
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

/* The endpoint "METHOD path" (query string dropped) of c, a new slot when it is new. */
static struct endpoint *endpoint_of(struct phase *ph, const char *domain, const char *method,
				    const char *path, struct ph_err *err)
{
	size_t n = strlen(method) + 1 + strcspn(path, "?") + 1, k;
	char *key = malloc(n);
	struct endpoint *grown;

	if (!key) {
		ph_error(err, PH_E_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(key, n, "%s %.*s", method, (int)strcspn(path, "?"), path);
	for (k = 0; k < ph->n_ep; k++)
		if (!strcmp(ph->ep[k].key, key)) {
			free(key);
			return &ph->ep[k];
		}
	if (!(grown = realloc(ph->ep, (ph->n_slots + 1) * sizeof(*grown)))) {
		free(key);
		ph_error(err, PH_E_NOMEM, "out of memory");
		return NULL;
	}
	ph->ep = grown;
	memset(&ph->ep[ph->n_slots++], 0, sizeof(*ph->ep));
	ph->ep[ph->n_ep].key = key;
	ph->ep[ph->n_ep].domain = domain;
	return &ph->ep[ph->n_ep++];
}

/* Add case c, marked "perf", to its endpoint; it is sent as method, path and body. */
static int add_case(struct phase *ph, const char *dir, const char *domain, const json_t *c,
		    struct ph_err *err)
{
	const char *m = json_string_value(json_object_get(c, "method"));
	const char *p = json_string_value(json_object_get(c, "path"));
	const json_t **nc;
	struct endpoint *e;
	char **nb;

	if (!m || !p || json_object_get(c, "headers") || json_object_get(c, "body_text"))
		return ph_error(err, PH_E_INVALID,
				"%s/%s: case '%s': a \"perf\" case needs a method and a path, and "
				"is sent without headers or body_text",
				dir, json_string_value(json_object_get(c, "file")),
				json_string_value(json_object_get(c, "name")));
	if (!(e = endpoint_of(ph, domain, m, p, err)))
		return err->code;
	if (!(nc = realloc(e->cases, (e->n_cases + 1) * sizeof(*e->cases))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	e->cases = nc;
	if (!(nb = realloc(e->bodies, (e->n_cases + 1) * sizeof(*e->bodies))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	e->bodies = nb;
	e->cases[e->n_cases] = c;
	e->bodies[e->n_cases] =
		json_object_get(c, "body") ?
			json_dumps(json_object_get(c, "body"), JSON_COMPACT | JSON_ENCODE_ANY) :
			NULL;
	e->n_cases++;
	return 0;
}

/* a, then sep and b when a is not empty; a is freed. NULL when out of memory. */
static char *append(char *a, const char *sep, const char *b)
{
	size_t n = (a ? strlen(a) + strlen(sep) : 0) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a ? a : "", a ? sep : "", b);
	free(a);
	return s;
}

/* The cases marked "perf": true in the suites of the domains, grouped by endpoint. */
static int pick_cases(struct phase *ph, const char *const *domains, size_t n_domains,
		      struct ph_err *err)
{
	const struct ph_config *cfg = &ph->s->cfg;
	char *names = NULL, *folders = NULL;
	size_t d, i;
	int rc = 0;

	if (!(ph->suites = json_array()))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (d = 0; d < n_domains && !rc; d++) {
		char *dir = ph_config_suite_dir(cfg, domains[d]);
		size_t before = ph->n_ep;
		struct stat st;
		json_t *cases, *c;

		if (!dir)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) { /* a domain without suites */
			free(dir);
			continue;
		}
		if ((rc = ph_suite_load_dir(dir, &cases, err))) {
			free(dir);
			break;
		}
		json_array_append_new(ph->suites, cases);
		json_array_foreach(cases, i, c)
		{
			const json_t *mark = json_object_get(c, "perf");

			if (mark && !json_is_boolean(mark))
				rc = ph_error(err, PH_E_INVALID,
					      "%s/%s: case '%s': perf: expected true or false", dir,
					      json_string_value(json_object_get(c, "file")),
					      json_string_value(json_object_get(c, "name")));
			else if (json_is_true(mark))
				rc = add_case(ph, dir, domains[d], c, err);
			if (rc)
				break;
		}
		free(dir);
		if (!rc && ph->n_ep > before) {
			char where[300];

			snprintf(where, sizeof(where), "suites/%s", domains[d]);
			if (!(ph->sources = append(ph->sources, ", ", where)))
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
		}
	}
	if (rc || ph->n_ep)
		return rc;
	for (d = 0; d < n_domains; d++)
		names = append(names, " ", domains[d]);
	for (i = 0; i < cfg->n_suites; i++)
		folders = append(folders, ", ", cfg->suites[i]);
	rc = ph_error(err, PH_E_NOTFOUND,
		      "%s: perf: no case of the suites of the domains run (%s) is marked "
		      "\"perf\": true (suites in %s)",
		      cfg->path, names ? names : "none", folders ? folders : "no folder");
	free(names);
	free(folders);
	return rc;
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
					    json_pack("s++", "no case of suites/", e->domain,
						      " was answered 2xx by both runtimes"));
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
		      ph_perf_ms_json(st->rt.startup_ms), "idle_rss_kb", (json_int_t)idle_p->rss_kb,
		      "peak_rss_kb", (json_int_t)ph->peak_rss[side], "cpu_ms", ph_perf_ms_json(cpu_ms),
		      "processes", idle_p->procs, "endpoints", eps);
	if (!o)
		ph_error(err, PH_E_NOMEM, "out of memory");
	return o;
}

static int phase_body(struct phase *ph, const struct ph_perf_opts *o,
		      const char *const *domains, size_t n_domains, json_t *perf,
		      struct ph_err *err)
{
	struct ph_session *s = ph->s;
	struct ph_perf_proc idle_p[2], before[2], after[2];
	json_t *sides[2] = { NULL, NULL }, *ratios;
	int i, rc;

	if ((rc = pick_cases(ph, domains, n_domains, err)) ||
	    (rc = ph_session_start(s, "perf", err)))
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
			      "no endpoint to measure: no case of %s was answered 2xx by both "
			      "runtimes",
			      ph->sources);
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
	return rc;
}

int ph_perf_run(struct ph_session *s, const struct ph_perf_opts *o, const char *const *domains,
		size_t n_domains, struct ph_err *err)
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
	rc = phase_body(&ph, o, domains, n_domains, perf, err);
	if (rc) {
		json_object_clear(perf);
		json_object_set_new(perf, "error", json_string(err->msg));
		ph_session_log(s, "perf: error: %s", err->msg);
	}
	json_object_set_new(perf, "endpoints", json_array());
	for (k = 0; k < ph.n_slots; k++) { /* every slot: one may be half-filled */
		if (!rc && k < ph.n_ep)
			json_array_append_new(json_object_get(perf, "endpoints"),
					      json_string(ph.ep[k].key));
		endpoint_clear(&ph.ep[k]);
	}
	free(ph.ep);
	free(ph.sources);
	json_decref(ph.suites);
	if (ph.skipped)
		json_object_set_new(perf, "skipped", ph.skipped);
	json_object_set_new(perf, "duration_ms", ph_perf_ms_json(now_ms() - t0));
	json_object_set_new(metrics, "perf", perf);
	return rc;
}

