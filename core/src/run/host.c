/*
 * The host services handed to plugins (parity/plugin.h), implemented over the session:
 * this file holds the table and the run-scoped entries (log, folders, HTTP to a runtime,
 * rows, progress, restarts, parameters); the larger services are in host_compare.c,
 * host_timing.c, host_db.c, host_secrets.c and host_stdio.c (host_impl.h). Declarative
 * HTTP cases are the lib's case exchange (parity/http_case.h) over this very table.
 */
#include "run/host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/matrix.h"
#include "parity/http_case.h"
#include "run/host_impl.h"
#include "run/session.h"
#include "runtime/interrupt.h"
#include "runtime/stdio_channel.h"

static void host_log(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!run) {
		/* init and fini get no run: only warnings and errors are worth showing */
		if (level >= PH_LOG_WARN)
			fprintf(stderr, "parity: plugin %s: %s\n", names[level], line);
		return;
	}
	ph_session_log(run->s, "%s: %s: %s", run->domain, names[level], line);
	if (level >= PH_LOG_WARN)
		fprintf(stderr, "%s%s: %s: %s\n", run->s->tty ? "\r\033[K" : "", run->domain,
			names[level], line);
}

static const char *host_domain(struct ph_run *run)
{
	return run->domain;
}

static const char *host_suite_dir(struct ph_run *run)
{
	return run->suite_dir;
}

static const char *host_repo_dir(struct ph_run *run)
{
	return run->s->cfg.repo;
}

static const char *host_out_dir(struct ph_run *run)
{
	return run->s->out;
}

static const char *host_workspace(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].workspace;
}

static const char *host_runtime_name(struct ph_run *run, enum ph_side side)
{
	return run->s->cfg.runtimes[side].name;
}

int ph_host_http(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp, struct ph_err *err)
{
	struct ph_side_state *st = &run->s->side[side];
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
	if (ph_interrupted()) {
		resp->error = strdup("interrupted");
		return ph_error(err, PH_E_INTERRUPTED, "interrupted");
	}
	if (!ph_session_alive(run->s, side)) {
		const char *why = st->died ? st->died : "the runtime is not running";

		resp->error = strdup(why);
		return ph_error(err, PH_E_RUNTIME, "%s", why);
	}
	rc = ph_http_send(st->http, req, resp, err);
	if (rc && !ph_session_alive(run->s, side) && st->died) {
		free(resp->error);
		resp->error = strdup(st->died);
		ph_error(err, PH_E_RUNTIME, "%s", st->died);
	}
	return rc;
}

static void progress_line(struct ph_run *run)
{
	if (!run->s->tty)
		return;
	fprintf(stderr, "\r\033[K  %-9s %d/%d cases", run->domain, run->done, run->total);
	fflush(stderr);
}

static void host_progress(struct ph_run *run, int done, int total)
{
	run->done = done;
	run->total = total;
	progress_line(run);
}

static int host_record(struct ph_run *run, const struct ph_row *row)
{
	struct ph_err err;
	int rc = ph_matrix_add_row(run->s->matrix, run->domain, row, &err);

	if (rc) {
		ph_session_log(run->s, "%s: cannot record row '%s': %s", run->domain,
			       row->feature ? row->feature : "?", err.msg);
		return rc;
	}
	run->rows++;
	if (row->cls == PH_ERROR)
		run->errors++;
	ph_session_log(run->s, "%s: %s [%s]: %s%s%s", run->domain, row->feature,
		       row->case_name ? row->case_name : "",
		       ph_class_name(row->result && row->result->verdict > row->cls ?
					     row->result->verdict :
					     row->cls),
		       row->error ? ": " : "", row->error ? row->error : "");
	return 0;
}

/* Add keys to the row just recorded (the last feature of the run's domain). */
static void annotate_last_row(struct ph_run *run, const char *key, json_t *value)
{
	json_t *features = json_object_get(ph_matrix_domain(run->s->matrix, run->domain),
					   "features");
	json_t *row = json_array_get(features, json_array_size(features) - 1);

	if (row && value)
		json_object_set(row, key, value);
	json_decref(value);
}

