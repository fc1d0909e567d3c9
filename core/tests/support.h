/*
 * What the core's unit tests share (support.c, linked into every core/tests/test_*.c):
 * a temporary folder per test program, files written and read in it, JSON parsed and
 * looked into, a monotonic clock, a `parity` subcommand run in-process with its standard
 * streams captured, and a program's main (T_MAIN). The helpers assert (cmocka) where a
 * test could not go on, so a test reads as its checks; the setup and teardown helpers
 * return 0 or -1 as cmocka's group fixtures expect. Names start with t_ (T_ for macros)
 * so they never meet a test's own static helpers. What the programs of one subsystem
 * share is in support_<subsystem>.h.
 */
#ifndef PARITY_TEST_SUPPORT_H
#define PARITY_TEST_SUPPORT_H

#include <stddef.h>
#include <jansson.h>

/*
 * Make a fresh folder from the template in dir ("/tmp/name-XXXXXX", modified in place):
 * 0, or -1 with the reason on stderr. For setups.
 */
int t_mkdtemp(char *dir);

/* Remove dir and everything beneath it: 0, or -1 with the reason on stderr. */
int t_rmtree(const char *dir);

/* A cmocka group setup and teardown for a test program whose folder is t_dir. */
extern char t_dir[256];
int t_dir_setup(void **state);
int t_dir_teardown(void **state);

/* cmocka group setup and teardown for a program that uses the HTTP client (its global state). */
int t_http_setup(void **state);
int t_http_teardown(void **state);

/*
 * "<dir>/<rel>" in one of eight rotating static buffers, so a few paths can be held at
 * once without freeing; the ninth call reuses the first.
 */
const char *t_path(const char *dir, const char *rel);

/* "<t_dir>/<rel>" into out (cap bytes), asserting it fits. */
void t_dir_path(char *out, size_t cap, const char *rel);

/* Make the folder <dir>/<rel> (its parent must exist); returns its path (a t_path buffer). */
const char *t_mkdir_in(const char *dir, const char *rel);

/* Write text to path (created or truncated), asserting every step. */
void t_write(const char *path, const char *text);

/* Write text to <dir>/<rel>; returns the path (a t_path buffer). */
const char *t_write_in(const char *dir, const char *rel, const char *text);

/* The whole file, NUL-terminated (caller frees); len may be NULL. Asserts it is read. */
char *t_slurp(const char *path, size_t *len);

/* The JSON text parsed (any value; the caller decrefs), asserting it parses. */
json_t *t_json(const char *text);

/* The string at key of doc, and at key of the i-th element of the array a (NULL if none). */
const char *t_str(const json_t *doc, const char *key);
const char *t_str_at(const json_t *a, size_t i, const char *key);

/* Assert that the i-th element of the array a has the string want[i] at key, for each i. */
void t_assert_strs_at(const json_t *a, const char *key, const char *const *want);

/* A NULL-ended list of strings, for t_contains and t_assert_strs_at. */
#define T_LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * Assert that text holds every string of has and none of lacks (NULL-ended lists, each
 * may be NULL); a failure names what (the file or output checked) and the string.
 */
void t_contains(const char *what, const char *text, const char *const *has,
		const char *const *lacks);

/* Milliseconds of the monotonic clock, and a sleep of ms milliseconds. */
double t_now_ms(void);
void t_sleep_ms(long ms);

/* What an in-process command did: its exit code and its captured output (caller frees). */
struct t_cli {
	int rc;
	char *out; /* stdout */
	char *err; /* stderr; NULL unless captured */
};

/*
 * Run cmd(argc, argv) (a `parity` subcommand's entry, argv[0] its name, argv NULL-
 * terminated) with stdout captured, stdin read from `input` when not NULL, and stderr
 * captured when capture_err is set; the streams are restored afterwards.
 */
void t_cli_run(struct t_cli *r, int (*cmd)(int, char **), char **argv, const char *input,
	       int capture_err);

/* Free what t_cli_run captured. */
void t_cli_release(struct t_cli *r);

/*
 * A test program's main: its tests (cmocka_unit_test entries) run as one group with this
 * group setup and teardown (NULL: none). Programs with a long list keep it in their own
 * main, one test a line.
 */
#define T_MAIN(setup, teardown, ...)                                                               \
	int main(void)                                                                             \
	{                                                                                          \
		const struct CMUnitTest tests[] = {__VA_ARGS__};                                   \
                                                                                                   \
		return cmocka_run_group_tests(tests, setup, teardown);                             \
	}

#endif
