/*
 * The main() of a fuzz target built without libFuzzer: runs every file named on the
 * command line (a folder means each regular file in it, in name order) through
 * LLVMFuzzerTestOneInput once and says how many it ran. With the sanitizers on, a corpus
 * that ever crashed or leaked stays a regression test in every build (ctest label fuzz).
 * Exit 0 when all inputs ran, 2 when one could not be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s'\n", path);
		return -1;
	}
	do {
		if (cap - len < 65536) {
			unsigned char *p = realloc(buf, cap + 65536);

			if (!p) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = p;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* a copy of exactly len bytes, so ASan sees reads past the input's end */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: cannot open folder '%s'\n", dir);
		return -1;
	}
	while ((e = readdir(d))) {
		char **p;

		if (e->d_name[0] == '.')
			continue;
		if (!(p = realloc(names, (n + 1) * sizeof(*names))))
			break;
		names = p;
		if ((names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
			sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (!stat(names[i], &st) && S_ISREG(st.st_mode)) {
			if (run_file(names[i]))
				rc = -1;
			else
				++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue; /* libFuzzer flags: ignored here */
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: cannot open '%s'\n", argv[i]);
			rc = 2;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count))
				rc = 2;
		} else if (run_file(argv[i])) {
			rc = 2;
		} else {
			count++;
		}
	}
	printf("replay: %zu inputs ran\n", count);
	return rc;
}
