/*
 * The cutover gate's evaluation: walks every matrix row and every shadow fingerprint,
 * matches semantic and timing divergences against the documented-divergences file, and
 * collects every reason to block or to call the evidence insufficient. The verdict is
 * derived from the reasons only, so the printed list always explains it.
 */
#include "gate/gate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/list.h"
#include "measure/perf.h"
#include "parity/jsonio.h"

/* ---- documented divergences ----------------------------------------------------- */

int ph_glob_match(const char *pat, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text) {
		if (*pat == '*') {
			star = pat++;
			resume = text;
		} else if (*pat == *text) {
			pat++;
			text++;
		} else if (star) {
			pat = star + 1;
			text = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

int ph_date_valid(const char *t)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int i, y, m, d;

	if (!t || strlen(t) != 10 || t[4] != '-' || t[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)t[i]))
			return 0;
	y = atoi(t);
	m = atoi(t + 5);
	d = atoi(t + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

void ph_documented_release(struct ph_documented *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->n; i++) {
		free(doc->items[i].domain);
		free(doc->items[i].feature);
		free(doc->items[i].path);
		free(doc->items[i].reason);
		free(doc->items[i].owner);
	}
	free(doc->items);
	free(doc->source);
	memset(doc, 0, sizeof(*doc));
}

/* A string member of entry i, or an error naming it. */
static int str_key(const json_t *e, const char *key, int nonempty, char **out, const char *source,
		   size_t i, struct ph_err *err)
{
	const json_t *v = json_object_get(e, key);

	if (!json_is_string(v) || (nonempty && !*json_string_value(v)))
		return ph_error(err, PH_E_INVALID, "%s: [%zu].%s: expected a%s string", source, i,
				key, nonempty ? " non-empty" : "");
	*out = strdup(json_string_value(v));
	return *out ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

int ph_documented_from_json(struct ph_documented *doc, const json_t *arr, const char *source,
			    struct ph_err *err)
{
	const struct ph_domain_list *known;
	size_t i;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if ((rc = ph_domains_repo(&known, err)))
		return rc;
	if (!json_is_array(arr))
		return ph_error(
		    err, PH_E_INVALID,
		    "%s: expected a JSON array of {domain, feature, path, class, reason, "
		    "owner, expires}",
		    source);
	doc->source = strdup(source);
	doc->items = calloc(json_array_size(arr) + 1, sizeof(*doc->items));
	if (!doc->source || !doc->items) {
		ph_documented_release(doc);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *e = json_array_get(arr, i);
		struct ph_documented_entry *d = &doc->items[i];
		const char *cls, *exp;

		if (!json_is_object(e)) {
			ph_documented_release(doc);
			return ph_error(err, PH_E_INVALID, "%s: [%zu]: expected an object", source,
					i);
		}
		doc->n = i + 1;
		if ((rc = str_key(e, "domain", 1, &d->domain, source, i, err)) ||
		    (rc = str_key(e, "feature", 1, &d->feature, source, i, err)) ||
		    (rc = str_key(e, "path", 0, &d->path, source, i, err)) ||
		    (rc = str_key(e, "reason", 1, &d->reason, source, i, err)) ||
		    (rc = str_key(e, "owner", 1, &d->owner, source, i, err))) {
			ph_documented_release(doc);
			return rc;
		}
		if (!ph_domain_list_has(known, d->domain) && strcmp(d->domain, PH_DOMAIN_UNMAPPED) &&
		    strcmp(d->domain, "*")) {
			char *names = ph_domain_list_text(known);

			ph_documented_release(doc);
			rc = ph_error(err, PH_E_INVALID,
				      "%s: [%zu].domain: '%s' is not a domain (known: %s), "
				      "\"unmapped\" or \"*\"",
				      source, i, json_string_value(json_object_get(e, "domain")),
				      names ? names : "");
			free(names);
			return rc;
		}
		cls = json_string_value(json_object_get(e, "class"));
		if (!cls || (strcmp(cls, "semantic") && strcmp(cls, "timing"))) {
			ph_documented_release(doc);
			return ph_error(err, PH_E_INVALID,
					"%s: [%zu].class: expected \"semantic\" or \"timing\" "
					"(structural divergences always block)",
					source, i);
		}
		d->cls = !strcmp(cls, "semantic") ? PH_SEMANTIC : PH_TIMING;
		exp = json_string_value(json_object_get(e, "expires"));
		if (!ph_date_valid(exp)) {
			ph_documented_release(doc);
			return ph_error(err, PH_E_INVALID,
					"%s: [%zu].expires: expected a date YYYY-MM-DD", source, i);
		}
		memcpy(d->expires, exp, 11);
	}
	return 0;
}

int ph_documented_load(struct ph_documented *doc, const char *path, struct ph_err *err)
{
	json_t *arr;
	int rc;

	memset(doc, 0, sizeof(*doc));
	rc = ph_json_load_file(path, &arr, err);
	if (rc)
		return rc;
	rc = ph_documented_from_json(doc, arr, path, err);
	json_decref(arr);
	return rc;
}

/* ---- evaluation ----------------------------------------------------------------- */

const char *ph_gate_verdict_name(enum ph_gate_verdict v)
{
	return v == PH_GATE_PASS ? "pass" : v == PH_GATE_BLOCKED ? "blocked" : "insufficient";
}

void ph_gate_release(struct ph_gate *g)
{
	json_decref(g->reasons);
	json_decref(g->notes);
	memset(g, 0, sizeof(*g));
}

/* Append a reason (effect blocked/insufficient) or, with effect PH_GATE_PASS, a note. */
static int add(struct ph_gate *g, enum ph_gate_verdict effect, const char *kind, const char *domain,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add(struct ph_gate *g, enum ph_gate_verdict effect, const char *kind, const char *domain,
	       const char *fmt, ...)
{
	char detail[2048];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (effect == PH_GATE_PASS)
		r = json_pack("{s:s, s:s?, s:s}", "kind", kind, "domain", domain, "detail", detail);
	else
		r = json_pack("{s:s, s:s?, s:s, s:s}", "kind", kind, "domain", domain, "detail",
			      detail, "effect", ph_gate_verdict_name(effect));
	if (!r || json_array_append_new(effect == PH_GATE_PASS ? g->notes : g->reasons, r))
		return PH_E_NOMEM;
	if (effect == PH_GATE_BLOCKED)
		g->verdict = PH_GATE_BLOCKED;
	else if (effect == PH_GATE_INSUFFICIENT && g->verdict == PH_GATE_PASS)
		g->verdict = PH_GATE_INSUFFICIENT;
	return 0;
}

/* The first unexpired documented entry covering the divergence, or NULL. */
static struct ph_documented_entry *covered(struct ph_documented *doc, const char *domain,
					   const char *feature, const char *path, enum ph_class cls)
{
	struct ph_documented_entry *hit = NULL;
	size_t i;

	for (i = 0; doc && i < doc->n; i++) {
		struct ph_documented_entry *e = &doc->items[i];

		if (e->expired || e->cls != cls)
			continue;
		if (strcmp(e->domain, "*") && strcmp(e->domain, domain))
			continue;
		if (!ph_glob_match(e->feature, feature) || !ph_glob_match(e->path, path))
			continue;
		e->matched++;
		if (!hit)
			hit = e;
	}
	return hit;
}

/* A matrix class name as an enum value, -1 when unknown. */
static int parse_class(const char *name)
{
	static const enum ph_class all[] = {PH_PARITY,	   PH_TIMING, PH_SEMANTIC,
					    PH_STRUCTURAL, PH_ERROR,  PH_EXPECTATION};
	size_t i;

	for (i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, ph_class_name(all[i])))
			return (int)all[i];
	return -1;
}

static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* One divergence of a matrix row. */
static int row_divergence(struct ph_gate *g, const struct ph_gate_input *in, const char *src,
			  const char *domain, const char *feature, const char *cname,
			  enum ph_class cls, const char *kind, const char *path, const char *msg)
{
	const char *shown = *path ? path : "(body)";

	switch (cls) {
	case PH_STRUCTURAL:
		return add(g, PH_GATE_BLOCKED, "structural", domain,
			   "%s: %s (case %s): %s at %s%s%s", src, feature, cname, kind, shown,
			   *msg ? ": " : "", msg);
	case PH_SEMANTIC:
		if (covered(in->documented, domain, feature, path, PH_SEMANTIC))
			return 0;
		return add(g, PH_GATE_BLOCKED, "undocumented-semantic", domain,
			   "%s: %s (case %s): %s at %s%s%s", src, feature, cname, kind, shown,
			   *msg ? ": " : "", msg);
	case PH_TIMING:
		if (covered(in->documented, domain, feature, path, PH_TIMING))
			return 0;
		return add(g, PH_GATE_PASS, "timing", domain, "%s: %s (case %s): %s%s%s", src,
			   feature, cname, kind, *msg ? ": " : "", msg);
	default:
		return 0;
	}
}

static int eval_row(struct ph_gate *g, const struct ph_gate_input *in, const char *src,
		    const char *domain, const json_t *row)
{
	const char *feature = str_or(json_object_get(row, "feature"), "(no feature)");
	const char *cname = str_or(json_object_get(row, "case"), "-");
	const char *cand = str_or(json_object_get(row, "candidate"), "error");
	const json_t *divs = json_object_get(row, "divergences");
	int rc, seen[PH_EXPECTATION + 1] = {0};
	int rowcls = parse_class(cand);
	size_t i;

	if (rowcls < 0 || rowcls == PH_ERROR) {
		const char *why = str_or(json_object_get(row, "error"), NULL);

		if (!why)
			why = str_or(json_object_get(row, "reference"), "no detail");
		return add(g, PH_GATE_INSUFFICIENT, "error-row", domain,
			   "%s: %s (case %s): could not be evaluated: %s", src, feature, cname,
			   why);
	}
	/* a suite's expectation that did not hold is a finding to show, not a divergence */
	if (rowcls == PH_EXPECTATION)
		return add(g, PH_GATE_PASS, "expectation", domain,
			   "%s: %s (case %s): %zu expectation%s of the suite did not hold", src,
			   feature, cname, json_array_size(divs),
			   json_array_size(divs) == 1 ? "" : "s");
	for (i = 0; i < json_array_size(divs); i++) {
		const json_t *d = json_array_get(divs, i);
		int cls = parse_class(str_or(json_object_get(d, "class"), ""));

		if (cls <= PH_PARITY || cls == PH_ERROR || cls == PH_EXPECTATION)
			continue;
		seen[cls] = 1;
		rc = row_divergence(g, in, src, domain, feature, cname, (enum ph_class)cls,
				    str_or(json_object_get(d, "kind"), "divergence"),
				    str_or(json_object_get(d, "path"), ""),
				    str_or(json_object_get(d, "message"), ""));
		if (rc)
			return rc;
	}
	/* a row classed worse than the divergences it lists still counts as that class */
	if (rowcls > PH_PARITY && !seen[rowcls])
		return row_divergence(g, in, src, domain, feature, cname, (enum ph_class)rowcls,
				      "row", "", "");
	return 0;
}

/* Bits of what the matrices say about one domain of the list. */
enum { SEEN_OK = 1, SEEN_SKIPPED = 2, SEEN_ERROR = 4 };

static int eval_matrices(struct ph_gate *g, const struct ph_gate_input *in,
			 const struct ph_domain_list *known)
{
	int state[64] = {0};
	size_t m, i, j, n_known = known->n < 64 ? known->n : 64;
	int rc;

	if (!in->n_matrices)
		return add(g, PH_GATE_INSUFFICIENT, "no-matrix", NULL,
			   "no parity matrix given (--matrix)");
	for (m = 0; m < in->n_matrices; m++) {
		const json_t *ds = json_object_get(in->matrices[m], "domains");
		const char *src = in->matrix_names ? in->matrix_names[m] : "matrix";

		for (i = 0; i < json_array_size(ds); i++) {
			const json_t *d = json_array_get(ds, i);
			const char *name = str_or(json_object_get(d, "domain"), "?");
			const char *status = str_or(json_object_get(d, "status"), "error");
			const json_t *rows = json_object_get(d, "features");
			size_t k = ph_domain_list_index(known, name);

			if (k >= n_known) {
				k = n_known;
				rc = add(g, PH_GATE_PASS, "unknown-domain", name,
					 "%s: domain '%s' is not one of the listed domains: its rows "
					 "are judged, its absence would not be",
					 src, name);
				if (rc)
					return rc;
			}
			if (!strcmp(status, "skipped")) {
				if (k < n_known)
					state[k] |= SEEN_SKIPPED;
				continue;
			}
			if (!strcmp(status, "error")) {
				if (k < n_known)
					state[k] |= SEEN_ERROR;
				rc = add(g, PH_GATE_INSUFFICIENT, "domain-error", name,
					 "%s: domain '%s' could not be evaluated: %s", src, name,
					 str_or(json_object_get(d, "reason"), "status error"));
				if (rc)
					return rc;
			} else if (k < n_known) {
				state[k] |= SEEN_OK;
			}
			for (j = 0; j < json_array_size(rows); j++) {
				rc = eval_row(g, in, src, name, json_array_get(rows, j));
				if (rc)
					return rc;
			}
		}
	}
	for (i = 0; i < n_known; i++) {
		const char *name = known->names[i];

		if (state[i] & (SEEN_OK | SEEN_ERROR))
			continue;
		if (state[i] & SEEN_SKIPPED)
			rc = add(g, PH_GATE_INSUFFICIENT, "domain-skipped", name,
				 "domain '%s' was skipped in every matrix", name);
		else
			rc = add(g, PH_GATE_INSUFFICIENT, "domain-missing", name,
				 "domain '%s' is in no matrix", name);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * What our proxy (parity-shadow/1) did not compare: exchanges dropped when its queue was
 * full, and stops that did not drain the queue. A note: what was compared still counts,
 * the reader should know how much was not. Without a stop line (the proxy did not stop
 * cleanly) the overflow lines' counts are all there is.
 */
static int shadow_dropped(struct ph_gate *g, const struct ph_shadow *s)
{
	const struct ph_shadow_events *e = &s->events;
	unsigned long dropped = e->stop ? e->dropped : e->overflow_dropped;

	if (!dropped && !e->undrained)
		return 0;
	if (e->stop)
		return add(g, PH_GATE_PASS, "shadow-dropped", NULL,
			   "shadow proxy: %lu exchange%s not compared (dropped, queue full); "
			   "%lu stop%s without draining the queue; %lu of %lu forwarded "
			   "compared (%lu writes skipped, %lu shadow errors)",
			   dropped, dropped == 1 ? "" : "s", e->undrained,
			   e->undrained == 1 ? "" : "s", e->compared, e->forwarded,
			   e->skipped_writes, e->shadow_errors);
	return add(g, PH_GATE_PASS, "shadow-dropped", NULL,
		   "shadow proxy: at least %lu exchange%s not compared (dropped, queue full; "
		   "no stop line)",
		   dropped, dropped == 1 ? "" : "s");
}

static int eval_shadow(struct ph_gate *g, const struct ph_gate_input *in)
{
	const struct ph_shadow *s = in->shadow;
	const struct ph_shadow_fp **v;
	size_t i, n;
	int rc = 0;

	if (!s) {
		if (in->min_shadow_days > 0)
			return add(g, PH_GATE_INSUFFICIENT, "no-shadow", NULL,
				   "no shadow log given (--shadow) and %g days of shadow mode are "
				   "required",
				   in->min_shadow_days);
		return 0;
	}
	g->shadow_span_days = ph_shadow_span_days(s);
	if (g->shadow_span_days < in->min_shadow_days) {
		char a[48], b[48];

		if (s->first_ms > s->last_ms)
			rc =
			    add(g, PH_GATE_INSUFFICIENT, "shadow-too-short", NULL,
				"shadow logs hold no entry; %g days required", in->min_shadow_days);
		else
			rc =
			    add(g, PH_GATE_INSUFFICIENT, "shadow-too-short", NULL,
				"shadow logs span %.2f days (%s to %s); %g required",
				g->shadow_span_days, ph_shadow_format_ms(s->first_ms, a, sizeof(a)),
				ph_shadow_format_ms(s->last_ms, b, sizeof(b)), in->min_shadow_days);
		if (rc)
			return rc;
	}
	if (s->malformed) {
		rc = add(g, PH_GATE_PASS, "shadow-malformed", NULL,
			 "%lu malformed shadow log line%s, first: %s", s->malformed,
			 s->malformed == 1 ? "" : "s", s->n_messages ? s->messages[0].text : "?");
		if (rc)
			return rc;
	}
	if ((rc = shadow_dropped(g, s)))
		return rc;
	v = ph_shadow_sorted(s, &n);
	if (!v && s->n_fps)
		return PH_E_NOMEM;
	for (i = 0; i < n && !rc; i++) {
		const struct ph_shadow_fp *fp = v[i];
		char a[48], b[48];
		const char *path = *fp->path ? fp->path : "(body)";

		ph_shadow_format_ms(fp->first_ms, a, sizeof(a));
		ph_shadow_format_ms(fp->last_ms, b, sizeof(b));
		switch (fp->cls) {
		case PH_STRUCTURAL:
			rc = add(g, PH_GATE_BLOCKED, "structural", fp->domain,
				 "shadow: %s: %s (%lu times, %s to %s)", fp->endpoint, path,
				 fp->count, a, b);
			break;
		case PH_SEMANTIC:
			if (covered(in->documented, fp->domain, fp->endpoint, fp->path,
				    PH_SEMANTIC))
				break;
			rc = add(g, PH_GATE_BLOCKED, "undocumented-semantic", fp->domain,
				 "shadow: %s: %s (%lu times, %s to %s)", fp->endpoint, path,
				 fp->count, a, b);
			break;
		case PH_TIMING:
			if (covered(in->documented, fp->domain, fp->endpoint, fp->path, PH_TIMING))
				break;
			rc = add(g, PH_GATE_PASS, "timing", fp->domain,
				 "shadow: %s: slower side beyond the timing thresholds (%lu times)",
				 fp->endpoint, fp->count);
			break;
		case PH_ERROR:
			rc = add(
			    g, PH_GATE_INSUFFICIENT, "shadow-error", fp->domain,
			    "shadow: %s: the shadow runtime did not answer (%lu times, %s to %s)",
			    fp->endpoint, fp->count, a, b);
			break;
		case PH_PARITY:
		case PH_EXPECTATION: /* a shadow log has no suite expectations */
			break;
		}
	}
	free(v);
	return rc;
}

int ph_gate_evaluate(struct ph_gate *g, const struct ph_gate_input *in, struct ph_err *err)
{
	struct ph_documented *doc = in->documented;
	const struct ph_domain_list *known;
	size_t i;
	int rc;

	memset(g, 0, sizeof(*g));
	if ((rc = ph_domains_repo(&known, err)))
		return rc;
	g->verdict = PH_GATE_PASS;
	g->reasons = json_array();
	g->notes = json_array();
	if (!g->reasons || !g->notes)
		goto nomem;
	for (i = 0; doc && i < doc->n; i++) {
		struct ph_documented_entry *e = &doc->items[i];

		e->matched = 0;
		e->expired = in->today && strcmp(e->expires, in->today) < 0;
		if (e->expired && add(g, PH_GATE_BLOCKED, "expired-documentation", e->domain,
				      "%s: [%zu] (feature '%s', path '%s', owner %s) expired on %s",
				      doc->source, i, e->feature, e->path, e->owner, e->expires))
			goto nomem;
	}
	rc = eval_matrices(g, in, known);
	if (!rc)
		rc = eval_shadow(g, in);
	if (rc)
		goto nomem;
	for (i = 0; doc && i < doc->n; i++) {
		struct ph_documented_entry *e = &doc->items[i];

		if (!e->expired && !e->matched &&
		    add(g, PH_GATE_PASS, "stale-documentation", e->domain,
			"%s: [%zu] (feature '%s', path '%s', class %s, owner %s) matched no "
			"divergence",
			doc->source, i, e->feature, e->path, ph_class_name(e->cls), e->owner))
			goto nomem;
	}
	return 0;
nomem:
	ph_gate_release(g);
	return ph_error(err, PH_E_NOMEM, "out of memory evaluating the gate");
}

int ph_gate_perf(struct ph_gate *g, const struct ph_gate_input *in, const json_t *targets,
		 struct ph_err *err)
{
	size_t i, k;
	int rc;

	if (!targets || !json_object_size(targets))
		return 0;
	for (i = 0; i < in->n_matrices; i++) {
		const char *src = in->matrix_names ? in->matrix_names[i] : "matrix";
		json_t *perf = json_object_get(json_object_get(in->matrices[i], "metrics"), "perf");
		json_t *results, *r;

		if (!json_is_object(json_object_get(perf, "ratios"))) {
			if (add(g, PH_GATE_INSUFFICIENT, "perf-missing", NULL,
				"%s: performance targets are set but the matrix has no performance "
				"section (run with --perf-requests N or a \"perf\" config)",
				src))
				return ph_error(err, PH_E_NOMEM, "out of memory");
			continue;
		}
		if ((rc = ph_perf_targets_check(targets, json_object_get(perf, "ratios"), &results,
						err)))
			return rc;
		json_array_foreach(results, k, r)
		{
			const char *name = str_or(json_object_get(r, "target"), "?");
			const char *expr = str_or(json_object_get(r, "expr"), "?");
			json_t *met = json_object_get(r, "met");
			double v = json_number_value(json_object_get(r, "value"));

			if (json_is_null(met))
				rc = add(g, PH_GATE_INSUFFICIENT, "perf-missing", NULL,
					 "%s: target %s %s: the ratio was not measured", src, name, expr);
			else if (json_is_false(met))
				rc = add(g, PH_GATE_BLOCKED, "perf-target", NULL,
					 "%s: target %s %s missed: candidate/reference is %g", src, name,
					 expr, v);
			else
				rc = add(g, PH_GATE_PASS, "perf-target", NULL,
					 "%s: target %s %s met: %g", src, name, expr, v);
			if (rc) {
				json_decref(results);
				return ph_error(err, PH_E_NOMEM, "out of memory");
			}
		}
		json_decref(results);
	}
	return 0;
}

/* ---- route coverage minimums ----------------------------------------------------- */

int ph_gate_coverage_spec(const char *spec, double mins[PH_DEPTH_COUNT], struct ph_err *err)
{
	const char *p = spec;
	int k, any = 0;

	for (k = 0; k < PH_DEPTH_COUNT; k++)
		mins[k] = -1;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		char key[16], num[64], *end;
		double v;

		size_t kn = eq ? (size_t)(eq - p) : 0;

		if (!eq || kn >= sizeof(key) || n - kn - 1 >= sizeof(num))
			goto bad;
		snprintf(key, sizeof(key), "%.*s", (int)kn, p);
		snprintf(num, sizeof(num), "%.*s", (int)(n - kn - 1), eq + 1);
		k = ph_depth_of(key);
		v = strtod(num, &end);
		if (k <= PH_DEPTH_NONE || !*num || *end || !(v >= 0 && v <= 1))
			goto bad;
		if (mins[k] >= 0)
			return ph_error(err, PH_E_USAGE, "--min-coverage: '%s' sets %s twice", spec,
					key);
		mins[k] = v;
		any = 1;
		p += n;
		if (*p == ',' && *++p == '\0')
			goto bad; /* a trailing comma */
	}
	if (any)
		return 0;
bad:
	return ph_error(err, PH_E_USAGE,
			"--min-coverage: expected KEY=VALUE[,KEY=VALUE]... with keys status, body "
			"and state and values from 0 to 1, got '%s'",
			spec ? spec : "");
}

/* "0.12 < 0.50": two decimals, or four when two would make them look equal. */
static void ratio_text(double ratio, double min, const char *op, char *buf, size_t cap)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%.2f", ratio);
	snprintf(b, sizeof(b), "%.2f", min);
	if (!strcmp(a, b) && ratio != min) {
		snprintf(a, sizeof(a), "%.4f", ratio);
		snprintf(b, sizeof(b), "%.4f", min);
	}
	snprintf(buf, cap, "%s %s %s", a, op, b);
}

int ph_gate_coverage(struct ph_gate *g, const struct ph_gate_input *in,
		     const double mins[PH_DEPTH_COUNT], struct ph_err *err)
{
	size_t i;
	int k, rc = 0, any = 0;

	for (k = PH_DEPTH_STATUS; mins && k < PH_DEPTH_COUNT; k++)
		any |= mins[k] >= 0;
	if (!any)
		return 0;
	for (i = 0; i < in->n_matrices && !rc; i++) {
		const char *src = in->matrix_names ? in->matrix_names[i] : "matrix";
		const json_t *cov = json_object_get(in->matrices[i], "coverage");
		const char *list = str_or(json_object_get(cov, "source"), "?");

		if (!json_is_object(cov)) {
			rc = add(g, PH_GATE_INSUFFICIENT, "coverage-missing", NULL,
				 "%s: coverage minimums are set but the matrix has no route "
				 "coverage (set \"route_list\" in the config of its run)",
				 src);
			continue;
		}
		for (k = PH_DEPTH_STATUS; k < PH_DEPTH_COUNT && !rc; k++) {
			const char *name = ph_depth_name((enum ph_depth)k);
			double r = json_number_value(json_object_get(json_object_get(cov, "ratio"),
								     name));
			char text[96];

			if (mins[k] < 0)
				continue;
			ratio_text(r, mins[k], r < mins[k] ? "<" : ">=", text, sizeof(text));
			rc = add(g, r < mins[k] ? PH_GATE_BLOCKED : PH_GATE_PASS, "coverage", NULL,
				 "%s: %s %s (route_list %s)", src, name, text, list);
		}
	}
	return rc ? ph_error(err, PH_E_NOMEM, "out of memory") : 0;
}

json_t *ph_gate_to_json(const struct ph_gate *g)
{
	return json_pack("{s:s, s:O, s:O, s:f}", "verdict", ph_gate_verdict_name(g->verdict),
			 "reasons", g->reasons, "notes", g->notes, "shadow_span_days",
			 g->shadow_span_days);
}

static void write_list(FILE *f, const json_t *list)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		const json_t *r = json_array_get(list, i);
		const char *eff = str_or(json_object_get(r, "effect"), "note");
		const char *dom = str_or(json_object_get(r, "domain"), NULL);

		fprintf(f, "  %-12s %-22s %s%s%s%s\n", eff, str_or(json_object_get(r, "kind"), "?"),
			dom ? "[" : "", dom ? dom : "", dom ? "] " : "",
			str_or(json_object_get(r, "detail"), ""));
	}
}

void ph_gate_write_text(const struct ph_gate *g, FILE *f)
{
	fprintf(f, "gate: %s\n", ph_gate_verdict_name(g->verdict));
	if (json_array_size(g->reasons)) {
		fprintf(f, "reasons (%zu):\n", json_array_size(g->reasons));
		write_list(f, g->reasons);
	}
	if (json_array_size(g->notes)) {
		fprintf(f, "notes (%zu):\n", json_array_size(g->notes));
		write_list(f, g->notes);
	}
}
