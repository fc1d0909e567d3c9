/*
 * The renderer entry points that need no format of their own (matrix.json and "write all
 * four") and the small helpers the Markdown, JUnit and HTML renderers share: reading
 * members with defaults, escaping text, showing a JSON value on one line, the per-domain
 * counts line, and building a file in memory before writing it atomically, so a reader
 * never sees half a report and a failed render leaves the previous file in place.
 */
#define _GNU_SOURCE /* asprintf */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"

const char *ph_report_str(const json_t *obj, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : def;
}

void ph_report_escape(FILE *out, const char *s, const char *const subst[128])
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 128 && subst[c])
			fputs(subst[c], out);
		else if (c < 0x20 || c == 0x7f)
			fputs("\xEF\xBF\xBD", out); /* control characters: U+FFFD */
		else
			fputc(c, out);
	}
}

long long ph_report_count(const json_t *domain, const char *cls)
{
	const json_t *c = json_object_get(json_object_get(domain, "counts"), cls);

	return json_is_integer(c) ? (long long)json_integer_value(c) : 0;
}

char *ph_report_value_text(const json_t *v, size_t max)
{
	char *s;
	size_t n;

	if (!v)
		return strdup("(absent)");
	s = json_dumps(v,
		       JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (!s)
		return NULL;
	n = strlen(s);
	if (max && n > max) {
		size_t cut = max > 3 ? max - 3 : 0;

		/* back off to the start of a UTF-8 sequence */
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(s + cut, "...", 4);
	}
	return s;
}

char *ph_report_coverage_line(const json_t *cov)
{
	const json_t *q = json_object_get(cov, "ratio"), *c = json_object_get(cov, "counts");
	char *line = NULL;

	if (asprintf(&line,
		     "driven to status %.4f, body %.4f, state %.4f; deepest none %lld, status "
		     "%lld, body %lld, state %lld",
		     json_number_value(json_object_get(q, "status")),
		     json_number_value(json_object_get(q, "body")),
		     json_number_value(json_object_get(q, "state")),
		     (long long)json_integer_value(json_object_get(c, "none")),
		     (long long)json_integer_value(json_object_get(c, "status")),
		     (long long)json_integer_value(json_object_get(c, "body")),
		     (long long)json_integer_value(json_object_get(c, "state"))) < 0)
		return NULL;
	return line;
}

char *ph_report_counts_line(const json_t *domain)
{
	/* "error" last but one: unknown names land there */
	static const char *const order[] = {"parity", "structural", "semantic",
					    "timing", "expectation", "error"};
	const json_t *features = json_object_get(domain, "features"), *f;
	size_t counts[6] = {0}, n = json_array_size(features), i, k;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int first = 1;

	json_array_foreach(features, i, f)
	{
		const char *c = ph_report_str(f, "candidate", "error");

		for (k = 0; k < 5 && strcmp(c, order[k]) != 0; k++)
			;
		counts[k]++; /* unknown names land on "error" */
	}
	out = open_memstream(&buf, &len);
	if (!out)
		return NULL;
	fprintf(out, "%zu feature%s", n, n == 1 ? "" : "s");
	for (k = 0; k < 6; k++) {
		if (!counts[k])
			continue;
		fprintf(out, "%s%zu %s", first ? ": " : ", ", counts[k], order[k]);
		first = 0;
	}
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **ph_report_keys(const json_t *obj, size_t *n)
{
	const char **keys, *k;
	size_t i = 0;
	json_t *v;

	*n = 0;
	if (!json_is_object(obj) || !json_object_size(obj))
		return NULL;
	keys = malloc(json_object_size(obj) * sizeof(*keys));
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)obj, k, v)
	{
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

static int col_rank(const char *k)
{
	return strcmp(k, "reference") == 0 ? 0 : strcmp(k, "candidate") == 0 ? 1 : 2;
}

static int cmp_col(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = col_rank(x), ry = col_rank(y);

	return rx != ry ? rx - ry : strcmp(x, y);
}

void ph_report_metric_layout(const json_t *metrics, const char ***cols, size_t *n_cols,
			     const char ***rows, size_t *n_rows, const char ***scalars,
			     size_t *n_scalars)
{
	size_t n = 0, i, j, cap = 0;
	const char **keys = ph_report_keys(metrics, &n);

	*cols = *rows = *scalars = NULL;
	*n_cols = *n_rows = *n_scalars = 0;
	if (!keys)
		return;
	*cols = malloc(n * sizeof(**cols));
	*scalars = malloc(n * sizeof(**scalars));
	if (!*cols || !*scalars) {
		free(*cols);
		free(*scalars);
		*cols = *scalars = NULL;
		free(keys);
		return;
	}
	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(metrics, keys[i]);

		if (json_is_object(v)) {
			(*cols)[(*n_cols)++] = keys[i];
			cap += json_object_size(v);
		} else {
			(*scalars)[(*n_scalars)++] = keys[i];
		}
	}
	qsort(*cols, *n_cols, sizeof(**cols), cmp_col);
	free(keys);
	if (!cap)
		return;
	*rows = malloc(cap * sizeof(**rows));
	if (!*rows)
		return;
	for (i = 0; i < *n_cols; i++) {
		const char *k;
		json_t *v;

		json_object_foreach(json_object_get(metrics, (*cols)[i]), k, v)
		{
			(void)v;
			(*rows)[(*n_rows)++] = k;
		}
	}
	qsort(*rows, *n_rows, sizeof(**rows), cmp_str);
	/* drop duplicates */
	for (i = j = 0; i < *n_rows; i++)
		if (!j || strcmp((*rows)[j - 1], (*rows)[i]) != 0)
			(*rows)[j++] = (*rows)[i];
	*n_rows = j;
}

char *ph_report_metric_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!v)
		return strdup("");
	return ph_report_value_text(v, 200);
}

