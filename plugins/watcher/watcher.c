/*
 * The watcher domain (CONTRACT.md §6): what a runtime does on its own when files change.
 * Each case of suites/watcher changes files in both workspaces (or HOMEs) at once, polls
 * until the files it expects to change have changed on each side or a deadline passes,
 * then loads both file trees (tree.h) and compares them with the rule named by the case's
 * feature, together with the list of files each runtime changed. An effect that one side
 * shows and the other never does is semantic (the file it should have written is then
 * left out of the tree comparison, so a first-time write that never happens is not
 * reported as a missing key); a differently named or shaped output file is structural
 * through the tree. The delay until the effect appeared is recorded with each row; being
 * one sample of a debounce timer whose phase the runtime chooses, it is not judged there:
 * the delays of all cases of a feature are judged together at the end (one "delay" row
 * per feature, by the host's timing test on the samples, with the suite's tolerance as
 * the smallest difference that counts). Config reload cases change agent.yaml's auth mode
 * and poll an HTTP probe until the answer changes, then compare the answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "parity/plugin.h"
#include "parity/suite.h"
#include "tree.h"
#include "watcher.h"

#define MAX_EXPECT 16

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- settings ---- */

static long num(const json_t *o, const char *key, long dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long)json_number_value(v) : dflt;
}

int wt_settings_load(const char *suite_dir, struct wt_settings *s, struct ph_err *err)
{
	char *path = NULL;
	const json_t *set;
	int rc;

	memset(s, 0, sizeof(*s));
	if (asprintf(&path, "%s/watcher.json", suite_dir) < 0)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (access(path, F_OK) == 0) {
		if ((rc = ph_json_load_file(path, &s->doc, err))) {
			free(path);
			return rc;
		}
	} else {
		s->doc = json_object();
	}
	set = json_object_get(s->doc, "settings");
	if (set && !json_is_object(set)) {
		rc = ph_error(err, PH_E_INVALID, "%s: settings: expected an object", path);
		free(path);
		return rc;
	}
	s->debounce_ms = num(set, "debounce_ms", 2000);
	s->deadline_ms = num(set, "deadline_ms", 2 * s->debounce_ms + 2000);
	s->quiet_ms = num(set, "quiet_ms", s->debounce_ms + 1000);
	s->settle_ms = num(set, "settle_ms", 300);
	s->poll_ms = num(set, "poll_ms", 20);
	s->tolerance_ms = num(set, "latency_tolerance_ms", 400);
	s->exclude = json_object_get(set, "exclude");
	s->setup = json_object_get(set, "setup");
	if (s->exclude && !json_is_array(s->exclude))
		rc = ph_error(err, PH_E_INVALID, "%s: settings.exclude: expected an array", path);
	else if (s->setup && !json_is_array(s->setup))
		rc = ph_error(err, PH_E_INVALID, "%s: settings.setup: expected an array of steps",
			      path);
	else
		rc = wt_masks_load(json_object_get(set, "volatile"), path, &s->masks, err);
	free(path);
	return rc;
}

void wt_settings_release(struct wt_settings *s)
{
	wt_masks_release(&s->masks);
	json_decref(s->doc);
	memset(s, 0, sizeof(*s));
}

/* ---- paths and steps ---- */

