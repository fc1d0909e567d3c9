/*
 * The runtime tests' fixture (support_runtime.h): a temporary folder with HOME and
 * workspace, placeholders over them, and the release of whatever a test started.
 */
#include "support_runtime.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "support.h"

int t_rt_setup(void **state)
{
	struct t_rt *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ph-test-runtime-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/rt.log", f->dir);
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	snprintf(f->ws, sizeof(f->ws), "%s/ws", f->dir);
	assert_int_equal(mkdir(f->home, 0755), 0);
	assert_int_equal(mkdir(f->ws, 0755), 0);
	f->ph.workspace = f->ws;
	f->ph.home = f->home;
	f->ph.port = ph_free_port();
	f->ph.llm_url = "http://127.0.0.1:9/llm";
	f->ph.repo = f->dir;
	f->ph.shared = "/nonexistent/shared";
	f->ph.build = "/nonexistent/build";
	assert_true(f->ph.port > 0);
	*state = f;
	return 0;
}

int t_rt_teardown(void **state)
{
	struct t_rt *f = *state;

	ph_stdio_close(f->io);
	ph_runtime_release(&f->rt);
	ph_runtime_spec_release(&f->spec);
	t_rmtree(f->dir);
	free(f);
	return 0;
}

void t_rt_spec(struct t_rt *f, const char *json)
{
	struct ph_err err = {0};
	json_error_t jerr;
	json_t *obj = json_loads(json, 0, &jerr);

	assert_non_null(obj);
	if (ph_runtime_spec_parse(&f->spec, "candidate", obj, "parity.json", &err))
		fail_msg("spec: %s", err.msg);
	json_decref(obj);
}
