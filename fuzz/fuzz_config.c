/*
 * Fuzz target: loading a parity.json. ph_config_load reads only from a path, so the
 * input goes to a scratch file first; a config that loads has every runtime's argv, cwd
 * and env expanded with placeholder values, as a run would before it starts anything
 * (the expansion must fail cleanly on unknown or valueless placeholders).
 */
#include <stdlib.h>

#include "run/config.h"
#include "fuzz.h"
#include "runtime/runtime.h"

static void expand(const char *s, const struct ph_placeholders *ph)
{
	struct ph_err err;
	char *x;

	if (!s)
		return;
	x = ph_expand(s, ph, &err);
	free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_placeholders ph = { "/tmp/ws", "/tmp/home", 4242, "http://127.0.0.1:1",
				      "/repo", "/shared", "/build" };
	struct ph_placeholders none = { 0 };
	const char *path = fz_scratch_file("parity.json", data, size);
	struct ph_config cfg;
	struct ph_err err;
	size_t i;
	int r;

	if (!ph_config_load(&cfg, path, &err)) {
		for (r = 0; r < 2; r++) {
			const struct ph_runtime_spec *sp = &cfg.runtimes[r];

			for (i = 0; i < sp->argc; i++) {
				expand(sp->argv[i], &ph);
				expand(sp->argv[i], &none);
			}
			for (i = 0; i < sp->n_env; i++)
				expand(sp->env[i], &ph);
			expand(sp->cwd, &ph);
			expand(sp->health, &ph);
		}
		free(ph_config_resolve(&cfg, "x/../y"));
	}
	ph_config_release(&cfg);
	return 0;
}