int wt_resolve(const char *key, const char *ws, const char *home, char **out)
{
	const char *base, *rest;

	*out = NULL;
	if (!strncmp(key, "workspace/", 10)) {
		base = ws;
		rest = key + 10;
	} else if (!strncmp(key, "home/", 5)) {
		base = home;
		rest = key + 5;
	} else {
		return -1;
	}
	if (!*rest || *rest == '/' || !base)
		return -1;
	for (const char *p = rest; *p;) {
		size_t n = strcspn(p, "/");

		if ((n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.') || n == 0)
			return -1;
		p += n;
		if (*p == '/')
			p++;
	}
	return asprintf(out, "%s/%s", base, rest) < 0 ? -1 : 0;
}

static int mkdirs(const char *dir)
{
	char *p = strdup(dir);
	int rc = 0;

	if (!p)
		return -1;
	for (char *s = p + 1; *s && !rc; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (!rc && mkdir(p, 0755) && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static int write_file(const char *path, const char *data, size_t len, int append)
{
	char *dir = strdup(path);
	int fd, rc = 0;

	if (!dir)
		return -1;
	rc = mkdirs(dirname(dir));
	free(dir);
	if (rc)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0)
		return -1;
	while (len && rc == 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = -1;
		else
			data += w, len -= (size_t)w;
	}
	if (close(fd))
		rc = -1;
	return rc;
}

int wt_step_check(const json_t *step, const char *where, struct ph_err *err)
{
	static const char *const ops[] = {"write", "replace", "delete", "mkdir"};
	const char *target = NULL;
	char *dummy = NULL;

	if (!json_is_object(step))
		return ph_error(err, PH_E_INVALID, "%s: expected a step object", where);
	if (json_object_get(step, "sleep_ms"))
		return json_is_integer(json_object_get(step, "sleep_ms")) ?
			       0 :
			       ph_error(err, PH_E_INVALID, "%s: sleep_ms: expected an integer", where);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if ((target = json_string_value(json_object_get(step, ops[i]))))
			break;
	if (!target)
		return ph_error(err, PH_E_INVALID,
				"%s: expected one of write, replace, delete, mkdir, sleep_ms", where);
	if (wt_resolve(target, "/w", "/h", &dummy))
		return ph_error(err, PH_E_INVALID,
				"%s: '%s' is not a path under workspace/ or home/ (no '.' or '..' "
				"segments)",
				where, target);
	free(dummy);
	if (json_object_get(step, "write") && !json_is_string(json_object_get(step, "content")) &&
	    !json_is_string(json_object_get(step, "append")))
		return ph_error(err, PH_E_INVALID, "%s: write needs \"content\" or \"append\"", where);
	if (json_object_get(step, "replace") &&
	    (!json_is_string(json_object_get(step, "from")) ||
	     !json_is_string(json_object_get(step, "to"))))
		return ph_error(err, PH_E_INVALID, "%s: replace needs \"from\" and \"to\"", where);
	return 0;
}

/* The step's target key, or NULL for sleep_ms. */
static const char *step_target(const json_t *step)
{
	const char *t;

	if ((t = json_string_value(json_object_get(step, "write"))) ||
	    (t = json_string_value(json_object_get(step, "replace"))) ||
	    (t = json_string_value(json_object_get(step, "delete"))) ||
	    (t = json_string_value(json_object_get(step, "mkdir"))))
		return t;
	return NULL;
}

int wt_step_apply(const json_t *step, const char *ws, const char *home, struct ph_err *err)
{
	const char *key = step_target(step), *s;
	char *path = NULL;
	int rc = 0;

	if (!key)
		return 0;
	if (wt_resolve(key, ws, home, &path))
		return ph_error(err, PH_E_INVALID, "'%s' is not a path under workspace/ or home/",
				key);
	if (json_object_get(step, "write")) {
		int append = json_is_string(json_object_get(step, "append"));

		s = json_string_value(json_object_get(step, append ? "append" : "content"));
		if (write_file(path, s, strlen(s), append))
			rc = ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(errno));
	} else if (json_object_get(step, "replace")) {
		const char *from = json_string_value(json_object_get(step, "from"));
		const char *to = json_string_value(json_object_get(step, "to"));
		char *data = NULL, *at, *next = NULL;
		size_t len;

		if ((rc = ph_file_read(path, 0, &data, &len, err))) {
			/* message set */
		} else if (!*from || !(at = strstr(data, from))) {
			rc = ph_error(err, PH_E_INVALID, "'%s' does not contain '%s'", path, from);
		} else if (asprintf(&next, "%.*s%s%s", (int)(at - data), data, to,
				    at + strlen(from)) < 0) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		} else if (write_file(path, next, strlen(next), 0)) {
			rc = ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(errno));
		}
		free(data);
		free(next);
	} else if (json_object_get(step, "delete")) {
		if (unlink(path) && errno != ENOENT)
			rc = ph_error(err, PH_E_IO, "cannot delete '%s': %s", path, strerror(errno));
	} else if (mkdirs(path)) {
		rc = ph_error(err, PH_E_IO, "cannot make folder '%s': %s", path, strerror(errno));
	}
	free(path);
	return rc;
}

/* ---- the divergences a case adds itself ---- */

struct divs {
	struct ph_divergence *items;
	size_t n, cap;
};

static void add_div(struct divs *d, enum ph_class cls, const char *kind, const char *path,
		    json_t *a, json_t *b, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add_div(struct divs *d, enum ph_class cls, const char *kind, const char *path,
		    json_t *a, json_t *b, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (d->n == d->cap) {
		size_t c = d->cap ? d->cap * 2 : 8;
		struct ph_divergence *ni = realloc(d->items, c * sizeof(*ni));

		if (!ni) {
			json_decref(a);
			json_decref(b);
			return;
		}
		d->items = ni;
		d->cap = c;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	d->items[d->n++] = (struct ph_divergence){cls, kind, strdup(path), a, b, msg};
}

static void divs_release(struct divs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].path);
		free(d->items[i].message);
		json_decref(d->items[i].a);
		json_decref(d->items[i].b);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

/* Does divergence path p lie at or beneath "tree.<key>"? */
static int under_tree_key(const char *p, const char *key)
{
	size_t n = strlen(key);

	return p && !strncmp(p, "tree.", 5) && !strncmp(p + 5, key, n) &&
	       (p[5 + n] == '\0' || p[5 + n] == '.');
}

/*
 * Record a row from the host's comparison (hr, may be NULL) and the case's own
 * divergences; tree divergences beneath a key of drop are left out.
 */
static int record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *summary, const struct ph_result *hr,
		  const struct divs *own, const json_t *drop, double lat_a, double lat_b,
		  const char *error)
{
	size_t n = (hr ? hr->count : 0) + own->n, k = 0;
	struct ph_divergence *items = calloc(n ? n : 1, sizeof(*items));
	struct ph_result res = {hr ? hr->rule : (char *)feature, PH_PARITY, 0, items};
	struct ph_row row = {0};
	int rc;

	if (!items)
		return PH_E_NOMEM;
	for (size_t i = 0; hr && i < hr->count; i++) {
		size_t j;
		const json_t *key;
		int skip = 0;

		json_array_foreach(drop, j, key) skip |=
		    under_tree_key(hr->items[i].path, json_string_value(key));
		if (!skip)
			items[k++] = hr->items[i];
	}
	for (size_t i = 0; i < own->n; i++)
		items[k++] = own->items[i];
	res.count = k;
	for (size_t i = 0; i < k; i++)
		if (items[i].cls > res.verdict)
			res.verdict = items[i].cls;
	row.feature = feature;
	row.case_name = case_name;
	row.reference = summary;
	row.cls = error ? PH_ERROR : PH_PARITY;
	row.result = error ? NULL : &res;
	row.latency_reference_ms = lat_a;
	row.latency_candidate_ms = lat_b;
	row.error = error;
	rc = host->record(run, &row);
	free(items);
	return rc;
}

/* ---- one change case ---- */

/* Most features whose delays are collected, and samples per feature. */
#define MAX_DELAY_FEATURES 8
#define MAX_DELAY_SAMPLES 64

/* The effect delays of one feature's cases, both sides. */
struct delays {
	char feature[128];
	double v[2][MAX_DELAY_SAMPLES];
	size_t n;
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	struct wt_settings *set;
	const char *ws[2];
	const char *home[2];
	struct delays delays[MAX_DELAY_FEATURES];
	size_t n_delays;
};

/* Keep one case's delays (both sides saw the effect) for its feature's delay row. */
static void keep_delay(struct ctx *x, const char *feature, const double lat[2])
{
	struct delays *d = NULL;

	for (size_t i = 0; i < x->n_delays && !d; i++)
		if (!strcmp(x->delays[i].feature, feature))
			d = &x->delays[i];
	if (!d && x->n_delays < MAX_DELAY_FEATURES) {
		d = &x->delays[x->n_delays++];
		snprintf(d->feature, sizeof(d->feature), "%s", feature);
		d->n = 0;
	}
	if (!d || d->n == MAX_DELAY_SAMPLES)
		return;
	d->v[0][d->n] = lat[0];
	d->v[1][d->n] = lat[1];
	d->n++;
}

/* One "delay" row per feature with at least three cases whose effect both sides showed. */
static int delay_rows(struct ctx *x, struct ph_err *err)
{
	for (size_t i = 0; i < x->n_delays; i++) {
		const struct delays *d = &x->delays[i];
		struct ph_result res = {(char *)d->feature, PH_PARITY, 0, NULL};
		struct ph_row row = {0};
		json_t *info = NULL;
		char case_name[64], summary[128];
		int rc;

		if (d->n < 3 || !PH_HOST_HAS(x->host, timing_samples))
			continue;
		if ((rc = x->host->timing_samples(x->run, d->v[0], d->n, d->v[1], d->n,
						  (double)x->set->tolerance_ms, &res, &info, err)))
			return rc;
		snprintf(case_name, sizeof(case_name), "delay over %zu changes", d->n);
		snprintf(summary, sizeof(summary), "median %.0f ms (debounce %ld ms)",
			 json_number_value(json_object_get(json_object_get(info, "median_ms"),
							   "reference")),
			 x->set->debounce_ms);
		row.feature = d->feature;
		row.case_name = case_name;
		row.reference = summary;
		row.result = &res;
		row.latency_reference_ms = json_number_value(
			json_object_get(json_object_get(info, "median_ms"), "reference"));
		row.latency_candidate_ms = json_number_value(
			json_object_get(json_object_get(info, "median_ms"), "candidate"));
		rc = x->host->record(x->run, &row);
		if (!rc && info) {
			x->host->annotate(x->run, "samples_ms", json_object_get(info, "samples_ms"));
			x->host->annotate(x->run, "mann_whitney_p",
					  json_object_get(info, "mann_whitney_p"));
		}
		for (size_t k = 0; k < res.count; k++) {
			free(res.items[k].path);
			free(res.items[k].message);
			json_decref(res.items[k].a);
			json_decref(res.items[k].b);
		}
		free(res.items);
		json_decref(info);
		if (rc)
			return rc;
	}
	return 0;
}

static json_t *load_tree(struct ctx *x, int side, struct ph_err *err)
{
	json_t *t = json_object();

	if (!t)
		return NULL;
	if (wt_tree_add(t, x->ws[side], "workspace", x->set->exclude, &x->set->masks, err) ||
	    wt_tree_add(t, x->home[side], "home", x->set->exclude, &x->set->masks, err)) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The keys the steps touch and every folder above them: the runtime's changes leave them out. */
static json_t *step_keys(const json_t *steps)
{
	json_t *keys = json_array();
	size_t i;
	const json_t *st;

	json_array_foreach(steps, i, st)
	{
		const char *t = step_target(st);
		char *k = t ? strdup(t) : NULL;

		while (k && strchr(k, '/')) {
			json_array_append_new(keys, json_string(k));
			*strrchr(k, '/') = '\0';
		}
		free(k);
	}
	return keys;
}

static int apply_steps(struct ctx *x, const json_t *steps, double t_end[2], struct ph_err *err)
{
	size_t i;
	const json_t *st;

	json_array_foreach(steps, i, st)
	{
		json_t *ms = json_object_get(st, "sleep_ms");

		if (ms) {
			sleep_ms((double)json_integer_value(ms));
			continue;
		}
		for (int side = 0; side < 2; side++) {
			int rc = wt_step_apply(st, x->ws[side], x->home[side], err);

			if (rc)
				return ph_error_prefix(err, "%s: step %zu",
						       side ? "candidate" : "reference", i);
			t_end[side] = now_ms();
		}
	}
	return 0;
}

/* An expectation: the key, and whether existing is enough ("exists": true) or it must change. */
static int expectation(const json_t *e, const char **key, int *exists)
{
	*exists = 0;
	if (json_is_string(e)) {
		*key = json_string_value(e);
		return 0;
	}
	*key = json_string_value(json_object_get(e, "path"));
	*exists = json_is_true(json_object_get(e, "exists"));
	return *key ? 0 : -1;
}

static int run_change(struct ctx *x, const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *feature = json_string_value(json_object_get(c, "feature"));
	const json_t *steps = json_object_get(c, "steps"), *expect = json_object_get(c, "expect");
	size_t ne = json_array_size(expect), i;
	long deadline = num(c, "deadline_ms", x->set->deadline_ms);
	long quiet = num(c, "quiet_ms", x->set->quiet_ms);
	char before_fp[2][MAX_EXPECT][64];
	double seen[2][MAX_EXPECT], t_end[2], lat[2] = {-1, -1};
	const char *keys[MAX_EXPECT];
	int exists[MAX_EXPECT], done[2] = {0, 0}, missed[2] = {0, 0};
	json_t *before[2] = {0}, *after[2] = {0}, *doc[2] = {0}, *skip = NULL, *drop = NULL;
	struct ph_result hr = {0};
	struct divs own = {0};
	struct ph_err cerr = {0};
	char summary[512], *error = NULL;
	int rc = 0, have_hr = 0;

	if (!feature)
		feature = "WATCHER /harness-sync";
	for (i = 0; i < ne; i++)
		expectation(json_array_get(expect, i), &keys[i], &exists[i]);
	/* the state before: trees for the change lists, fingerprints for the effects */
	for (int s = 0; s < 2; s++) {
		if (!(before[s] = load_tree(x, s, &cerr)))
			goto error;
		for (i = 0; i < ne; i++) {
			char *p = NULL;

			wt_resolve(keys[i], x->ws[s], x->home[s], &p);
			wt_fingerprint(p ? p : "", before_fp[s][i], sizeof(before_fp[s][i]));
			free(p);
			seen[s][i] = -1;
		}
	}
	t_end[0] = t_end[1] = now_ms();
	if (apply_steps(x, steps, t_end, &cerr))
		goto error;
	if (!ne) {
		sleep_ms((double)quiet);
	} else {
		double start = t_end[0] < t_end[1] ? t_end[0] : t_end[1];

		while (!(done[0] && done[1]) && now_ms() - start <= (double)deadline) {
			for (int s = 0; s < 2; s++) {
				if (done[s])
					continue;
				done[s] = 1;
				for (i = 0; i < ne; i++) {
					char fp[64], *p = NULL;

					if (seen[s][i] >= 0)
						continue;
					wt_resolve(keys[i], x->ws[s], x->home[s], &p);
					wt_fingerprint(p ? p : "", fp, sizeof(fp));
					free(p);
					if (exists[i] ? strcmp(fp, "missing") != 0
						      : strcmp(fp, before_fp[s][i]) != 0)
						seen[s][i] = now_ms() - t_end[s];
					else
						done[s] = 0;
				}
			}
			if (!(done[0] && done[1]))
				sleep_ms((double)x->set->poll_ms);
		}
		sleep_ms((double)x->set->settle_ms);
	}
	skip = step_keys(steps);
	drop = json_array();
	for (int s = 0; s < 2; s++) {
		if (!(after[s] = load_tree(x, s, &cerr)))
			goto error;
		doc[s] = json_pack("{s:o, s:O}", "changed", wt_tree_changes(before[s], after[s], skip),
				   "tree", after[s]);
		if (!doc[s]) {
			ph_error(&cerr, PH_E_NOMEM, "out of memory");
			goto error;
		}
	}
	/* effects: which appeared where, and after how long */
	for (i = 0; i < ne; i++) {
		double a = seen[0][i], b = seen[1][i];

		if (a >= 0 && b < 0) {
			add_div(&own, PH_SEMANTIC, "effect", keys[i], json_real(a), NULL,
				"the candidate never %s %s within %ld ms (the reference did after "
				"%.0f ms)",
				exists[i] ? "wrote" : "changed", keys[i], deadline, a);
			json_array_append_new(drop, json_string(keys[i]));
		} else if (a < 0 && b >= 0) {
			add_div(&own, PH_SEMANTIC, "effect", keys[i], NULL, json_real(b),
				"the candidate %s %s after %.0f ms; the reference never did within "
				"%ld ms",
				exists[i] ? "wrote" : "changed", keys[i], b, deadline);
			json_array_append_new(drop, json_string(keys[i]));
		} else if (a < 0 && b < 0) {
			x->host->log(x->run, PH_LOG_WARN,
				     "case '%s': neither runtime changed %s within %ld ms", name,
				     keys[i], deadline);
		}
		if (a > lat[0])
			lat[0] = a;
		if (b > lat[1])
			lat[1] = b;
		if (a < 0)
			missed[0] = 1;
		if (b < 0)
			missed[1] = 1;
	}
	/* a side's delay is when its last effect appeared; none when one never did */
	for (int s = 0; s < 2; s++)
		if (missed[s])
			lat[s] = -1;
	if (ne && lat[0] >= 0 && lat[1] >= 0)
		keep_delay(x, feature, lat); /* judged with the feature's other cases */
	if ((rc = x->host->compare_json(x->run, feature, doc[0], doc[1], &hr, &cerr)))
		goto error;
	have_hr = 1;
	{
		size_t nch = json_array_size(json_object_get(doc[0], "changed")), got = 0;
		double last = -1;

		for (i = 0; i < ne; i++)
			if (seen[0][i] >= 0) {
				got++;
				if (seen[0][i] > last)
					last = seen[0][i];
			}
		if (!ne)
			snprintf(summary, sizeof(summary), "%zu file%s changed in %ld ms", nch,
				 nch == 1 ? "" : "s", quiet);
		else if (got == ne)
			snprintf(summary, sizeof(summary),
				 "%zu of %zu effects after %.0f ms, %zu file%s changed", got, ne,
				 last, nch, nch == 1 ? "" : "s");
		else
			snprintf(summary, sizeof(summary),
				 "%zu of %zu effects within %ld ms, %zu file%s changed", got, ne,
				 deadline, nch, nch == 1 ? "" : "s");
	}
	goto out;
error:
	error = strdup(cerr.msg[0] ? cerr.msg : "the case could not run");
	snprintf(summary, sizeof(summary), "not evaluated");
out:
	rc = record(x->host, x->run, feature, name, summary, have_hr ? &hr : NULL, &own, drop,
		    lat[0], lat[1], error);
	if (have_hr)
		x->host->result_release(&hr);
	divs_release(&own);
	free(error);
	for (int s = 0; s < 2; s++) {
		json_decref(before[s]);
		json_decref(after[s]);
		json_decref(doc[s]);
	}
	json_decref(skip);
	json_decref(drop);
	(void)err;
	return rc;
}

/* ---- config reload: agent.yaml's auth mode ---- */

static long probe(struct ctx *x, int side, const json_t *p, struct ph_response *resp)
{
	struct ph_request req = {0};
	struct ph_err err;

	req.method = json_string_value(json_object_get(p, "method"));
	req.path = json_string_value(json_object_get(p, "path"));
	x->host->http(x->run, side, &req, resp, &err);
	resp->latency_ms = -1; /* the reload delay is what is timed, not this answer */
	return resp->error ? -1 : resp->status;
}

static int run_reload(struct ctx *x, const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *feature = json_string_value(json_object_get(c, "feature"));
	const json_t *p = json_object_get(c, "probe");
	long deadline = num(c, "deadline_ms", x->set->deadline_ms);
	struct ph_response r[2] = {0};
	long s0[2], s1[2];
	double t_end[2], lat[2] = {-1, -1}, start;
	struct ph_result hr = {0};
	struct divs own = {0};
	struct ph_err cerr = {0};
	char summary[256], endpoint[512], *error = NULL;
	int rc, have_hr = 0;

	if (!feature)
		feature = "WATCHER /config-reload";
	snprintf(endpoint, sizeof(endpoint), "%s %s",
		 json_string_value(json_object_get(p, "method")),
		 json_string_value(json_object_get(p, "path")));
	for (int s = 0; s < 2; s++) {
		s0[s] = s1[s] = probe(x, s, p, &r[s]);
		x->host->response_release(&r[s]);
		if (s0[s] < 0) {
			ph_error(&cerr, PH_E_HTTP, "%s did not answer the probe %s",
				 s ? "candidate" : "reference", endpoint);
			goto error;
		}
	}
	t_end[0] = t_end[1] = now_ms();
	if (apply_steps(x, json_object_get(c, "steps"), t_end, &cerr))
		goto error;
	start = t_end[0] < t_end[1] ? t_end[0] : t_end[1];
	while ((lat[0] < 0 || lat[1] < 0) && now_ms() - start <= (double)deadline) {
		for (int s = 0; s < 2; s++) {
			if (lat[s] >= 0)
				continue;
			s1[s] = probe(x, s, p, &r[s]);
			x->host->response_release(&r[s]);
			if (s1[s] != s0[s])
				lat[s] = now_ms() - t_end[s];
		}
		if (lat[0] < 0 || lat[1] < 0)
			sleep_ms(50);
	}
	for (int s = 0; s < 2; s++)
		probe(x, s, p, &r[s]);
	if (lat[0] >= 0 && lat[1] < 0)
		add_div(&own, PH_SEMANTIC, "effect", "", json_integer(s0[1]), NULL,
			"the candidate still answers %s with %ld %ld ms after the change (the "
			"reference changed to %ld after %.0f ms): no reload without restart",
			endpoint, s0[1], deadline, s1[0], lat[0]);
	else if (lat[0] < 0 && lat[1] >= 0)
		add_div(&own, PH_SEMANTIC, "effect", "", NULL, json_integer(s1[1]),
			"the candidate changed its answer to %s (%ld -> %ld); the reference did not",
			endpoint, s0[1], s1[1]);
	else if (lat[0] < 0)
		x->host->log(x->run, PH_LOG_WARN,
			     "case '%s': neither runtime changed its answer to %s within %ld ms "
			     "(is the auth reload implemented?)",
			     name, endpoint, deadline);
	if ((rc = x->host->compare(x->run, endpoint, &r[0], &r[1], &hr, &cerr)))
		goto error;
	have_hr = 1;
	if (lat[0] >= 0)
		snprintf(summary, sizeof(summary), "%.200s: %ld -> %ld after %.0f ms", endpoint, s0[0],
			 r[0].status, lat[0]);
	else
		snprintf(summary, sizeof(summary), "%.200s: %ld, unchanged", endpoint, r[0].status);
	goto out;
error:
	error = strdup(cerr.msg[0] ? cerr.msg : "the case could not run");
	snprintf(summary, sizeof(summary), "not evaluated");
out:
	rc = record(x->host, x->run, feature, name, summary, have_hr ? &hr : NULL, &own, NULL,
		    lat[0], lat[1], error);
	if (have_hr)
		x->host->result_release(&hr);
	for (int s = 0; s < 2; s++)
		x->host->response_release(&r[s]);
	divs_release(&own);
	free(error);
	(void)err;
	return rc;
}

/* ---- the suite ---- */

int wt_case_check(const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *file = json_string_value(json_object_get(c, "file"));
	const char *kind = json_string_value(json_object_get(c, "kind"));
	const json_t *steps = json_object_get(c, "steps"), *expect = json_object_get(c, "expect");
	char where[512];
	size_t i;
	const json_t *v;

	if (!kind)
		kind = "change";
	if (steps && !json_is_array(steps))
		return ph_error(err, PH_E_INVALID, "%s: case '%s': steps: expected an array",
				file ? file : "?", name);
	json_array_foreach(steps, i, v)
	{
		int rc;

		snprintf(where, sizeof(where), "%s: case '%s': steps[%zu]", file ? file : "?", name,
			 i);
		if ((rc = wt_step_check(v, where, err)))
			return rc;
	}
	if (!strcmp(kind, "change")) {
		if (expect && (!json_is_array(expect) || json_array_size(expect) > MAX_EXPECT))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': expect: expected an array of at most %d "
					"paths",
					file ? file : "?", name, MAX_EXPECT);
		json_array_foreach(expect, i, v)
		{
			const char *k;
			int ex;
			char *dummy = NULL;

			if (expectation(v, &k, &ex) || wt_resolve(k, "/w", "/h", &dummy))
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expect[%zu]: expected a path under "
						"workspace/ or home/, or {\"path\", \"exists\"}",
						file ? file : "?", name, i);
			free(dummy);
		}
		return 0;
	}
	if (!strcmp(kind, "reload")) {
		const json_t *p = json_object_get(c, "probe");

		if (!json_is_string(json_object_get(p, "method")) ||
		    !json_is_string(json_object_get(p, "path")))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': probe: expected {\"method\", \"path\"}",
					file ? file : "?", name);
		return 0;
	}
	return ph_error(err, PH_E_INVALID, "%s: case '%s': kind '%s' is not change or reload",
			file ? file : "?", name, kind);
}

