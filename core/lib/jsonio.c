/*
 * File and JSON reading and writing for the core and the plugins: bounded whole-file
 * reads, atomic writes, and JSON parse errors that name the file, line and column.
 */
#define _POSIX_C_SOURCE 200809L
#include "parity/jsonio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ph_file_read(const char *path, size_t max, char **data, size_t *len, struct ph_err *err)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int is_stdin = strcmp(path, "-") == 0;

	if (!max)
		max = PH_FILE_MAX;
	*data = NULL;
	if (len)
		*len = 0;
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536 + 1;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (n + 1 >= ncap) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return ph_error(err, PH_E_INVALID, "'%s' is larger than %zu bytes",
						path, max);
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", path);
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				int e = errno;

				free(buf);
				if (!is_stdin)
					fclose(f);
				return ph_error(err, PH_E_IO, "cannot read '%s': %s", path,
						strerror(e));
			}
			break;
		}
	}
	if (!is_stdin)
		fclose(f);
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", path);
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int ph_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct ph_err *err)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd;
	const char *p = data;
	size_t left = len;

	if (!tmp)
		return ph_error(err, PH_E_NOMEM, "out of memory writing '%s'", path);
	snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;

		free(tmp);
		return ph_error(err, PH_E_IO, "cannot create a temporary file for '%s': %s", path,
				strerror(e));
	}
	while (left) {
		ssize_t w = write(fd, p, left);

		if (w < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			free(tmp);
			return ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		free(tmp);
		return ph_error(err, PH_E_IO, "cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}

int ph_json_load_buffer(const char *source, const char *data, size_t len, json_t **out,
			struct ph_err *err)
{
	json_error_t je;

	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!*out)
		return ph_error(err, PH_E_PARSE, "%s:%d:%d: %s", source, je.line, je.column,
				je.text);
	return 0;
}

int ph_json_load_file(const char *path, json_t **out, struct ph_err *err)
{
	char *data;
	size_t len;
	int rc;

	*out = NULL;
	rc = ph_file_read(path, 0, &data, &len, err);
	if (rc)
		return rc;
	rc = ph_json_load_buffer(path, data, len, out, err);
	free(data);
	return rc;
}

char *ph_json_dump_pretty(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY |
					  JSON_REAL_PRECISION(15));
	size_t n;
	char *r;

	if (!s)
		return NULL;
	n = strlen(s);
	r = realloc(s, n + 2);
	if (!r) {
		free(s);
		return NULL;
	}
	r[n] = '\n';
	r[n + 1] = '\0';
	return r;
}

int ph_json_write_file(const char *path, const json_t *doc, struct ph_err *err)
{
	char *s = ph_json_dump_pretty(doc);
	int rc;

	if (!s)
		return ph_error(err, PH_E_NOMEM, "cannot serialise JSON for '%s'", path);
	rc = ph_file_write_atomic(path, s, strlen(s), 0644, err);
	free(s);
	return rc;
}
