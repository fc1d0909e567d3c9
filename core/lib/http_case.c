/*
 * Declarative HTTP cases (parity/http_case.h): the case's JSON made a request, and the
 * summary and `expect` check it asks for made exchange hooks.
 */
#include "parity/http_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/exchange.h"
#include "parity/result.h"

#define MAX_HEADERS (sizeof(((struct ph_case_request *)0)->headers) / sizeof(struct ph_header))

static int headers_of(const char *dir, const char *name, const json_t *hdrs,
		      struct ph_case_request *cr, struct ph_err *err)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)hdrs, k, v)
	{
		if (!json_is_string(v) || n == MAX_HEADERS)
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': headers.%s: expected a string (at most 32 "
					"headers)",
					dir, name, k);
		cr->headers[n].name = k;
		cr->headers[n].value = json_string_value(v);
		n++;
	}
	cr->req.headers = cr->headers;
	cr->req.n_headers = n;
	return 0;
}

int ph_case_request_build(const struct ph_host *host, struct ph_run *run, const json_t *c,
			  struct ph_case_request *cr, struct ph_err *err)
{
	const char *dir = host->suite_dir(run);
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *method = json_object_get(c, "method"), *path = json_object_get(c, "path");
	json_t *body = json_object_get(c, "body"), *text = json_object_get(c, "body_text");
	json_t *hdrs = json_object_get(c, "headers");
	size_t n;
	int rc;

	memset(cr, 0, sizeof(*cr));
	if (!name)
		return ph_error(err, PH_E_INVALID, "%s: a case has no \"name\" string", dir);
	if (!json_is_string(method) || !json_is_string(path) ||
	    json_string_value(path)[0] != '/')
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': expected \"method\" and a \"path\" starting with /",
				dir, name);
	if (hdrs && !json_is_object(hdrs))
		return ph_error(err, PH_E_INVALID, "%s: case '%s': headers: expected an object",
				dir, name);
	if (text && !json_is_string(text))
		return ph_error(err, PH_E_INVALID, "%s: case '%s': body_text: expected a string",
				dir, name);
	cr->req.method = json_string_value(method);
	cr->req.path = json_string_value(path);
	if ((rc = headers_of(dir, name, hdrs, cr, err)))
		return rc;
	if (body) {
		if (!(cr->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)))
			return ph_error(err, PH_E_NOMEM, "out of memory");
		cr->req.body = cr->body;
		cr->req.body_len = strlen(cr->body);
	} else if (text) {
		cr->req.body = json_string_value(text);
		cr->req.body_len = json_string_length(text);
	}
	n = strlen(cr->req.method) + strlen(cr->req.path) + 2;
	if (!(cr->endpoint = malloc(n)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(cr->endpoint, n, "%s %s", cr->req.method, cr->req.path);
	return 0;
}

void ph_case_request_release(struct ph_case_request *cr)
{
	free(cr->body);
	free(cr->endpoint);
	cr->body = cr->endpoint = NULL;
}

int ph_case_repeatable(const json_t *c)
{
	json_t *idem = json_object_get(c, "idempotent");
	const char *method = json_string_value(json_object_get(c, "method"));

	if (idem)
		return json_is_true(idem);
	return method && (!strcmp(method, "GET") || !strcmp(method, "HEAD"));
}

/* ---- the case's hooks ---- */

struct case_hooks {
	const char *count;           /* "count": an array key, or NULL */
	const char *array, *key, *value, *missing; /* "expect", or array NULL */
};

/* "200, 10 memories" when the answer has an array under count, else "200". */
static void case_summary(void *ctx, const struct ph_response *ref, char *buf, size_t cap)
{
	const struct case_hooks *h = ctx;
	json_t *doc = h->count && ref->body ? json_loadb(ref->body, ref->body_len, 0, NULL) : NULL;
	json_t *v = json_object_get(doc, h->count ? h->count : "");

	if (json_is_array(v))
		snprintf(buf, cap, "%ld, %zu %s", ref->status, json_array_size(v), h->count);
	else
		snprintf(buf, cap, "%ld", ref->status);
	json_decref(doc);
}

/* Does the answer's array hold an element whose key is value? -1: no such array. */
static int holds(const struct case_hooks *h, const struct ph_response *r)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL), *item;
	json_t *arr = json_object_get(doc, h->array);
	int found = -1;
	size_t i;

	if (json_is_array(arr)) {
		found = 0;
		json_array_foreach(arr, i, item)
		{
			json_t *v = json_object_get(item, h->key);

			if (json_is_string(v) && !strcmp(json_string_value(v), h->value))
				found = 1;
		}
	}
	json_decref(doc);
	return found;
}

static int case_check(void *ctx, const struct ph_response pair[2], struct ph_result *res,
		      struct ph_err *why)
{
	const struct case_hooks *h = ctx;
	char msg[1100];

	if (!h->array)
		return 0;
	if (holds(h, &pair[PH_REFERENCE]) != 1)
		return ph_error(why, PH_E_INVALID,
				"the reference runtime did not return the expected %s '%s': the "
				"suite or fixture is wrong",
				h->key, h->value);
	if (holds(h, &pair[PH_CANDIDATE]) != 1) {
		if (h->missing)
			snprintf(msg, sizeof(msg), "%s '%s'", h->missing, h->value);
		else
			snprintf(msg, sizeof(msg),
				 "the candidate did not return the expected %s '%s'", h->key,
				 h->value);
		ph_result_add(res, PH_SEMANTIC, "expect", h->array, json_string(h->value), NULL,
			      msg);
	}
	return 0;
}

/* The case's "expect" into h; malformed is PH_E_INVALID. */
static int expect_of(const struct ph_host *host, struct ph_run *run, const json_t *c,
		     struct case_hooks *h, struct ph_err *err)
{
	json_t *e = json_object_get(c, "expect"), *missing = json_object_get(e, "missing");

	if (!e)
		return 0;
	h->array = json_string_value(json_object_get(e, "array"));
	h->key = json_string_value(json_object_get(e, "key"));
	h->value = json_string_value(json_object_get(e, "value"));
	h->missing = json_string_value(missing);
	if (!json_is_object(e) || !h->array || !h->key || !h->value || (missing && !h->missing))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': expect: expected {\"array\", \"key\", \"value\", "
				"\"missing\"?} strings",
				host->suite_dir(run),
				json_string_value(json_object_get(c, "name")));
	return 0;
}

int ph_http_case(const struct ph_host *host, struct ph_run *run, const json_t *c,
		 unsigned turn, struct ph_err *err)
{
	struct case_hooks h = {0};
	struct ph_case_request cr;
	struct ph_exchange x = {0};
	int rc;

	h.count = json_string_value(json_object_get(c, "count"));
	if ((rc = ph_case_request_build(host, run, c, &cr, err)) ||
	    (rc = expect_of(host, run, c, &h, err))) {
		ph_case_request_release(&cr);
		return rc;
	}
	x.req[PH_REFERENCE] = cr.req;
	x.endpoint = cr.endpoint;
	x.feature = json_string_value(json_object_get(c, "feature"));
	x.case_name = json_string_value(json_object_get(c, "name"));
	x.repeatable = ph_case_repeatable(c);
	x.turn = turn;
	x.ctx = &h;
	x.summary = case_summary;
	x.check = case_check;
	rc = ph_exchange(host, run, &x, err);
	ph_case_request_release(&cr);
	return rc;
}
