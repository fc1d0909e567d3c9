/*
 * The helpers of fuzz.h: input sections, NUL-terminated copies and per-process scratch
 * files for the targets whose code under test reads a path (config, canned-LLM sets).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[512];
static char files[8][600];
static size_t n_files;

size_t fz_split(const uint8_t *data, size_t size, const char **parts, size_t *lens, size_t max)
{
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0, sl = strlen(FZ_SEP);

	while (n + 1 < max) {
		const char *hit = NULL, *q;

		for (q = p; q + sl <= end; q++)
			if (!memcmp(q, FZ_SEP, sl)) {
				hit = q;
				break;
			}
		if (!hit)
			break;
		parts[n] = p;
		lens[n++] = (size_t)(hit - p);
		p = hit + sl;
	}
	parts[n] = p;
	lens[n++] = (size_t)(end - p);
	return n;
}

char *fz_strndup(const char *s, size_t n)
{
	char *c = malloc(n + 1);

	if (!c)
		abort();
	if (n)
		memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static void scratch_cleanup(void)
{
	size_t i;

	for (i = 0; i < n_files; i++)
		unlink(files[i]);
	if (scratch[0])
		rmdir(scratch);
}

const char *fz_scratch_dir(void)
{
	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(scratch, sizeof(scratch), "%s/parity-fuzz-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(scratch_cleanup);
	}
	return scratch;
}

const char *fz_scratch_file(const char *tag, const uint8_t *data, size_t size)
{
	const char *dir = fz_scratch_dir();
	char *path = NULL;
	size_t i;
	FILE *f;

	for (i = 0; i < n_files; i++) {
		const char *base = strrchr(files[i], '/') + 1;

		if (!strcmp(base, tag))
			path = files[i];
	}
	if (!path) {
		if (n_files == sizeof(files) / sizeof(files[0]))
			abort();
		path = files[n_files++];
		snprintf(path, sizeof(files[0]), "%s/%s", dir, tag);
	}
	if (!(f = fopen(path, "wb")) || (size && fwrite(data, 1, size, f) != size) ||
	    fclose(f)) {
		perror("fuzz: scratch file");
		abort();
	}
	return path;
}
