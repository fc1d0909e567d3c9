/*
 * The endpoint -> domain map: loading suites/domains.json with messages that name the
 * route, matching "METHOD /path" against its ordered patterns, and turning a concrete
 * endpoint into a template ("GET /v1/things/:id") so that divergences on different ids
 * group together.
 */
#include "domain/endpoint_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain/list.h"
#include "domain/repo.h"
#include "parity/jsonio.h"

static void route_release(struct ph_domain_route *r)
{
	size_t i;

	free(r->route);
	free(r->method);
	for (i = 0; i < r->n_segs; i++)
		free(r->segs[i]);
	free(r->segs);
}

void ph_domain_map_free(struct ph_domain_map *map)
{
	size_t i;

	if (!map)
		return;
	for (i = 0; i < map->n_routes; i++)
		route_release(&map->routes[i]);
	free(map->routes);
	free(map->source);
	free(map);
}

/* Split "METHOD /path" (segments may be :param or a final star) into r; 0 or an error. */
static int parse_route(struct ph_domain_route *r, const char *text, const char *source, size_t idx,
		       struct ph_err *err)
{
	const char *sp = strchr(text, ' '), *p;
	size_t i;

	if (!sp || sp == text || sp[1] != '/')
		return ph_error(err, PH_E_INVALID,
				"%s: routes[%zu].route: expected \"METHOD /path\", got '%s'",
				source, idx, text);
	r->route = strdup(text);
	r->method = strndup(text, (size_t)(sp - text));
	if (!r->route || !r->method)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; r->method[i]; i++)
		r->method[i] = (char)toupper((unsigned char)r->method[i]);
	p = sp + 1;
	while (*p) {
		const char *e;
		char **ns;

		while (*p == '/')
			p++;
		if (!*p || *p == '?')
			break;
		e = p;
		while (*e && *e != '/' && *e != '?')
			e++;
		if (r->rest)
			return ph_error(
			    err, PH_E_INVALID,
			    "%s: routes[%zu].route: '*' must be the last segment in '%s'", source,
			    idx, text);
		ns = realloc(r->segs, (r->n_segs + 1) * sizeof(*ns));
		if (!ns)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		r->segs = ns;
		r->segs[r->n_segs] = strndup(p, (size_t)(e - p));
		if (!r->segs[r->n_segs])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		if (!strcmp(r->segs[r->n_segs], "*"))
			r->rest = 1;
		r->n_segs++;
		p = e;
		if (*p == '?')
			break;
	}
	return 0;
}

int ph_domain_map_from_json(struct ph_domain_map **out, const json_t *doc, const char *source,
			    struct ph_err *err)
{
	const struct ph_domain_list *known;
	struct ph_domain_map *m;
	const json_t *routes, *schema;
	size_t i;
	int rc;

