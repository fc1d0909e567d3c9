/*
 * The fixture plugin unit tests share: for each test, the fake host (fake_host.h) over a
 * fresh temporary folder that is also the suite folder the plugin reads, and the plugin's
 * run hook driven on it. A program hands its test list to plugin_fixture_run_tests, which
 * puts every test in a new fixture (the test's *state) and removes the folder with all it
 * holds afterwards, so its list is plain cmocka_unit_test entries. A program with state
 * of its own (its fake runtimes) hooks it in through the spec's setup and teardown.
 * Built into a plugin's test program as one of its sources (plugins/<d>/CMakeLists.txt).
 */
#ifndef PARITY_PLUGIN_FIXTURE_H
#define PARITY_PLUGIN_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fake_host.h"
#include "parity/plugin.h"

struct plugin_fixture;

/* What the fixtures of one test program are; static, borrowed for the run. */
struct plugin_fixture_spec {
	const char *domain;                          /* the folder: /tmp/test-plugin-<d>-XXXXXX */
	const struct ph_plugin *(*entry)(void);      /* ph_<domain>_plugin */
	size_t user_size;                            /* the program's own state: 0 for none */
	int (*setup)(struct plugin_fixture *fx);     /* optional: after the fake host is made */
	void (*teardown)(struct plugin_fixture *fx); /* optional: before it is released */
};

struct plugin_fixture {
	struct fake_host fh; /* its suite_dir is dir, until the test says otherwise */
	const struct plugin_fixture_spec *spec;
	char dir[64];        /* the test's temporary folder */
	void *user;          /* user_size zeroed bytes for the program's own state, or NULL */
};

/* Write text to the file <dir>/<name> (name: a file name, no folder). */
void plugin_fixture_write(struct plugin_fixture *fx, const char *name, const char *text);

/* Run the plugin's run hook on the fixture's fake host; err is cleared first. */
int plugin_fixture_run(struct plugin_fixture *fx, struct ph_err *err);

/* Write {"cases": [cases]} as the suite's one file, cases.json, then plugin_fixture_run. */
int plugin_fixture_run_cases(struct plugin_fixture *fx, const char *cases, struct ph_err *err);

/* Remove path and everything beneath it (a missing path is no error). Returns 0 or -1. */
int plugin_fixture_rmtree(const char *path);

/*
 * Run tests[0..n) as cmocka's group "tests", giving every test that has no setup of its
 * own a fresh fixture of spec; returns what cmocka_run_group_tests returns.
 * plugin_fixture_run_tests does it for a program's test array.
 */
int plugin_fixture_main(const struct plugin_fixture_spec *spec, const struct CMUnitTest *tests,
			size_t n);

#define plugin_fixture_run_tests(spec, tests)                                             \
	plugin_fixture_main((spec), (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