/* The runtime's HOME: the host's service when it has one, else <workspace>/../home. */
static char *home_of(const struct ph_host *host, struct ph_run *run, int side)
{
	char *ws, *home = NULL;

	if (host->size >= offsetof(struct ph_host, home) + sizeof(host->home) && host->home &&
	    host->home(run, side))
		return strdup(host->home(run, side));
	if (!(ws = strdup(host->workspace(run, side))))
		return NULL;
	if (asprintf(&home, "%s/home", dirname(ws)) < 0)
		home = NULL;
	free(ws);
	return home;
}

static int watcher_run(void *state, const struct ph_host *host, struct ph_run *run,
		       struct ph_err *err)
{
	struct wt_settings set;
	struct ctx x = {.host = host, .run = run, .set = &set};
	char *home[2] = {0};
	json_t *cases = NULL, *c;
	size_t i, n;
	double t0 = now_ms();
	int rc;

	(void)state;
	if ((rc = wt_settings_load(host->suite_dir(run), &set, err))) {
		wt_settings_release(&set);
		return rc;
	}
	if ((rc = ph_suite_load_dir(host->suite_dir(run), &cases, err)))
		goto out;
	n = json_array_size(cases);
	if (!n) {
		rc = ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
		goto out;
	}
	json_array_foreach(cases, i, c) if ((rc = wt_case_check(c, err))) goto out;
	for (int s = 0; s < 2; s++) {
		x.ws[s] = host->workspace(run, s);
		if (!(home[s] = home_of(host, run, s))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		x.home[s] = home[s];
	}
	/* setup, e.g. the opencode folder in each HOME, so the sync has somewhere to write */
	json_array_foreach(set.setup, i, c)
	{
		char where[64];

		snprintf(where, sizeof(where), "settings.setup[%zu]", i);
		if ((rc = wt_step_check(c, where, err)))
			goto out;
		for (int s = 0; s < 2; s++)
			if ((rc = wt_step_apply(c, x.ws[s], x.home[s], err)))
				goto out;
	}
	host->progress(run, 0, (int)n);
	json_array_foreach(cases, i, c)
	{
		const char *kind = json_string_value(json_object_get(c, "kind"));

		if (kind && !strcmp(kind, "reload"))
			rc = run_reload(&x, c, err);
		else
			rc = run_change(&x, c, err);
		if (rc)
			goto out;
		host->progress(run, (int)i + 1, (int)n);
	}
	if ((rc = delay_rows(&x, err)))
		goto out;
	host->log(run, PH_LOG_INFO, "%zu cases in %.1f s (debounce %ld ms)", n,
		  (now_ms() - t0) / 1000.0, set.debounce_ms);
out:
	json_decref(cases);
	free(home[0]);
	free(home[1]);
	wt_settings_release(&set);
	return rc;
}

static const struct ph_plugin plugin = {
	PH_PLUGIN_HEADER,
	.name = "watcher",
	.version = "1.0.0",
	.description = "file watcher: harness sync outputs, SIGNET-ARCHITECTURE.md, config reload",
	.run = watcher_run,
};

const struct ph_plugin *ph_watcher_plugin(void);

const struct ph_plugin *ph_watcher_plugin(void)
{
	return &plugin;
}
