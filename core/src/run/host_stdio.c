/*
 * The host's stdio companions (parity/plugin.h stdio_open, stdio_close): a runtime's
 * second process that speaks over its stdin and stdout, started with the runtime's
 * placeholders; the channels a plugin leaves open are closed when its run ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/host_impl.h"
#include "run/session.h"
#include "runtime/stdio_channel.h"

#define MAX_OPEN_STDIO 8

/* The channels plugins have open, with the run that opened them. */
static struct {
	struct ph_run *run;
	struct ph_stdio *io;
} open_stdio[MAX_OPEN_STDIO];

int ph_host_stdio_open(struct ph_run *run, enum ph_side side, const char *key,
			   struct ph_stdio **io, struct ph_err *err)
{
	const struct ph_runtime_spec *rt = &run->s->cfg.runtimes[side], *cmd;
	struct ph_placeholders ph;
	char *logp, suffix[64], what[64];
	size_t slot;
	int rc;

	if (io)
		*io = NULL;
	/* a runtime's stdio companions are its config keys "<name>_stdio" (runtime/spec.h) */
	if (!key || !ph_runtime_companion_key(key))
		return ph_error(err, PH_E_INVALID, "stdio_open: unknown command key '%s'",
				key ? key : "(null)");
	if (!(cmd = ph_runtime_spec_companion(rt, key)))
		return ph_error(err, PH_E_NOTFOUND, "%s runtime '%s': %s names no %s", rt->role,
				rt->name, run->s->cfg.path, key);
	if (!io)
		return 0;
	for (slot = 0; slot < MAX_OPEN_STDIO && open_stdio[slot].io; slot++)
		;
	if (slot == MAX_OPEN_STDIO)
		return ph_error(err, PH_E_INVALID, "stdio_open: more than %d open at once",
				MAX_OPEN_STDIO);
	ph_session_placeholders(run->s, side, &ph);
	/* its log and log line are named after the key: "-<key>", "<key>" with '_' as '-', ' ' */
	snprintf(suffix, sizeof(suffix), "-%s", key);
	snprintf(what, sizeof(what), "%s", key);
	for (char *p = suffix; *p; p++)
		*p = *p == '_' ? '-' : *p;
	for (char *p = what; *p; p++)
		*p = *p == '_' ? ' ' : *p;
	if (!(logp = ph_session_log_path(run->s, side, suffix)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_stdio_open(io, cmd, &ph, logp, err);
	if (!rc) {
		open_stdio[slot].run = run;
		open_stdio[slot].io = *io;
		ph_session_log(run->s, "%s: %s: %s started, log %s", run->domain,
			       side ? "candidate" : "reference", what, logp);
	}
	free(logp);
	return rc;
}

void ph_host_stdio_close(struct ph_stdio *io)
{
	if (!io)
		return;
	for (size_t i = 0; i < MAX_OPEN_STDIO; i++)
		if (open_stdio[i].io == io)
			open_stdio[i].io = NULL, open_stdio[i].run = NULL;
	ph_stdio_close(io);
}

void ph_host_run_finish(struct ph_run *run)
{
	for (size_t i = 0; i < MAX_OPEN_STDIO; i++)
		if (open_stdio[i].io && open_stdio[i].run == run)
			ph_host_stdio_close(open_stdio[i].io);
	/* a plugin's start options last as long as its domain */
	for (int side = 0; side < 2; side++)
		ph_session_start_options(run->s, side, NULL, NULL);
}
