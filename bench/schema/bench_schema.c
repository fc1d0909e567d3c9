/*
 * Benchmark of `parity verify-schema` on the real pair ts-fresh.db / rs-fresh-emulated.db
 * against a baseline measured in the same run: `sqldiff --schema A B` when sqldiff is on
 * PATH (Debian package sqlite3-tools), else `sqlite3 A .schema`, `sqlite3 B .schema` and
 * `diff`. Each command runs as a child process, stdout to /dev/null, ROUNDS times after
 * one warm-up; the median wall time of each and their ratio are printed. The in-process
 * cost of the library (load both schemas and compare) is printed as well.
 * Usage: bench_schema PARITY SIGNET_DIR (skips with exit 0 when the pair is absent).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema/schema.h"

#include "../bench_clock.h"

#define ROUNDS 21

extern char **environ;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Run argv with stdout and stderr to /dev/null; returns its exit status or -1. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Median wall time of ROUNDS runs (after a warm-up); *status gets the last exit status. */
static double median_ms(char *const argv[], int *status)
{
	double t[ROUNDS];
	int i;

	*status = run(argv);
	for (i = 0; i < ROUNDS; i++) {
		double t0 = bench_now_ms();

		*status = run(argv);
		t[i] = bench_now_ms() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return t[ROUNDS / 2];
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");
		struct stat sb;

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (!stat(buf, &sb) && (sb.st_mode & S_IXUSR))
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

int main(int argc, char **argv)
{
	char a[4096], b[4096], script[9000];
	struct stat sb;
	double t_parity, t_base, t_lib[ROUNDS];
	int st_parity, st_base, i;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_schema PARITY SIGNET_DIR\n");
		return 2;
	}
	snprintf(a, sizeof(a), "%s/ts-fresh.db", argv[2]);
	snprintf(b, sizeof(b), "%s/rs-fresh-emulated.db", argv[2]);
	if (stat(a, &sb) || stat(b, &sb)) {
		printf("bench schema: skipped ('%s' or '%s' is absent)\n", a, b);
		return 0;
	}

	for (i = 0; i < ROUNDS; i++) {
		struct ph_err err = {0};
		json_t *sa = NULL, *sb2 = NULL, *report = NULL;
		double t0 = bench_now_ms();

		if (ph_schema_load(a, &sa, &err) || ph_schema_load(b, &sb2, &err) ||
		    ph_schema_report(sa, sb2, &report, &err)) {
			fprintf(stderr, "bench schema: %s\n", err.msg);
			return 1;
		}
		t_lib[i] = bench_now_ms() - t0;
		json_decref(sa);
		json_decref(sb2);
		json_decref(report);
	}
	qsort(t_lib, ROUNDS, sizeof(t_lib[0]), cmp_double);

	{
		char *cmd[] = {argv[1], "verify-schema", "--format", "json", a, b, NULL};

		t_parity = median_ms(cmd, &st_parity);
	}
	if (on_path("sqldiff")) {
		char *cmd[] = {"sqldiff", "--schema", a, b, NULL};

		printf("baseline: sqldiff --schema A B\n");
		t_base = median_ms(cmd, &st_base);
	} else if (on_path("sqlite3")) {
		char *cmd[] = {"/bin/sh", "-c", script, NULL};

		printf(
		    "baseline: sqldiff not found (Debian package sqlite3-tools is not installed; "
		    "not available on every release): using sqlite3 A .schema + sqlite3 B "
		    ".schema + diff\n");
		snprintf(script, sizeof(script),
			 "d=$(mktemp -d) && sqlite3 -readonly '%s' .schema > $d/a && "
			 "sqlite3 -readonly '%s' .schema > $d/b; diff $d/a $d/b; rm -rf $d",
			 a, b);
		t_base = median_ms(cmd, &st_base);
	} else {
		printf("baseline: neither sqldiff nor sqlite3 is installed; no baseline\n");
		printf("parity verify-schema: %.2f ms median of %d (exit %d); library %.2f ms\n",
		       t_parity, ROUNDS, st_parity, t_lib[ROUNDS / 2]);
		return st_parity == 1 ? 0 : 1;
	}
	printf("parity verify-schema: %8.2f ms  (median of %d, exit %d: drift expected)\n",
	       t_parity, ROUNDS, st_parity);
	printf("baseline:             %8.2f ms  (median of %d, exit %d)\n", t_base, ROUNDS,
	       st_base);
	printf("library only (load both + compare, in process): %.2f ms\n", t_lib[ROUNDS / 2]);
	printf("ratio verify-schema / baseline: %.2fx\n", t_base > 0 ? t_parity / t_base : 0.0);
	return st_parity == 1 ? 0 : 1;
}