FILE *ph_report_open(char **buf, size_t *len, const char *path, struct ph_err *err)
{
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		ph_error(err, PH_E_NOMEM, "out of memory rendering '%s'", path);
	return f;
}

int ph_report_commit(FILE *f, char **buf, size_t *len, const char *path, struct ph_err *err)
{
	int bad = ferror(f);
	int rc;

	if (fclose(f) != 0 || bad || !*buf) {
		free(*buf);
		*buf = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory rendering '%s'", path);
	}
	rc = ph_file_write_atomic(path, *buf, *len, 0644, err);
	free(*buf);
	*buf = NULL;
	return rc;
}

int ph_report_write(const json_t *matrix, const char *path,
		    void (*write)(FILE *out, const json_t *matrix), struct ph_err *err)
{
	char *buf;
	size_t len;
	FILE *out;

	if (!json_is_object(matrix))
		return ph_error(err, PH_E_INVALID, "no matrix to write to '%s'", path);
	out = ph_report_open(&buf, &len, path, err);
	if (!out)
		return err ? err->code : PH_E_NOMEM;
	write(out, matrix);
	return ph_report_commit(out, &buf, &len, path, err);
}

int ph_report_json(const json_t *matrix, const char *path, struct ph_err *err)
{
	if (!matrix)
		return ph_error(err, PH_E_INVALID, "no matrix to write to '%s'", path);
	return ph_json_write_file(path, matrix, err);
}

int ph_report_all(const json_t *matrix, const char *dir, struct ph_err *err)
{
	static const struct {
		const char *name;
		int (*render)(const json_t *, const char *, struct ph_err *);
	} renderers[] = {
	    {PH_REPORT_JSON, ph_report_json},
	    {PH_REPORT_MD, ph_report_md},
	    {PH_REPORT_JUNIT, ph_report_junit},
	    {PH_REPORT_HTML, ph_report_html},
	};
	size_t i, n = strlen(dir) + 32;
	char *path = malloc(n);
	int rc = 0;

	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory writing reports to '%s'", dir);
	for (i = 0; i < sizeof(renderers) / sizeof(renderers[0]) && !rc; i++) {
		snprintf(path, n, "%s/%s", dir, renderers[i].name);
		rc = renderers[i].render(matrix, path, err);
	}
	free(path);
	return rc;
}
