/*
 * A spawned runtime's life (runtime.h): waiting for its health path to answer (and its
 * body to hold the spec's "ready" values), watching it, and stopping it so that nothing
 * it started survives: SIGTERM to the group, SIGKILL after the stop timeout, then
 * SIGKILL to what is left of the group. A start that fails stops the runtime and says
 * what happened, quoting the end of its log.
 */
#include "runtime/runtime.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime/http.h"
#include "runtime/internal.h"

void ph_runtime_describe_exit(int status, char *out, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(out, n, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(out, n, "exited with status 127 (could not be executed)");
	else if (WIFEXITED(status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(out, n, "stopped (wait status %d)", status);
}

/* Fill err with what happened and the log's tail that fits, then stop the runtime. */
static int start_failed(struct ph_runtime *rt, int code, const char *what, struct ph_err *err)
{
	const struct ph_runtime_spec *spec = rt->spec;
	char head[600];
	char *tail;
	size_t room;
	int n;

	ph_runtime_stop(rt, rt->exited ? 1 : 0, NULL);
	n = snprintf(head, sizeof(head), "%s runtime '%s' %s; its log %s", spec->role,
		     spec->name, what, rt->log_path ? rt->log_path : "(none)");
	if (n < 0)
		n = 0;
	room = (size_t)n + 32 < sizeof(err->msg) ? sizeof(err->msg) - (size_t)n - 32 : 0;
	tail = room ? ph_log_tail_for_message(rt->log_path, room) : NULL;
	if (tail && *tail)
		ph_error(err, code, "%s ends with:\n%s", head, tail);
	else
		ph_error(err, code, "%s is empty", head);
	free(tail);
	return code;
}

/* The start failed because the process exited before it was healthy. */
static int exited_early(struct ph_runtime *rt, struct ph_err *err)
{
	char how[128], what[300];

	ph_runtime_describe_exit(rt->exit_status, how, sizeof(how));
	rt->exited_early = 1;
	snprintf(what, sizeof(what), "%s before it was healthy at %s", how, rt->health_url);
	return start_failed(rt, PH_E_RUNTIME, what, err);
}

/* Is status one of the spec's health statuses? */
static int is_up_status(const struct ph_runtime_spec *spec, long status)
{
	for (size_t i = 0; i < spec->n_health_status; i++)
		if (spec->health_status[i] == status)
			return 1;
	return 0;
}

/* The value at a dot path of doc (array elements by index), or NULL. */
static json_t *at_path(json_t *doc, const char *path)
{
	char *copy = strdup(path), *seg, *save = NULL;
	json_t *v = doc;

	if (!copy)
		return NULL;
	for (seg = strtok_r(copy, ".", &save); seg && v; seg = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v)) {
			char *end;
			long i = strtol(seg, &end, 10);

			v = *end || i < 0 ? NULL : json_array_get(v, (size_t)i);
		} else {
			v = json_object_get(v, seg);
		}
	}
	free(copy);
	return v;
}

/* Does the health body hold every value of ready? Otherwise say which does not in why. */
static int holds_ready(const json_t *ready, const char *body, char *why, size_t n)
{
	json_t *doc = body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL, *want;
	const char *path;
	int ok = 1;

	if (!doc) {
		snprintf(why, n, "its body is not JSON");
		return 0;
	}
	json_object_foreach((json_t *)ready, path, want)
	{
		json_t *got = at_path(doc, path);

		if (!got || !json_equal(got, want)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);

			snprintf(why, n, "%s is %s, not %s (ready)", path, g ? g : "absent",
				 w ? w : "?");
			free(g);
			free(w);
			ok = 0;
			break;
		}
	}
	json_decref(doc);
	return ok;
}

