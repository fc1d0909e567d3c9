/*
 * The fixture of the runtime tests (test_runtime.c, test_runtime_spec.c,
 * test_stdio_channel.c): a fresh temporary folder per test with a log path, a HOME and a
 * workspace folder in it, placeholders over them (a free port, an unreachable canned-LLM
 * URL, no shared or build folder), and the spec, runtime and stdio channel a test starts,
 * all released by the teardown whatever state the test left them in.
 */
#ifndef PARITY_TEST_SUPPORT_RUNTIME_H
#define PARITY_TEST_SUPPORT_RUNTIME_H

#include "runtime/runtime.h"
#include "runtime/stdio_channel.h"

struct t_rt {
	char dir[64];
	char log[128];	/* <dir>/rt.log */
	char home[128]; /* <dir>/home */
	char ws[128];	/* <dir>/ws */
	struct ph_runtime_spec spec;
	struct ph_placeholders ph;
	struct ph_runtime rt;
	struct ph_stdio *io;
};

/* cmocka per-test setup and teardown: *state is a fresh struct t_rt, freed by the teardown. */
int t_rt_setup(void **state);
int t_rt_teardown(void **state);

/* A cmocka test entry with that setup and teardown. */
#define t_rt_test(test) cmocka_unit_test_setup_teardown(test, t_rt_setup, t_rt_teardown)

/* Parse a spec from JSON text (role "candidate", file "parity.json") into f->spec. */
void t_rt_spec(struct t_rt *f, const char *json);

#endif