	*out = NULL;
	if (!json_is_object(doc))
		return ph_error(err, PH_E_INVALID, "%s: expected a JSON object with \"routes\"",
				source);
	schema = json_object_get(doc, "schema");
	if (schema &&
	    (!json_is_string(schema) || strcmp(json_string_value(schema), PH_DOMAINS_SCHEMA)))
		return ph_error(err, PH_E_INVALID, "%s: schema: expected \"%s\"", source,
				PH_DOMAINS_SCHEMA);
	routes = json_object_get(doc, "routes");
	if (!json_is_array(routes))
		return ph_error(err, PH_E_INVALID, "%s: routes: expected an array", source);
	/* routes name domains of the one list, whichever file they come from */
	if ((rc = ph_domains_repo(&known, err)))
		return rc;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	m->source = strdup(source);
	m->routes = calloc(json_array_size(routes) + 1, sizeof(*m->routes));
	if (!m->source || !m->routes) {
		ph_domain_map_free(m);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (i = 0; i < json_array_size(routes); i++) {
		const json_t *e = json_array_get(routes, i);
		const json_t *rt = json_object_get(e, "route"), *dm = json_object_get(e, "domain");
		struct ph_domain_route *r = &m->routes[m->n_routes];

		if (!json_is_object(e)) {
			ph_domain_map_free(m);
			return ph_error(err, PH_E_INVALID, "%s: routes[%zu]: expected an object",
					source, i);
		}
		if (!json_is_string(rt)) {
			ph_domain_map_free(m);
			return ph_error(err, PH_E_INVALID,
					"%s: routes[%zu].route: expected a string", source, i);
		}
		if (!json_is_string(dm) ||
		    !ph_domain_list_has(known, json_string_value(dm))) {
			char *names = ph_domain_list_text(known);

			ph_domain_map_free(m);
			rc = ph_error(err, PH_E_INVALID,
				      "%s: routes[%zu].domain: expected a domain (known: %s)", source,
				      i, names ? names : "");
			free(names);
			return rc;
		}
		r->domain = known->names[ph_domain_list_index(known, json_string_value(dm))];
		m->n_routes++;
		rc = parse_route(r, json_string_value(rt), source, i, err);
		if (rc) {
			ph_domain_map_free(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

int ph_domain_map_load(struct ph_domain_map **out, const char *path, struct ph_err *err)
{
	char *dflt = path ? NULL : ph_repo_data_path(PH_DOMAINS_FILE);
	json_t *doc;
	int rc;

	*out = NULL;
	if (!path && !(path = dflt))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!(rc = ph_json_load_file(path, &doc, err))) {
		rc = ph_domain_map_from_json(out, doc, path, err);
		json_decref(doc);
	}
	free(dflt);
	return rc;
}

/* Does the path (already without query) match r's segments? */
static int route_match(const struct ph_domain_route *r, const char *path)
{
	const char *p = path;
	size_t i = 0;

	for (;;) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p || *p == '?')
			return i == r->n_segs || (r->rest && i + 1 == r->n_segs);
		if (i == r->n_segs)
			return 0;
		if (r->rest && i + 1 == r->n_segs)
			return 1;
		e = p;
		while (*e && *e != '/' && *e != '?')
			e++;
		n = (size_t)(e - p);
		if (r->segs[i][0] != ':' &&
		    (strncmp(r->segs[i], p, n) != 0 || r->segs[i][n] != '\0'))
			return 0;
		i++;
		p = e;
	}
}

const struct ph_domain_route *ph_domain_map_match(const struct ph_domain_map *map,
						  const char *method, const char *path)
{
	size_t i;

	if (!map || !path)
		return NULL;
	for (i = 0; i < map->n_routes; i++) {
		const struct ph_domain_route *r = &map->routes[i];

		if (r->method[0] != '*' && (!method || strcasecmp(r->method, method)))
			continue;
		if (route_match(r, path))
			return r;
	}
	return NULL;
}

const char *ph_domain_map_domain(const struct ph_domain_map *map, const char *method,
				 const char *path)
{
	const struct ph_domain_route *r = ph_domain_map_match(map, method, path);

	return r ? r->domain : PH_DOMAIN_UNMAPPED;
}

/* Is the segment [p, p+n) an identifier rather than a name? */
static int id_like(const char *p, size_t n)
{
	size_t i, digits = 0, hex = 0, dashes = 0;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isdigit(c))
			digits++;
		if (isxdigit(c))
			hex++;
		if (c == '-')
			dashes++;
	}
	if (digits == n)
		return 1; /* 42 */
	if (n == 36 && dashes == 4 && hex == 32)
		return 1; /* UUID */
	if (n >= 16 && hex == n)
		return 1; /* sha, long hex key */
	/* prefix-digits: mem-0001, ent_0050, bench-session-01 */
	i = n;
	while (i > 0 && isdigit((unsigned char)p[i - 1]))
		i--;
	if (i < n && i > 0 && (p[i - 1] == '-' || p[i - 1] == '_'))
		return 1;
	return 0;
}

static void append(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

char *ph_domain_map_template(const struct ph_domain_map *map, const char *method, const char *path,
			     char *buf, size_t size)
{
	const struct ph_domain_route *r = ph_domain_map_match(map, method, path);
	size_t len = 0, i;
	const char *p;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (method && *method) {
		for (i = 0; method[i] && len + 1 < size; i++) {
			buf[len++] = (char)toupper((unsigned char)method[i]);
		}
		buf[len] = '\0';
		append(buf, size, &len, " ", 1);
	}
	if (r && !r->rest) {
		if (!r->n_segs)
			append(buf, size, &len, "/", 1);
		for (i = 0; i < r->n_segs; i++) {
			append(buf, size, &len, "/", 1);
			append(buf, size, &len, r->segs[i], strlen(r->segs[i]));
		}
		return buf;
	}
	p = path ? path : "";
	if (!*p || *p == '?')
		append(buf, size, &len, "/", 1);
	while (*p && *p != '?') {
		const char *e;

		if (*p == '/') {
			append(buf, size, &len, "/", 1);
			while (*p == '/')
				p++;
			continue;
		}
		e = p;
		while (*e && *e != '/' && *e != '?')
			e++;
		if (id_like(p, (size_t)(e - p)))
			append(buf, size, &len, ":id", 3);
		else
			append(buf, size, &len, p, (size_t)(e - p));
		p = e;
	}
	return buf;
}
