/*
 * Workspace trees for runtimes: copying a fixture with its templates rendered, and
 * removing a temporary tree. Uses nftw so that depth is handled by the C library and
 * symbolic links are never followed.
 */
#define _XOPEN_SOURCE 700
#include "run/workspace.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parity/jsonio.h"

int ph_mkdirs(const char *path, struct ph_err *err)
{
	char *p = strdup(path), *s;

	if (!p)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			int e = errno;

			ph_error(err, PH_E_IO, "cannot create folder '%s': %s", p, strerror(e));
			free(p);
			return PH_E_IO;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		int e = errno;

		ph_error(err, PH_E_IO, "cannot create folder '%s': %s", p, strerror(e));
		free(p);
		return PH_E_IO;
	}
	free(p);
	return 0;
}

/* nftw has no user pointer: the copy in progress lives here (one at a time). */
static struct {
	const char *src, *dst;
	size_t src_len;
	const struct ph_placeholders *ph;
	struct ph_err *err;
	int rc;
} copy;

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char *data;
	size_t len;
	int rc = ph_file_read(from, 0, &data, &len, copy.err);

	if (rc)
		return rc;
	rc = ph_file_write_atomic(to, data, len, mode & 07777, copy.err);
	free(data);
	return rc;
}

static int render_file(const char *from, const char *to, mode_t mode)
{
	char *data, *out;
	int rc = ph_file_read(from, 0, &data, NULL, copy.err);

	if (rc)
		return rc;
	out = ph_expand(data, copy.ph, copy.err);
	free(data);
	if (!out)
		return ph_error_prefix(copy.err, "%s", from);
	rc = ph_file_write_atomic(to, out, strlen(out), mode & 07777, copy.err);
	free(out);
	return rc;
}

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + copy.src_len;
	size_t n = strlen(copy.dst) + strlen(rel) + 1;
	char *to = malloc(n);
	int rc = 0;

	(void)ftw;
	if (!to) {
		copy.rc = ph_error(copy.err, PH_E_NOMEM, "out of memory");
		return 1;
	}
	snprintf(to, n, "%s%s", copy.dst, rel);
	if (type == FTW_D) {
		if (mkdir(to, st->st_mode & 07777) != 0 && errno != EEXIST)
			rc = ph_error(copy.err, PH_E_IO, "cannot create folder '%s': %s", to,
				      strerror(errno));
	} else if (type == FTW_SL) {
		char target[4096];
		ssize_t len = readlink(path, target, sizeof(target) - 1);

		if (len < 0 || (target[len] = '\0', symlink(target, to) != 0))
			rc = ph_error(copy.err, PH_E_IO, "cannot copy link '%s': %s", path,
				      strerror(errno));
	} else if (type == FTW_F && S_ISREG(st->st_mode)) {
		size_t tl = strlen(to);

		if (tl > 3 && !strcmp(to + tl - 3, ".in")) {
			to[tl - 3] = '\0';
			rc = render_file(path, to, st->st_mode);
		} else {
			rc = copy_file(path, to, st->st_mode);
		}
	} else if (type == FTW_DNR || type == FTW_NS) {
		rc = ph_error(copy.err, PH_E_IO, "cannot read '%s'", path);
	}
	free(to);
	if (rc) {
		copy.rc = rc;
		return 1;
	}
	return 0;
}

int ph_workspace_copy(const char *src, const char *dst, const struct ph_placeholders *ph,
		      struct ph_err *err)
{
	struct stat st;

	if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
		return ph_error(err, PH_E_NOTFOUND, "fixture workspace '%s' is not a folder", src);
	if (access(dst, F_OK) == 0)
		return ph_error(err, PH_E_INVALID, "'%s' already exists", dst);
	copy.src = src;
	copy.dst = dst;
	copy.src_len = strlen(src);
	copy.ph = ph;
	copy.err = err;
	copy.rc = 0;
	if (nftw(src, copy_one, 32, FTW_PHYS) != 0 && !copy.rc)
		copy.rc = ph_error(err, PH_E_IO, "cannot copy '%s' to '%s': %s", src, dst,
				   strerror(errno));
	return copy.rc;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) != 0 && errno != ENOENT;
	return unlink(path) != 0 && errno != ENOENT;
}

int ph_tree_remove(const char *path, struct ph_err *err)
{
	if (access(path, F_OK) != 0)
		return 0;
	if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		return ph_error(err, PH_E_IO, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}