static const struct ph_host host;

/* A declarative case through the shared case exchange, over the core's own table. */
static int host_http_case(struct ph_run *run, const json_t *c, struct ph_err *err)
{
	/* the rows recorded so far alternate who is asked first */
	return ph_http_case(&host, run, c, (unsigned)run->rows, err);
}

static int host_runtime_restart(struct ph_run *run, enum ph_side side, const char *workspace,
				struct ph_err *err)
{
	return ph_session_start_side(run->s, side, workspace, err);
}

static int host_runtime_stop(struct ph_run *run, enum ph_side side, int hard,
			     struct ph_err *err)
{
	return ph_session_stop_side(run->s, side, hard, err);
}

/* The domain's own copy of the side's request log (session.h ph_session_llm_domain). */
static const char *host_llm_log(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].llm_log;
}

static const char *host_param(struct ph_run *run, const char *name)
{
	return json_string_value(json_object_get(run->s->params, name));
}

static const char *host_home(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].home;
}

static const char *host_runtime_env(struct ph_run *run, enum ph_side side, const char *name)
{
	const struct ph_runtime_spec *spec = &run->s->cfg.runtimes[side];
	size_t i, n = strlen(name);

	for (i = 0; spec->env && spec->env[i]; i++)
		if (!strncmp(spec->env[i], name, n) && spec->env[i][n] == '=')
			return spec->env[i] + n + 1;
	return NULL;
}

static int host_annotate(struct ph_run *run, const char *key, json_t *value)
{
	json_t *copy;

	if (!value)
		return PH_E_INVALID;
	/* a copy: the plugin may change or reuse what it passed once the call returns */
	if (!(copy = json_deep_copy(value)))
		return PH_E_NOMEM;
	annotate_last_row(run, key, copy);
	return 0;
}

static int host_runtimes_fresh(struct ph_run *run, const char *label, struct ph_err *err)
{
	if (!label)
		return ph_error(err, PH_E_INVALID, "runtimes_fresh: no label");
	return ph_session_restart_fresh(run->s, run->domain, label, err);
}

static int host_runtime_options(struct ph_run *run, enum ph_side side, const json_t *opts,
				struct ph_err *err)
{
	return ph_session_start_options(run->s, side, opts, err);
}

static const struct ph_host host = {
	.abi_major = PH_ABI_MAJOR,
	.abi_minor = PH_ABI_MINOR,
	.size = sizeof(struct ph_host),
	.log = host_log,
	.domain = host_domain,
	.suite_dir = host_suite_dir,
	.repo_dir = host_repo_dir,
	.out_dir = host_out_dir,
	.workspace = host_workspace,
	.runtime_name = host_runtime_name,
	.http = ph_host_http,
	.response_release = ph_response_release,
	.compare = ph_host_compare,
	.compare_json = ph_host_compare_json,
	.result_release = ph_result_release,
	.http_case = host_http_case,
	.record = host_record,
	.progress = host_progress,
	.db_query = ph_host_db_query,
	.runtime_restart = host_runtime_restart,
	.runtime_stop = host_runtime_stop,
	.llm_log = host_llm_log,
	.verify_schema = ph_host_verify_schema,
	.param = host_param,
	.home = host_home,
	.secrets_check = ph_host_secrets_check,
	.secrets_verify = ph_host_secrets_verify,
	.secrets_copy = ph_host_secrets_copy,
	.runtime_env = host_runtime_env,
	.timing_confirm = ph_host_timing_confirm,
	.annotate = host_annotate,
	.stdio_open = ph_host_stdio_open,
	.stdio_send = ph_stdio_send,
	.stdio_recv = ph_stdio_recv,
	.stdio_close = ph_host_stdio_close,
	.runtimes_fresh = host_runtimes_fresh,
	.runtime_options = host_runtime_options,
	.canon_add = ph_host_canon_add,
	.timing_samples = ph_host_timing_samples,
};

const struct ph_host *ph_host_table(void)
{
	return &host;
}

