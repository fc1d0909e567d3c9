/*
 * The core unit tests' shared helpers (support.h): temporary folders, files, JSON, a
 * clock, the HTTP client's global state and in-process commands with captured streams.
 * Built once into a static library that every core/tests/test_*.c links, so a helper is
 * fixed in one place for all of them.
 */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "parity/jsonio.h"
#include "run/workspace.h"
#include "runtime/http.h"

char t_dir[256] = "/tmp/parity-test-XXXXXX";

int t_mkdtemp(char *dir)
{
	if (mkdtemp(dir))
		return 0;
	perror(dir);
	return -1;
}

int t_rmtree(const char *dir)
{
	struct ph_err err;

	if (!ph_tree_remove(dir, &err))
		return 0;
	fprintf(stderr, "%s\n", err.msg);
	return -1;
}

int t_dir_setup(void **state)
{
	(void)state;
	return t_mkdtemp(t_dir);
}

int t_dir_teardown(void **state)
{
	(void)state;
	return t_rmtree(t_dir);
}

int t_http_setup(void **state)
{
	(void)state;
	return ph_http_global_init() ? -1 : 0;
}

int t_http_teardown(void **state)
{
	(void)state;
	ph_http_global_cleanup();
	return 0;
}

const char *t_path(const char *dir, const char *rel)
{
	static char paths[8][1024];
	static unsigned k;
	char *p = paths[k++ % 8];

	assert_true((size_t)snprintf(p, sizeof(paths[0]), "%s/%s", dir, rel) < sizeof(paths[0]));
	return p;
}

void t_dir_path(char *out, size_t cap, const char *rel)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", t_dir, rel) < cap);
}

const char *t_mkdir_in(const char *dir, const char *rel)
{
	const char *p = t_path(dir, rel);

	if (mkdir(p, 0755))
		fail_msg("cannot make '%s': %s", p, strerror(errno));
	return p;
}

void t_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	size_t n = strlen(text);

	if (!f)
		fail_msg("cannot write '%s'", path);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

const char *t_write_in(const char *dir, const char *rel, const char *text)
{
	const char *p = t_path(dir, rel);

	t_write(p, text);
	return p;
}

char *t_slurp(const char *path, size_t *len)
{
	struct ph_err err;
	char *data = NULL;

	if (ph_file_read(path, 0, &data, len, &err))
		fail_msg("%s", err.msg);
	return data;
}

json_t *t_json(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, JSON_DECODE_ANY, &je);

	if (!doc)
		fail_msg("not JSON: %s (%s)", text, je.text);
	return doc;
}

const char *t_str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

const char *t_str_at(const json_t *a, size_t i, const char *key)
{
	return t_str(json_array_get(a, i), key);
}

void t_assert_strs_at(const json_t *a, const char *key, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++)
		assert_string_equal(t_str_at(a, i, key), want[i]);
}

void t_contains(const char *what, const char *text, const char *const *has,
		const char *const *lacks)
{
	assert_non_null(text);
	for (; has && *has; has++)
		if (!strstr(text, *has))
			fail_msg("%s lacks '%s'", what, *has);
	for (; lacks && *lacks; lacks++)
		if (strstr(text, *lacks))
			fail_msg("%s has '%s'", what, *lacks);
}

double t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void t_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Point descriptor fd at a fresh temporary file (its path into tmpl); the old one saved. */
static int redirect(int fd, char *tmpl)
{
	int saved = dup(fd), f = mkstemp(tmpl);

	assert_true(saved >= 0 && f >= 0);
	assert_true(dup2(f, fd) >= 0);
	close(f);
	return saved;
}

static void restore(int fd, int saved)
{
	assert_true(dup2(saved, fd) >= 0);
	close(saved);
}

void t_cli_run(struct t_cli *r, int (*cmd)(int, char **), char **argv, const char *input,
	       int capture_err)
{
	char in_p[] = "/tmp/parity-test-in-XXXXXX", out_p[] = "/tmp/parity-test-out-XXXXXX";
	char err_p[] = "/tmp/parity-test-err-XXXXXX";
	int argc = 0, save_in = -1, save_out, save_err = -1;

	while (argv[argc])
		argc++;
	memset(r, 0, sizeof(*r));
	fflush(stdout);
	fflush(stderr);
	if (input) {
		save_in = redirect(0, in_p);
		t_write(in_p, input);
	}
	save_out = redirect(1, out_p);
	if (capture_err)
		save_err = redirect(2, err_p);
	r->rc = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	restore(1, save_out);
	r->out = t_slurp(out_p, NULL);
	unlink(out_p);
	if (capture_err) {
		restore(2, save_err);
		r->err = t_slurp(err_p, NULL);
		unlink(err_p);
	}
	if (input) {
		restore(0, save_in);
		clearerr(stdin); /* the command may have read to the end */
		unlink(in_p);
	}
}

void t_cli_release(struct t_cli *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
