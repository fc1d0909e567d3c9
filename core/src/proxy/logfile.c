/*
 * The proxy's log file (logfile.h). Rotation happens under the same mutex as writes, so
 * a line is never split across generations.
 */
#include "proxy/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *open_append(const char *path, long *size)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "a"))) {
		close(fd);
		return NULL;
	}
	*size = fstat(fd, &st) == 0 ? (long)st.st_size : 0;
	return f;
}

int ph_logfile_open(struct ph_logfile *lf, const char *path, long max_size, struct ph_err *err)
{
	memset(lf, 0, sizeof(*lf));
	if (!(lf->path = strdup(path)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!(lf->f = open_append(path, &lf->size))) {
		int e = errno;

		free(lf->path);
		lf->path = NULL;
		return ph_error(err, PH_E_IO, "'%s': cannot open for appending: %s", path,
				strerror(e));
	}
	lf->max_size = max_size;
	pthread_mutex_init(&lf->lock, NULL);
	return 0;
}

/* Rename the file to <path>.1 and start a new one; on failure keep writing the old one. */
static void rotate(struct ph_logfile *lf)
{
	size_t n = strlen(lf->path) + 3;
	char *old = malloc(n);
	FILE *f;
	long size = 0;

	if (!old)
		return;
	snprintf(old, n, "%s.1", lf->path);
	fflush(lf->f);
	if (rename(lf->path, old) == 0 && (f = open_append(lf->path, &size))) {
		fclose(lf->f);
		lf->f = f;
		lf->size = size;
		lf->rotations++;
	}
	free(old);
}

int ph_logfile_write(struct ph_logfile *lf, const json_t *line)
{
	char *s = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&lf->lock);
	if (!s || !lf->f) {
		lf->failures++;
		pthread_mutex_unlock(&lf->lock);
		free(s);
		return -1;
	}
	n = strlen(s);
	if (lf->max_size > 0 && lf->size > 0 && lf->size + (long)n + 1 > lf->max_size)
		rotate(lf);
	if (fwrite(s, 1, n, lf->f) != n || fputc('\n', lf->f) == EOF || fflush(lf->f)) {
		lf->failures++;
		rc = -1;
	} else {
		lf->size += (long)n + 1;
		lf->lines++;
	}
	pthread_mutex_unlock(&lf->lock);
	free(s);
	return rc;
}

void ph_logfile_close(struct ph_logfile *lf)
{
	if (!lf || !lf->path)
		return;
	if (lf->f)
		fclose(lf->f);
	free(lf->path);
	pthread_mutex_destroy(&lf->lock);
	memset(lf, 0, sizeof(*lf));
}