int ph_runtime_wait_healthy(struct ph_runtime *rt, struct ph_err *err)
{
	long delay = 10, last = 0;
	double deadline;
	char what[300];

	if (rt->pid <= 0 || !rt->spec || !rt->health_url)
		return ph_error(err, PH_E_INVALID, "runtime not spawned");
	deadline = rt->started_at_ms + (double)rt->spec->start_timeout_ms;
	for (;;) {
		double now = ph_now_ms();
		long left = (long)(deadline - now), timeout;

		if (!ph_runtime_alive(rt))
			return exited_early(rt, err);
		if (left <= 0)
			break;
		timeout = left < 1000 ? (left > 50 ? left : 50) : 1000;
		if (rt->spec->ready) {
			char *body = NULL;

			last = ph_http_get_body(rt->health_url, timeout, &body);
			if (last == 200 && !holds_ready(rt->spec->ready, body, rt->not_ready,
							sizeof(rt->not_ready)))
				last = -200; /* answered, not yet ready */
			free(body);
		} else {
			last = ph_http_get_status(rt->health_url, timeout);
		}
		if (last > 0 && last != 200 && is_up_status(rt->spec, last))
			last = 200; /* up, behind its auth: "ready" cannot be read */
		if (last == 200) {
			rt->startup_ms = ph_now_ms() - rt->started_at_ms;
			if (rt->startup_ms <= 0)
				rt->startup_ms = 0.001;
			return 0;
		}
		left = (long)(deadline - ph_now_ms());
		if (left <= 0)
			break;
		ph_sleep_ms(delay < left ? delay : left);
		delay = delay * 2 > 200 ? 200 : delay * 2;
	}
	/* One last look: it may have died while we waited. */
	if (!ph_runtime_alive(rt))
		return exited_early(rt, err);
	rt->timed_out = 1;
	if (last == -200)
		snprintf(what, sizeof(what),
			 "was not ready within %ld ms (start_timeout_ms): %s answered 200 but %s",
			 rt->spec->start_timeout_ms, rt->health_url, rt->not_ready);
	else if (last > 0)
		snprintf(what, sizeof(what),
			 "was not healthy within %ld ms (start_timeout_ms): %s last answered %ld",
			 rt->spec->start_timeout_ms, rt->health_url, last);
	else
		snprintf(what, sizeof(what),
			 "was not healthy within %ld ms (start_timeout_ms): %s never answered",
			 rt->spec->start_timeout_ms, rt->health_url);
	return start_failed(rt, PH_E_TIMEOUT, what, err);
}

int ph_runtime_start(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		     const struct ph_placeholders *ph, const char *log_path, struct ph_err *err)
{
	int rc = ph_runtime_spawn(rt, spec, ph, log_path, err);

	return rc ? rc : ph_runtime_wait_healthy(rt, err);
}

/* ---- watch and stop -------------------------------------------------------------- */

int ph_runtime_alive(struct ph_runtime *rt)
{
	int status;
	pid_t r;

	if (rt->pid <= 0 || rt->exited)
		return 0;
	do
		r = waitpid(rt->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 1;
	rt->exited = 1;
	rt->exit_status = r == rt->pid ? status : 0;
	return 0;
}

int ph_runtime_stop(struct ph_runtime *rt, int hard, struct ph_err *err)
{
	int rc = 0;

	if (rt->pid <= 0)
		return 0;
	if (ph_runtime_alive(rt)) {
		long waited = 0, limit = rt->spec ? rt->spec->stop_timeout_ms : 5000;
		int sig = hard ? SIGKILL : SIGTERM;

		if (kill(-rt->pgid, sig) && errno == ESRCH)
			kill(rt->pid, sig);
		while (!hard && waited < limit && ph_runtime_alive(rt)) {
			ph_sleep_ms(10);
			waited += 10;
		}
		if (!rt->exited) {
			int status;
			pid_t r;

			kill(-rt->pgid, SIGKILL);
			kill(rt->pid, SIGKILL);
			do
				r = waitpid(rt->pid, &status, 0);
			while (r < 0 && errno == EINTR);
			rt->exited = 1;
			if (r == rt->pid)
				rt->exit_status = status;
			else if (errno != ECHILD)
				rc = ph_error(err, PH_E_RUNTIME, "cannot reap runtime pid %ld: %s",
					      (long)rt->pid, strerror(errno));
		}
	}
	/* What is left of the group (grandchildren) goes too. */
	kill(-rt->pgid, SIGKILL);
	ph_group_unregister(rt->pgid);
	rt->pid = 0;
	return rc;
}

void ph_runtime_release(struct ph_runtime *rt)
{
	if (!rt)
		return;
	if (rt->pid > 0)
		ph_runtime_stop(rt, 0, NULL);
	ph_runtime_clear_owned(rt);
	memset(rt, 0, sizeof(*rt));
}
