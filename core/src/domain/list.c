/*
 * The domain list (list.h): reading the "domains" and "defaults" of suites/domains.json
 * with messages naming the file and index, adding the domains whose plugins are found,
 * and the order every report follows. The repo's list is read once per process (under
 * pthread_once: shadow logs are read by several threads) and never freed.
 */
#include "domain/list.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/endpoint_map.h"
#include "domain/repo.h"
#include "parity/jsonio.h"

int ph_domain_list_init(struct ph_domain_list *l, struct ph_err *err)
{
	memset(l, 0, sizeof(*l));
	if (!(l->defaults = json_object()))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

void ph_domain_list_release(struct ph_domain_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->source);
	json_decref(l->defaults);
	memset(l, 0, sizeof(*l));
}

/* Names the harness itself uses where a domain's would stand. */
static int reserved(const char *s)
{
	return !strcmp(s, PH_DOMAIN_UNMAPPED) || !strcmp(s, "perf");
}

/* A domain name becomes a file stem, a folder and a matrix key: keep it plain. */
static int valid_name(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* Insert a copy of name at position at. */
static int insert(struct ph_domain_list *l, size_t at, const char *name, struct ph_err *err)
{
	char **grown = realloc(l->names, (l->n + 1) * sizeof(*grown)), *copy;

	if (!grown)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	l->names = grown;
	if (!(copy = strdup(name)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memmove(&l->names[at + 1], &l->names[at], (l->n - at) * sizeof(*l->names));
	l->names[at] = copy;
	l->n++;
	return 0;
}

int ph_domain_list_from_json(struct ph_domain_list *l, const json_t *doc, const char *source,
			     struct ph_err *err)
{
	const json_t *arr, *defs, *v;
	size_t i;
	int rc;

	if ((rc = ph_domain_list_init(l, err)))
		return rc;
	if (!(l->source = strdup(source)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!json_is_object(doc))
		return ph_error(err, PH_E_INVALID, "%s: expected a JSON object", source);
	arr = json_object_get(doc, "domains");
	if (arr && !json_is_array(arr))
		return ph_error(err, PH_E_INVALID, "%s: domains: expected an array of domain names",
				source);
	json_array_foreach(arr, i, v)
	{
		const char *name = json_string_value(v);

		if (!valid_name(name))
			return ph_error(err, PH_E_INVALID,
					"%s: domains[%zu]: expected a domain name (letters, digits, "
					"'-', '_')",
					source, i);
		if (reserved(name))
			return ph_error(err, PH_E_INVALID,
					"%s: domains[%zu]: '%s' is reserved (shadow reports' "
					"unmapped endpoints, the performance pass)",
					source, i, name);
		if (ph_domain_list_has(l, name))
			return ph_error(err, PH_E_INVALID, "%s: domains: '%s' is listed twice",
					source, name);
		if ((rc = insert(l, l->n, name, err)))
			return rc;
	}
	l->n_listed = l->n;
	defs = json_object_get(doc, "defaults");
	if (defs && !json_is_object(defs))
		return ph_error(err, PH_E_INVALID, "%s: defaults: expected an object", source);
	if (defs && json_object_update(l->defaults, (json_t *)defs))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

int ph_domain_list_load(struct ph_domain_list *l, const char *path, struct ph_err *err)
{
	json_t *doc;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = ph_json_load_file(path, &doc, err)))
		return rc;
	rc = ph_domain_list_from_json(l, doc, path, err);
	json_decref(doc);
	return rc;
}

int ph_domain_list_copy(struct ph_domain_list *dst, const struct ph_domain_list *src,
			struct ph_err *err)
{
	size_t i;
	int rc;

	if ((rc = ph_domain_list_init(dst, err)))
		return rc;
	if (src->source && !(dst->source = strdup(src->source)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < src->n; i++)
		if ((rc = insert(dst, i, src->names[i], err)))
			return rc;
	dst->n_listed = src->n_listed;
	if (json_object_update(dst->defaults, src->defaults))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

int ph_domain_list_add(struct ph_domain_list *l, const char *name, struct ph_err *err)
{
	size_t at;

	if (!valid_name(name))
		return ph_error(err, PH_E_INVALID, "'%s' cannot be a domain name (letters, digits, "
				"'-', '_')", name ? name : "");
	if (reserved(name))
		return ph_error(err, PH_E_INVALID, "'%s' is reserved, not a domain name", name);
	if (ph_domain_list_has(l, name))
		return 0;
	for (at = l->n_listed; at < l->n && strcmp(l->names[at], name) < 0; at++)
		;
	return insert(l, at, name, err);
}

int ph_domain_list_add_plugins(struct ph_domain_list *l, char *const *dirs, size_t n,
			       struct ph_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while (!rc && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			char stem[256];

			if (len < 4 || len - 3 >= sizeof(stem) || strcmp(de->d_name + len - 3, ".so"))
				continue;
			memcpy(stem, de->d_name, len - 3);
			stem[len - 3] = '\0';
			/* other shared objects are no plugin of ours */
			if (valid_name(stem) && !reserved(stem))
				rc = ph_domain_list_add(l, stem, err);
		}
		closedir(d);
	}
	return rc;
}

size_t ph_domain_list_index(const struct ph_domain_list *l, const char *name)
{
	size_t i;

	for (i = 0; name && i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return i;
	return l->n;
}

int ph_domain_list_has(const struct ph_domain_list *l, const char *name)
{
	return ph_domain_list_index(l, name) < l->n;
}

char *ph_domain_list_text(const struct ph_domain_list *l)
{
	size_t i, n = 1;
	char *s;

	for (i = 0; i < l->n; i++)
		n += strlen(l->names[i]) + 1;
	if (!(s = malloc(n)))
		return NULL;
	s[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, l->names[i]);
	}
	return s;
}

/* ---- the repo's list, read once --------------------------------------------------- */

static struct ph_domain_list repo_list;
static struct ph_err repo_err;
static int repo_rc;
static pthread_once_t repo_once = PTHREAD_ONCE_INIT;

static void repo_load(void)
{
	char *path = ph_repo_data_path(PH_DOMAINS_FILE);

	if (!path)
		repo_rc = ph_error(&repo_err, PH_E_NOMEM, "out of memory");
	else
		repo_rc = ph_domain_list_load(&repo_list, path, &repo_err);
	free(path);
	if (repo_rc) {
		/* the error is kept; the list stays usable, and empty */
		ph_domain_list_release(&repo_list);
		if (ph_domain_list_init(&repo_list, NULL))
			repo_list.defaults = NULL;
	}
}

int ph_domains_repo(const struct ph_domain_list **out, struct ph_err *err)
{
	pthread_once(&repo_once, repo_load);
	*out = &repo_list;
	if (repo_rc && err)
		*err = repo_err;
	return repo_rc;
}

const struct ph_domain_list *ph_domains(void)
{
	const struct ph_domain_list *l;

	ph_domains_repo(&l, NULL);
	return l;
}

int ph_domain_known(const char *name)
{
	return ph_domain_list_has(ph_domains(), name);
}

int ph_domain_cmp(const char *a, const char *b)
{
	const struct ph_domain_list *l = ph_domains();
	size_t ra = ph_domain_list_index(l, a), rb = ph_domain_list_index(l, b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (!a || !b)
		return !a - !b;
	return ra == l->n ? strcmp(a, b) : 0;
}
