/*
 * The parity matrix document (DESIGN.md "Matrix", schema "parity-matrix/1"): creating it,
 * adding one feature row per compared case, recomputing per-domain counts and statuses and
 * the overall verdict, and checking a loaded matrix.json against the fixed keys so that the
 * renderers and the gate can trust what they read. Everything lives in one jansson
 * document; there is no shadow state, so a matrix loaded from disk behaves like a fresh one.
 */
#define _POSIX_C_SOURCE 200809L
#include "matrix/matrix.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare/compare.h"
#include "coverage/coverage.h"
#include "domain/list.h"
#include "parity/jsonio.h"

static const char *const class_names[] = {"parity",	 "timing", "semantic",
					  "structural", "error",  "expectation"};
static const char *const statuses[] = {"pass", "diverge", "error", "skipped"};

/* Class of a matrix class name; unknown names count as error so they are never parity. */
static enum ph_class class_of(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strcmp(name, class_names[i]) == 0)
			return (enum ph_class)i;
	return PH_ERROR;
}

static int is_status(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

/*
 * A JSON string from text that may not be valid UTF-8 (runtime output, error messages):
 * invalid bytes become U+FFFD, so bad input neither fails nor corrupts the document.
 */
static json_t *safe_string(const char *s)
{
	json_t *j;
	size_t n, i, o = 0;
	char *buf;

	if (!s)
		s = "";
	j = json_string(s);
	if (j)
		return j;
	n = strlen(s);
	buf = malloc(n * 3 + 1);
	if (!buf)
		return NULL;
	for (i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t len = 0;

		if (p[0] < 0x80)
			len = 1;
		else if (p[0] >= 0xC2 && p[0] <= 0xDF)
			len = 2;
		else if (p[0] >= 0xE0 && p[0] <= 0xEF)
			len = 3;
		else if (p[0] >= 0xF0 && p[0] <= 0xF4)
			len = 4;
		if (len > 1) {
			size_t k;

			for (k = 1; k < len; k++)
				if (i + k >= n || (p[k] & 0xC0) != 0x80)
					break;
			if (k < len)
				len = 0;
			else if (len == 3 &&
				 ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
				len = 0; /* overlong or surrogate */
			else if (len == 4 &&
				 ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
				len = 0; /* overlong or beyond U+10FFFF */
		}
		if (len) {
			memcpy(buf + o, p, len);
			o += len;
			i += len;
		} else {
			memcpy(buf + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	buf[o] = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

/* "YYYY-MM-DDTHH:MM:SSZ" for now, or for $SOURCE_DATE_EPOCH when set (reproducible runs). */
static void utc_now(char out[32])
{
	time_t t = time(NULL);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct tm tm;

	if (sde && *sde) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (!errno && !*end && v >= 0)
			t = (time_t)v;
	}
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static json_t *new_counts(void)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i}", "parity", 0, "structural", 0, "semantic", 0,
			 "timing", 0, "error", 0);
}

json_t *ph_matrix_new(const char *ref_name, const char *ref_version, const char *cand_name,
		      const char *cand_version)
{
	char now[32];
	json_t *m;

	utc_now(now);
	m = json_pack("{s:s, s:s, s:{s:{s:o, s:o}, s:{s:o, s:o}}, s:[], s:{}, s:s}", "schema",
		      PH_MATRIX_SCHEMA, "generated_at", now, "runtimes", "reference", "name",
		      safe_string(ref_name && *ref_name ? ref_name : "reference"), "version",
		      safe_string(ref_version ? ref_version : "unknown"), "candidate", "name",
		      safe_string(cand_name && *cand_name ? cand_name : "candidate"), "version",
		      safe_string(cand_version ? cand_version : "unknown"), "domains", "metrics",
		      "verdict", "parity");
	return m;
}

json_t *ph_matrix_domain(json_t *matrix, const char *domain)
{
	json_t *domains, *d;
	size_t i;

	if (!matrix || !domain || !*domain)
		return NULL;
	domains = json_object_get(matrix, "domains");
	if (!json_is_array(domains)) {
		domains = json_array();
		if (json_object_set_new(matrix, "domains", domains))
			return NULL;
	}
	json_array_foreach(domains, i, d)
	{
		const char *name = json_string_value(json_object_get(d, "domain"));

		if (name && strcmp(name, domain) == 0)
			return d;
	}
	d = json_pack("{s:o, s:s, s:o, s:[]}", "domain", safe_string(domain), "status", "pass",
		      "counts", new_counts(), "features");
	if (!d || json_array_append_new(domains, d))
		return NULL;
	return d;
}

void ph_matrix_domain_status(json_t *matrix, const char *domain, const char *status,
			     const char *reason)
{
	json_t *d = ph_matrix_domain(matrix, domain);

	if (!d)
		return;
	json_object_set_new(d, "status", json_string(is_status(status) ? status : "error"));
	if (reason)
		json_object_set_new(d, "reason", safe_string(reason));
}

static json_t *latency(double ms)
{
	return ms < 0 || ms != ms ? json_null() : json_real(ms);
}

int ph_matrix_add_row(json_t *matrix, const char *domain, const struct ph_row *row,
		      struct ph_err *err)
{
	json_t *d, *features, *f, *divs;
	enum ph_class cls;

	if (!row || !row->feature || !*row->feature)
		return ph_error(err, PH_E_INVALID, "matrix row in domain '%s' has no feature",
				domain ? domain : "?");
	if ((int)row->cls < PH_PARITY || row->cls > PH_EXPECTATION)
		return ph_error(err, PH_E_INVALID, "matrix row '%s' has class %d, expected 0..5",
				row->feature, (int)row->cls);
	d = ph_matrix_domain(matrix, domain);
	if (!d)
		return ph_error(err, PH_E_INVALID, "cannot add row '%s': no matrix or no domain",
				row->feature);
	features = json_object_get(d, "features");
	if (!json_is_array(features)) {
		features = json_array();
		if (json_object_set_new(d, "features", features))
			return ph_error(err, PH_E_NOMEM, "out of memory adding row '%s'",
					row->feature);
	}
	cls = row->cls;
	/* an expectation row stays one: its result lists what broke, not a divergence */
	if (cls != PH_EXPECTATION && row->result && row->result->verdict > cls &&
	    row->result->verdict <= PH_ERROR)
		cls = row->result->verdict;
	/* An error message means the harness could not evaluate: never parity. */
	if (row->error)
		cls = PH_ERROR;
	if (row->result) {
		divs = ph_result_divergences_json(row->result);
		if (!json_is_array(divs)) {
			json_decref(divs);
			return ph_error(err, PH_E_NOMEM, "cannot copy divergences of row '%s'",
					row->feature);
		}
	} else {
		divs = json_array();
	}
	f = json_pack("{s:o, s:o, s:o, s:s, s:o, s:{s:o, s:o}}", "feature",
		      safe_string(row->feature), "case", safe_string(row->case_name), "reference",
		      safe_string(row->reference), "candidate", ph_class_name(cls), "divergences",
		      divs, "latency_ms", "reference", latency(row->latency_reference_ms),
		      "candidate", latency(row->latency_candidate_ms));
	if (!f)
		return ph_error(err, PH_E_NOMEM, "out of memory adding row '%s'", row->feature);
	if (cls == PH_ERROR)
		json_object_set_new(f, "error",
				    safe_string(row->error ? row->error : "no reason given"));
	if (json_array_append_new(features, f))
		return ph_error(err, PH_E_NOMEM, "out of memory adding row '%s'", row->feature);
	return 0;
}

struct slot {
	json_t *d;
	size_t index;
};

/* The domain list's order (domain/list.h), then the order they were added in. */
static int cmp_domain(const void *pa, const void *pb)
{
	const struct slot *a = pa, *b = pb;
	int c = ph_domain_cmp(json_string_value(json_object_get(a->d, "domain")),
			      json_string_value(json_object_get(b->d, "domain")));

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void sort_domains(json_t *matrix)
{
	json_t *domains = json_object_get(matrix, "domains"), *sorted;
	size_t n = json_array_size(domains), i;
	struct slot *slots;

	if (n < 2)
		return;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return;
	for (i = 0; i < n; i++) {
		slots[i].d = json_array_get(domains, i);
		slots[i].index = i;
	}
	qsort(slots, n, sizeof(*slots), cmp_domain);
	sorted = json_array();
	for (i = 0; sorted && i < n; i++)
		if (json_array_append(sorted, slots[i].d)) {
			json_decref(sorted);
			sorted = NULL;
		}
	if (sorted)
		json_object_set_new(matrix, "domains", sorted);
	free(slots);
}

/*
 * Status of one domain from its rows. An explicit "error" with a reason is kept (the
 * harness failed at the domain level, whatever rows it got before); an explicit
 * "skipped" is kept only while the domain has no rows. Otherwise any error row makes it
 * "error", any structural, semantic or timing row "diverge" (timing-only included: the
 * gate decides whether timing blocks), and "pass" remains.
 */
static const char *domain_status(const json_t *d, const size_t counts[PH_EXPECTATION + 1])
{
	const char *old = json_string_value(json_object_get(d, "status"));
	int explicit = json_is_string(json_object_get(d, "reason"));
	size_t rows = counts[0] + counts[1] + counts[2] + counts[3] + counts[4] + counts[5];

	if (old && explicit && strcmp(old, "error") == 0)
		return "error";
	if (old && !rows && (strcmp(old, "skipped") == 0 || strcmp(old, "error") == 0))
		return old;
	if (counts[PH_ERROR])
		return "error";
	if (counts[PH_STRUCTURAL] || counts[PH_SEMANTIC] || counts[PH_TIMING])
		return "diverge";
	return "pass";
}

static enum ph_class worst_of(const json_t *matrix, int recount)
{
	const json_t *domains = json_object_get(matrix, "domains");
	enum ph_class worst = PH_PARITY;
	size_t i, j;
	json_t *d, *f;

	json_array_foreach(domains, i, d)
	{
		size_t counts[PH_EXPECTATION + 1] = {0};
		const char *status;

		json_array_foreach(json_object_get(d, "features"), j, f)
		{
			enum ph_class c =
			    class_of(json_string_value(json_object_get(f, "candidate")));

			counts[c]++;
			if (c > worst && c != PH_EXPECTATION)
				worst = c;
		}
		if (recount) {
			json_t *cj = json_pack("{s:I, s:I, s:I, s:I, s:I}", "parity",
					       (json_int_t)counts[PH_PARITY], "structural",
					       (json_int_t)counts[PH_STRUCTURAL], "semantic",
					       (json_int_t)counts[PH_SEMANTIC], "timing",
					       (json_int_t)counts[PH_TIMING], "error",
					       (json_int_t)counts[PH_ERROR]);

			/* only domains that have such rows (a replay corpus) carry the key */
			if (cj && counts[PH_EXPECTATION])
				json_object_set_new(cj, "expectation",
						    json_integer((json_int_t)counts[PH_EXPECTATION]));
			json_object_set_new(d, "counts", cj);
			json_object_set_new(d, "status", json_string(domain_status(d, counts)));
		}
		status = json_string_value(json_object_get(d, "status"));
		if (status && strcmp(status, "error") == 0)
			worst = PH_ERROR;
	}
	return worst;
}

void ph_matrix_finish(json_t *matrix)
{
	if (!json_is_object(matrix))
		return;
	if (!json_is_array(json_object_get(matrix, "domains")))
		json_object_set_new(matrix, "domains", json_array());
	if (!json_is_object(json_object_get(matrix, "metrics")))
		json_object_set_new(matrix, "metrics", json_object());
	sort_domains(matrix);
	json_object_set_new(matrix, "verdict", json_string(ph_class_name(worst_of(matrix, 1))));
}

enum ph_class ph_matrix_verdict(const json_t *matrix)
{
	if (!json_is_object(matrix))
		return PH_ERROR;
	return worst_of(matrix, 0);
}

/* ---- validation ---- */

struct vctx {
	const char *source;
	struct ph_err *err;
};

static int vfail(struct vctx *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vfail(struct vctx *v, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (path && *path)
		return ph_error(v->err, PH_E_INVALID, "%s: %s: %s", v->source, path, what);
	return ph_error(v->err, PH_E_INVALID, "%s: %s", v->source, what);
}

/* A key path into out; long paths are cut, which only shortens a message. */
static void pathf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

static void join(char *out, size_t cap, const char *base, const char *key)
{
	pathf(out, cap, "%s%s%s", base, *base ? "." : "", key);
}

/* The member key of obj, which must be a string; *out borrowed. */
static int need_string(struct vctx *v, const json_t *obj, const char *base, const char *key,
		       int nonempty, const char **out)
{
	char p[256];
	const json_t *j = json_object_get(obj, key);

	join(p, sizeof(p), base, key);
	if (!j)
		return vfail(v, p, "missing, expected a string");
	if (!json_is_string(j))
		return vfail(v, p, "expected a string");
	if (nonempty && !json_string_length(j))
		return vfail(v, p, "expected a non-empty string");
	if (out)
		*out = json_string_value(j);
	return 0;
}

static int need_one_of(struct vctx *v, const json_t *obj, const char *base, const char *key,
		       const char *const *allowed, size_t n, const char *list)
{
	char p[256];
	const json_t *j = json_object_get(obj, key);
	size_t i;

	join(p, sizeof(p), base, key);
	for (i = 0; json_is_string(j) && i < n; i++)
		if (strcmp(json_string_value(j), allowed[i]) == 0)
			return 0;
	return vfail(v, p, "%sexpected one of %s", j ? "" : "missing, ", list);
}

static const json_t *need_kind(struct vctx *v, const json_t *obj, const char *base, const char *key,
			       int array, int *rc)
{
	char p[256];
	const json_t *j = json_object_get(obj, key);

	join(p, sizeof(p), base, key);
	if (array ? !json_is_array(j) : !json_is_object(j)) {
		*rc = vfail(v, p, "%sexpected an %s", j ? "" : "missing, ",
			    array ? "array" : "object");
		return NULL;
	}
	*rc = 0;
	return j;
}

static int valid_timestamp(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	int mo, dd, hh, mi, ss;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	dd = (s[8] - '0') * 10 + (s[9] - '0');
	hh = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	ss = (s[17] - '0') * 10 + (s[18] - '0');
	return mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && hh < 24 && mi < 60 && ss <= 60;
}

#define CLASS_LIST "parity|structural|semantic|timing|error"
/* a row or a divergence may also be an expectation; a verdict never is */
#define ROW_CLASS_LIST CLASS_LIST "|expectation"

static int check_feature(struct vctx *v, const json_t *f, const char *base)
{
	const json_t *divs, *lat, *dv;
	char p[256];
	size_t k;
	int rc;

	if (!json_is_object(f))
		return vfail(v, base, "expected an object");
	if ((rc = need_string(v, f, base, "feature", 1, NULL)) ||
	    (rc = need_string(v, f, base, "case", 0, NULL)) ||
	    (rc = need_string(v, f, base, "reference", 0, NULL)) ||
	    (rc = need_one_of(v, f, base, "candidate", class_names, 6, ROW_CLASS_LIST)))
		return rc;
	if (json_object_get(f, "error") && (rc = need_string(v, f, base, "error", 0, NULL)))
		return rc;
	{
		const char *why;
		char key[32];

		if (ph_coverage_row_check(f, key, sizeof(key), &why)) {
			join(p, sizeof(p), base, key);
			return vfail(v, p, "%s", why);
		}
	}
	/*
	 * divergences and latency_ms may be absent (an error row or a state check has
	 * none; null says the same); when present they must be well formed.
	 */
	divs = json_object_get(f, "divergences");
	if (json_is_null(divs))
		divs = NULL;
	if (divs && !need_kind(v, f, base, "divergences", 1, &rc))
		return rc;
	json_array_foreach(divs, k, dv)
	{
		pathf(p, sizeof(p), "%s.divergences[%zu]", base, k);
		if (!json_is_object(dv))
			return vfail(v, p, "expected an object");
		/* a and b may be absent: the value is then absent on that side. */
		if ((rc = need_one_of(v, dv, p, "class", class_names, 6, ROW_CLASS_LIST)) ||
		    (rc = need_string(v, dv, p, "kind", 1, NULL)) ||
		    (rc = need_string(v, dv, p, "path", 0, NULL)) ||
		    (rc = need_string(v, dv, p, "message", 0, NULL)))
			return rc;
	}
	lat = json_object_get(f, "latency_ms");
	if (!lat || json_is_null(lat))
		return 0;
	if (!need_kind(v, f, base, "latency_ms", 0, &rc))
		return rc;
	for (k = 0; k < 2; k++) {
		const char *side = k ? "candidate" : "reference";
		const json_t *x = json_object_get(lat, side);

		pathf(p, sizeof(p), "%s.latency_ms.%s", base, side);
		if (!x)
			return vfail(v, p, "missing, expected a number or null");
		if (!json_is_null(x) && !json_is_number(x))
			return vfail(v, p, "expected a number or null");
		if (json_is_number(x) && json_number_value(x) < 0)
			return vfail(v, p, "expected a non-negative number");
	}
	return 0;
}

static int check_domain(struct vctx *v, const json_t *d, const char *base)
{
	static const char *const count_keys[] = {"parity", "structural", "semantic", "timing",
						 "error"};
	const json_t *counts, *features, *f;
	char p[256];
	size_t k;
	int rc;

	if (!json_is_object(d))
		return vfail(v, base, "expected an object");
	if ((rc = need_string(v, d, base, "domain", 1, NULL)) ||
	    (rc = need_one_of(v, d, base, "status", statuses, 4, "pass|diverge|error|skipped")))
		return rc;
	if (json_object_get(d, "reason") && (rc = need_string(v, d, base, "reason", 0, NULL)))
		return rc;
	if (!(counts = need_kind(v, d, base, "counts", 0, &rc)))
		return rc;
	for (k = 0; k < 5; k++) {
		const json_t *c = json_object_get(counts, count_keys[k]);

		pathf(p, sizeof(p), "%s.counts.%s", base, count_keys[k]);
		if (!json_is_integer(c) || json_integer_value(c) < 0)
			return vfail(v, p, "%sexpected a non-negative integer",
				     c ? "" : "missing, ");
	}
	if (json_object_get(counts, "expectation")) { /* optional: only when there are any */
		const json_t *c = json_object_get(counts, "expectation");

		pathf(p, sizeof(p), "%s.counts.expectation", base);
		if (!json_is_integer(c) || json_integer_value(c) < 0)
			return vfail(v, p, "expected a non-negative integer");
	}
	if (!(features = need_kind(v, d, base, "features", 1, &rc)))
		return rc;
	json_array_foreach(features, k, f)
	{
		pathf(p, sizeof(p), "%s.features[%zu]", base, k);
		if ((rc = check_feature(v, f, p)))
			return rc;
	}
	return 0;
}

int ph_matrix_validate(const json_t *matrix, const char *source, struct ph_err *err)
{
	struct vctx v = {source ? source : "matrix", err};
	const json_t *rts, *domains, *d;
	const char *s;
	char p[256];
	size_t i, j;
	int rc;

	if (!json_is_object(matrix))
		return vfail(&v, NULL, "expected a JSON object");
	if ((rc = need_string(&v, matrix, "", "schema", 1, &s)))
		return rc;
	if (strcmp(s, PH_MATRIX_SCHEMA) != 0)
		return vfail(&v, "schema", "expected \"%s\", got \"%s\"", PH_MATRIX_SCHEMA, s);
	if ((rc = need_string(&v, matrix, "", "generated_at", 1, &s)))
		return rc;
	if (!valid_timestamp(s))
		return vfail(&v, "generated_at", "expected a UTC time YYYY-MM-DDTHH:MM:SSZ");
	if (!(rts = need_kind(&v, matrix, "", "runtimes", 0, &rc)))
		return rc;
	for (i = 0; i < 2; i++) {
		const char *side = i ? "candidate" : "reference";
		const json_t *r;

		pathf(p, sizeof(p), "runtimes");
		if (!(r = need_kind(&v, rts, p, side, 0, &rc)))
			return rc;
		pathf(p, sizeof(p), "runtimes.%s", side);
		if ((rc = need_string(&v, r, p, "name", 1, NULL)) ||
		    (rc = need_string(&v, r, p, "version", 0, NULL)))
			return rc;
	}
	if (!(domains = need_kind(&v, matrix, "", "domains", 1, &rc)))
		return rc;
	json_array_foreach(domains, i, d)
	{
		const char *name;

		pathf(p, sizeof(p), "domains[%zu]", i);
		if ((rc = check_domain(&v, d, p)))
			return rc;
		name = json_string_value(json_object_get(d, "domain"));
		for (j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(
					     json_array_get(domains, j), "domain"))) == 0)
				return vfail(&v, p, "domain '%s' appears twice (also domains[%zu])",
					     name, j);
	}
	if (!need_kind(&v, matrix, "", "metrics", 0, &rc))
		return rc;
	if ((rc = ph_coverage_validate(json_object_get(matrix, "coverage"), v.source, err)))
		return rc;
	return need_one_of(&v, matrix, "", "verdict", class_names, 5, CLASS_LIST);
}

int ph_matrix_load(const char *path, json_t **out, struct ph_err *err)
{
	int rc = ph_json_load_file(path, out, err);

	if (!rc && (rc = ph_matrix_validate(*out, path, err))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
