/*
 * Route lists (routes.h): loading either form with a message naming the file and the
 * entry, reading "METHOD /path" texts, and finding the listed route a request drives with
 * the route matching rule lookup uses (compare/rules.h), so a route list and a rules file
 * agree on what "GET /api/memory/search" is.
 */
#include "coverage/routes.h"

#include <stdlib.h>
#include <string.h>

#include "compare/rules.h"
#include "parity/jsonio.h"
#include "parity/strbuf.h"

void ph_route_list_release(struct ph_route_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->routes[i].key);
		free(l->routes[i].method);
		ph_route_free(l->routes[i].segs, l->routes[i].n_segs);
		free(l->routes[i].status);
	}
	free(l->routes);
	free(l->source);
	memset(l, 0, sizeof(*l));
}

/* Length of the upper-case method at the start of s (0: none). */
static size_t method_len(const char *s)
{
	size_t n = 0;

	while (s[n] >= 'A' && s[n] <= 'Z')
		n++;
	return n;
}

int ph_route_text_split(const char *text, int strict, char **method, char ***segs, size_t *n)
{
	size_t m = method_len(text), plen;
	const char *path = text + m;
	char *p;
	int rc;

	*method = NULL;
	*segs = NULL;
	*n = 0;
	if (!m || *path != ' ')
		return 1;
	while (*path == ' ')
		path++;
	if (*path != '/')
		return 1;
	plen = strict ? strlen(path) : strcspn(path, " \t\r\n");
	if (!(p = strndup(path, plen)))
		return PH_E_NOMEM;
	rc = ph_route_split(p, segs, n);
	free(p);
	if (!rc && !(*method = strndup(text, m))) {
		ph_route_free(*segs, *n);
		*segs = NULL;
		*n = 0;
		rc = PH_E_NOMEM;
	}
	return rc;
}

char *ph_route_key(const char *method, char *const *segs, size_t n)
{
	struct ph_strbuf b = {0};
	size_t i;

	ph_strbuf_add(&b, method);
	ph_strbuf_addc(&b, ' ');
	if (!n)
		ph_strbuf_addc(&b, '/');
	for (i = 0; i < n; i++) {
		ph_strbuf_addc(&b, '/');
		ph_strbuf_add(&b, segs[i]);
	}
	return ph_strbuf_take(&b);
}

long ph_route_list_match(const struct ph_route_list *l, const char *method, char *const *segs,
			 size_t n)
{
	const struct ph_route *best = NULL;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct ph_route *r = &l->routes[i];
		int any = !strcmp(r->method, "ALL");

		if ((!any && strcmp(r->method, method)) ||
		    !ph_route_match(r->segs, r->n_segs, segs, n))
			continue;
		if (!best || ph_route_more_specific(r->segs, best->segs, n) ||
		    (!ph_route_more_specific(best->segs, r->segs, n) && !any &&
		     !strcmp(best->method, "ALL")))
			best = r;
	}
	return best ? (long)(best - l->routes) : -1;
}

/*
 * The identity of a route for the duplicate check: its method and path with every
 * parameter written ":" (":id" and ":name" in one place are one route). New string.
 */
static char *identity(const struct ph_route *r)
{
	struct ph_strbuf b = {0};
	size_t i;

	ph_strbuf_add(&b, r->method);
	ph_strbuf_addc(&b, ' ');
	for (i = 0; i < r->n_segs; i++) {
		ph_strbuf_addc(&b, '/');
		ph_strbuf_add(&b, r->segs[i][0] == ':' ? ":" : r->segs[i]);
	}
	return ph_strbuf_take(&b);
}

/* A listed path: starting with '/', without blanks, query string or fragment. */
static int path_ok(const char *p)
{
	return p[0] == '/' && !p[strcspn(p, " \t\r\n?#")];
}

#define ENTRY_SHAPE "expected {\"method\", \"path\"} or \"METHOD /path\""

/* Entry e of the list, at where ("routes[3]"), into r. */
static int entry(struct ph_route *r, const json_t *e, const char *source, const char *where,
		 struct ph_err *err)
{
	const char *method, *path, *text = json_string_value(e);
	const json_t *st = json_object_get(e, "status");
	size_t m;

	if (text) {
		m = method_len(text);
		path = text + m;
		while (m && *path == ' ')
			path++;
		if (!m || path == text + m || !path_ok(path))
			return ph_error(err, PH_E_INVALID, "%s: %s: \"%s\": %s", source, where,
					text, ENTRY_SHAPE);
		method = NULL;
	} else if (json_is_object(e)) {
		method = json_string_value(json_object_get(e, "method"));
		path = json_string_value(json_object_get(e, "path"));
		if (!method || !*method || method[method_len(method)])
			return ph_error(err, PH_E_INVALID,
					"%s: %s.method: expected an upper-case HTTP method (or "
					"ALL)",
					source, where);
		if (!path || !path_ok(path))
			return ph_error(err, PH_E_INVALID,
					"%s: %s.path: expected a path starting with '/', without "
					"blanks or query string",
					source, where);
		if (st && !json_is_string(st) && !json_is_null(st))
			return ph_error(err, PH_E_INVALID, "%s: %s.status: expected a string",
					source, where);
		m = strlen(method);
	} else {
		return ph_error(err, PH_E_INVALID, "%s: %s: %s", source, where, ENTRY_SHAPE);
	}
	r->method = strndup(method ? method : text, m);
	r->key = ph_strdup_printf("%s %s", r->method ? r->method : "", path);
	if (json_is_string(st))
		r->status = strdup(json_string_value(st));
	if (!r->method || !r->key || (json_is_string(st) && !r->status) ||
	    ph_route_split(path, &r->segs, &r->n_segs))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

int ph_route_list_from_json(struct ph_route_list *l, const json_t *doc, const char *source,
			    struct ph_err *err)
{
	const json_t *arr = json_is_array(doc) ? doc : json_object_get(doc, "routes");
	const char *label = json_is_array(doc) ? "" : "routes";
	json_t *seen = NULL;
	size_t i;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (!json_is_array(arr))
		return ph_error(err, PH_E_INVALID,
				"%s: expected an array of routes, or an object with a \"routes\" "
				"array",
				source);
	if (!json_array_size(arr))
		return ph_error(err, PH_E_INVALID, "%s: %sexpected at least one route", source,
				*label ? "routes: " : "");
	l->source = strdup(source);
	l->routes = calloc(json_array_size(arr), sizeof(*l->routes));
	seen = json_object();
	if (!l->source || !l->routes || !seen) {
		json_decref(seen);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (i = 0; i < json_array_size(arr) && !rc; i++) {
		char where[64], *id;
		const json_t *first;

		snprintf(where, sizeof(where), "%s[%zu]", label, i);
		l->n = i + 1;
		if ((rc = entry(&l->routes[i], json_array_get(arr, i), source, where, err)))
			break;
		if (!(id = identity(&l->routes[i]))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		} else if ((first = json_object_get(seen, id))) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: %s: '%s' is listed twice (also %s[%lld])", source, where,
				      l->routes[i].key, label,
				      (long long)json_integer_value(first));
		} else if (json_object_set_new(seen, id, json_integer((json_int_t)i))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		}
		free(id);
	}
	json_decref(seen);
	return rc;
}

int ph_route_list_load(struct ph_route_list *l, const char *path, struct ph_err *err)
{
	json_t *doc;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = ph_json_load_file(path, &doc, err)))
		return rc;
	rc = ph_route_list_from_json(l, doc, path, err);
	json_decref(doc);
	return rc;
}
