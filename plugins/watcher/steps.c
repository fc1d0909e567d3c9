/*
 * What a watcher case does to the runtimes' folders and what it expects, checked before
 * any case runs: steps (write, replace, delete, mkdir, sleep_ms) on tree keys under
 * workspace/ or home/, applied to one side; expectations (a key that must change, or
 * {path, exists}); and the shape of a whole case.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "watcher.h"

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
const char *wt_step_target(const json_t *step)
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
	const char *key = wt_step_target(step), *s;
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

int wt_expectation(const json_t *e, const char **key, int *exists)
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
		if (expect && (!json_is_array(expect) || json_array_size(expect) > WT_MAX_EXPECT))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': expect: expected an array of at most %d "
					"paths",
					file ? file : "?", name, WT_MAX_EXPECT);
		json_array_foreach(expect, i, v)
		{
			const char *k;
			int ex;
			char *dummy = NULL;

			if (wt_expectation(v, &k, &ex) || wt_resolve(k, "/w", "/h", &dummy))
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
