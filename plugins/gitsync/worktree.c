/*
 * The changes a gitsync case makes to a workspace's files, as a user would make them:
 * files written, appended to and deleted (gitrepo.h gs_apply_changes), only ever inside
 * the workspace. Plain files: the runtimes' watchers see them and commit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gitrepo.h"

/* A relative path that stays inside its folder. */
int gs_safe_path(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *s = p; *s;) {
		size_t l = strcspn(s, "/");

		if ((l == 2 && !strncmp(s, "..", 2)) || l == 0)
			return 0;
		s += l;
		if (*s == '/')
			s++;
	}
	return 1;
}

static int mkparents(const char *path, struct ph_err *err)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return ph_error(err, PH_E_INVALID, "path too long: '%s'", path);
	memcpy(buf, path, n + 1);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return ph_error(err, PH_E_IO, "cannot make '%s': %s", buf, strerror(errno));
		*s = '/';
	}
	return 0;
}

static int write_file(const char *ws, const char *rel, const json_t *text, const char *mode,
		      struct ph_err *err)
{
	char path[4096];
	FILE *f;
	int rc;

	if (!gs_safe_path(rel))
		return ph_error(err, PH_E_INVALID, "changes: bad path '%s'", rel);
	if (!json_is_string(text))
		return ph_error(err, PH_E_INVALID, "changes: content of '%s' must be a string",
				rel);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ws, rel) >= sizeof(path))
		return ph_error(err, PH_E_INVALID, "changes: path too long: '%s'", rel);
	if ((rc = mkparents(path, err)))
		return rc;
	if (!(f = fopen(path, mode)))
		return ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(errno));
	fwrite(json_string_value(text), 1, json_string_length(text), f);
	if (fclose(f))
		return ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int gs_apply_changes(const char *ws, const json_t *changes, struct ph_err *err)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(changes))
		return ph_error(err, PH_E_INVALID, "changes must be an object");
	json_object_foreach((json_t *)json_object_get(changes, "write"), key, v)
	{
		if ((rc = write_file(ws, key, v, "w", err)))
			return rc;
	}
	json_object_foreach((json_t *)json_object_get(changes, "append"), key, v)
	{
		if ((rc = write_file(ws, key, v, "a", err)))
			return rc;
	}
	json_array_foreach(json_object_get(changes, "delete"), i, v)
	{
		char path[4096];

		if (!json_is_string(v) || !gs_safe_path(json_string_value(v)))
			return ph_error(err, PH_E_INVALID, "changes: delete.%zu: bad path", i);
		snprintf(path, sizeof(path), "%s/%s", ws, json_string_value(v));
		if (remove(path) && errno != ENOENT)
			return ph_error(err, PH_E_IO, "cannot delete '%s': %s", path,
					strerror(errno));
	}
	return 0;
}
