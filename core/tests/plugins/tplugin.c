/*
 * One test plugin, compiled many times with different macros into the deliberately broken
 * (and the good) plugins that test_loader.c feeds the loader: TP_STEM names the entry
 * point `ph_<TP_STEM>_plugin`; TP_NAME, TP_MAJOR, TP_MINOR and TP_SIZE fill the
 * descriptor; TP_NO_ENTRY hides the entry point, TP_NULL_ENTRY makes it return NULL,
 * TP_NO_RUN leaves out `run`, TP_INIT_FAIL makes init fail. init, run and fini report
 * themselves through the host's log ("init", "run", "fini"), which the test's fake host
 * counts: that is how the test proves fini was (or was not) called. Only the fake host is
 * told (it is the one without `http`): the real host's log needs a run, and init and fini
 * have none, so under `parity list` the plugins stay quiet.
 */
#include <stddef.h>

#include "parity/plugin.h"

#ifndef TP_NAME
#define TP_NAME TP_STEM_STR
#endif
#ifndef TP_MAJOR
#define TP_MAJOR PH_ABI_MAJOR
#endif
#ifndef TP_MINOR
#define TP_MINOR PH_ABI_MINOR
#endif
#ifndef TP_SIZE
#define TP_SIZE sizeof(struct ph_plugin)
#endif
#ifndef TP_VERSION
#define TP_VERSION "1.0.0"
#endif

#define TP_CAT3(a, b, c) a##b##c
#define TP_ENTRY(stem) TP_CAT3(ph_, stem, _plugin)

static const struct ph_host *tp_host;
static int tp_token; /* its address is the state init hands out */

static void tp_say(const char *what)
{
	if (tp_host && tp_host->log && !tp_host->http)
		tp_host->log(NULL, PH_LOG_INFO, "%s", what);
}

static int tp_init(const struct ph_host *host, void **state, struct ph_err *err)
{
	tp_host = host;
	tp_say("init");
#ifdef TP_INIT_FAIL
	*state = NULL;
	return ph_error(err, PH_E_INVALID, "cannot reach the test database at port 7");
#else
	(void)err;
	*state = &tp_token;
	return 0;
#endif
}

#ifndef TP_NO_RUN
static int tp_run(void *state, const struct ph_host *host, struct ph_run *run,
		  struct ph_err *err)
{
	(void)run;
	if (state != &tp_token)
		return ph_error(err, PH_E_INVALID, "run got a state init did not make");
	tp_host = host;
	tp_say("run");
	return 0;
}
#endif

static void tp_fini(void *state)
{
	tp_say(state == &tp_token ? "fini" : "fini: bad state");
}

static const struct ph_plugin tp_plugin = {
	.abi_major = TP_MAJOR,
	.abi_minor = TP_MINOR,
	.size = TP_SIZE,
	.name = TP_NAME,
	.version = TP_VERSION,
	.description = "test plugin for the loader",
	.init = tp_init,
#ifndef TP_NO_RUN
	.run = tp_run,
#endif
	.fini = tp_fini,
};

#ifndef TP_NO_ENTRY
const struct ph_plugin *TP_ENTRY(TP_STEM)(void);

const struct ph_plugin *TP_ENTRY(TP_STEM)(void)
{
#ifdef TP_NULL_ENTRY
	(void)&tp_plugin;
	return NULL;
#else
	return &tp_plugin;
#endif
}
#else
/* Something is exported, just not the entry point the loader looks for. */
const struct ph_plugin *tp_wrong_entry(void);

const struct ph_plugin *tp_wrong_entry(void)
{
	return &tp_plugin;
}
#endif
