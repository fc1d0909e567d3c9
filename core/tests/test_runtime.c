/*
 * Tests of the runtime lifecycle (core/src/runtime: spawn.c, lifecycle.c) against real
 * processes: the helper fake_runtime stands in for a daemon and misbehaves on request
 * (never healthy, dies at once, ignores SIGTERM, leaves a grandchild). Also
 * ph_runtime_kill_all, and that a runtime dies with the process that started it
 * (PR_SET_PDEATHSIG). The spec parser and the placeholders are test_runtime_spec.c's.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/http.h"
#include "parity/jsonio.h"
#include "runtime/runtime.h"

#include "support.h"
#include "support_runtime.h"

#ifndef FAKE_RUNTIME
#define FAKE_RUNTIME PARITY_BUILD_DIR "/core/tests/fake_runtime"
#endif

/* Gone: no such process, or a zombie nobody reaps (PID 1 in a container may not). */
static int gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (kill(pid, 0) && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

static int wait_gone(pid_t pid, long ms)
{
	double end = t_now_ms() + (double)ms;

	while (t_now_ms() < end) {
		if (gone(pid))
			return 1;
		t_sleep_ms(10);
	}
	return gone(pid);
}

/* Wait up to ms for the runtime's leader to exit (reaped by ph_runtime_alive). */
static int wait_exit(struct ph_runtime *rt, long ms)
{
	double end = t_now_ms() + (double)ms;

	while (ph_runtime_alive(rt)) {
		if (t_now_ms() > end)
			return 0;
		t_sleep_ms(10);
	}
	return 1;
}

static char *read_log(const char *path)
{
	struct ph_err err;
	char *data = NULL;

	if (ph_file_read(path, 0, &data, NULL, &err))
		return strdup("");
	return data;
}

static pid_t pid_after(const char *log, const char *key)
{
	const char *p = strstr(log, key);

	return p ? (pid_t)atol(p + strlen(key)) : 0;
}

static void test_start_healthy_stop(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	char url[128], want[256], *log;
	pid_t pid;
	long rss;

	t_rt_spec(f,
		  "{\"name\": \"fake\", \"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
		  " \"--print-env\", \"FAKE_WS\", \"--print-env\", \"FAKE_HOME\"],"
		  " \"cwd\": \"{home}\", \"env\": {\"FAKE_WS\": \"{workspace}/x\","
		  " \"FAKE_HOME\": \"{{literal}\"}}");
	if (ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err))
		fail_msg("start: %s", err.msg);
	pid = f->rt.pid;
	assert_true(pid > 0);
	assert_true(f->rt.startup_ms > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->ph.port);
	assert_string_equal(f->rt.base_url, url);
	strcat(url, "/health");
	assert_int_equal(ph_http_get_status(url, 1000), 200);
	assert_true(ph_runtime_alive(&f->rt));
	rss = ph_runtime_rss_kb(&f->rt);
	assert_true(rss > 0);

	log = read_log(f->log);
	snprintf(want, sizeof(want), "env FAKE_WS=%s/x\n", f->ws);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "env FAKE_HOME={literal}\n"));
	snprintf(want, sizeof(want), "cwd %s\n", f->home);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "fake_runtime: stderr is captured"));
	assert_int_equal(pid_after(log, "fake_runtime: pid "), pid);
	free(log);

	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
	assert_int_equal(f->rt.pid, 0);
	assert_true(f->rt.exited);
	assert_true(WIFSIGNALED(f->rt.exit_status));
	assert_int_equal(WTERMSIG(f->rt.exit_status), SIGTERM);
	assert_true(gone(pid));
	assert_int_equal(ph_http_get_status(url, 300) == 200, 0);
	assert_true(ph_runtime_rss_kb(&f->rt) < 0);
	/* Stopping again is harmless. */
	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
}

static void test_never_healthy_times_out(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	double t0 = t_now_ms();
	int rc;

	t_rt_spec(f, "{\"name\": \"slowpoke\", \"command\": [\"" FAKE_RUNTIME
		     "\", \"--never-healthy\"],"
		     " \"start_timeout_ms\": 400}");
	rc = ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err);
	assert_int_equal(rc, PH_E_TIMEOUT);
	assert_true(t_now_ms() - t0 >= 390);
	assert_true(f->rt.timed_out);
	assert_false(f->rt.exited_early);
	assert_int_equal(f->rt.pid, 0);
	assert_non_null(strstr(err.msg, "candidate runtime 'slowpoke'"));
	assert_non_null(strstr(err.msg, "within 400 ms"));
	assert_non_null(strstr(err.msg, "never answered"));
	/* the log tail is quoted */
	assert_non_null(strstr(err.msg, "fake_runtime: booting forever, never healthy"));
	assert_non_null(strstr(err.msg, f->log));
}

static void test_unhealthy_status_times_out(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};

	t_rt_spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
		     " \"--health-status\", \"503\"], \"start_timeout_ms\": 300}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_TIMEOUT);
	assert_non_null(strstr(err.msg, "candidate runtime 'candidate'")); /* name defaults */
	assert_non_null(strstr(err.msg, "last answered 503"));
}

static void test_exits_at_once(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	double t0 = t_now_ms();

	t_rt_spec(f, "{\"name\": \"quitter\", \"command\": [\"" FAKE_RUNTIME
		     "\", \"--port\", \"{port}\","
		     " \"--die-after-ms\", \"0\", \"--exit-code\", \"3\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_RUNTIME);
	assert_true(t_now_ms() - t0 < 5000); /* did not wait for the 15 s default */
	assert_true(f->rt.exited_early);
	assert_false(f->rt.timed_out);
	assert_true(WIFEXITED(f->rt.exit_status));
	assert_int_equal(WEXITSTATUS(f->rt.exit_status), 3);
	assert_non_null(strstr(err.msg, "candidate runtime 'quitter' exited with status 3"));
	assert_non_null(strstr(err.msg, "dying at once with status 3"));
}

static void test_exec_failure(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};

	t_rt_spec(f, "{\"name\": \"ghost\", \"command\": [\"{build}/no-such-daemon\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_RUNTIME);
	assert_true(f->rt.exited_early);
	assert_int_equal(WEXITSTATUS(f->rt.exit_status), 127);
	assert_non_null(strstr(err.msg, "status 127"));
	assert_non_null(strstr(err.msg, "cannot execute '/nonexistent/build/no-such-daemon': "
					"no such file or directory"));
}

static void test_spawn_errors(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};

	t_rt_spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"{nope}\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "candidate runtime 'candidate': command[1]: "
					"unknown placeholder '{nope}'"));
	assert_int_equal(f->rt.pid, 0);
	ph_runtime_spec_release(&f->spec);

	t_rt_spec(f, "{\"command\": [\"" FAKE_RUNTIME "\"]}");
	assert_int_equal(
	    ph_runtime_start(&f->rt, &f->spec, &f->ph, "/nonexistent/dir/rt.log", &err), PH_E_IO);
	assert_non_null(strstr(err.msg, "cannot open log '/nonexistent/dir/rt.log'"));
	assert_int_equal(f->rt.pid, 0);
}

/*
 * Start fake_runtime --port {port} followed by more: its other arguments, the end of the
 * command and the spec's other keys (", \"--ignore-sigterm\"], \"stop_timeout_ms\": 300}").
 */
static void start_fake(struct t_rt *f, const char *more)
{
	struct ph_err err = {0};
	char json[1024];

	assert_true((size_t)snprintf(json, sizeof(json),
				     "{\"command\": [\"" FAKE_RUNTIME
				     "\", \"--port\", \"{port}\"%s",
				     more) < sizeof(json));
	t_rt_spec(f, json);
	if (ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err))
		fail_msg("start: %s", err.msg);
}

/* start_fake with --spawn-child first: the grandchild's pid, which it logs. */
static pid_t start_spawner(struct t_rt *f, const char *more)
{
	char args[512], *log;
	pid_t gc;

	snprintf(args, sizeof(args), ", \"--spawn-child\"%s", more);
	start_fake(f, args);
	log = read_log(f->log);
	gc = pid_after(log, "grandchild ");
	free(log);
	return gc;
}

static void test_ignores_sigterm(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	double t0;
	pid_t pid;

	start_fake(f, ", \"--ignore-sigterm\"], \"stop_timeout_ms\": 300}");
	pid = f->rt.pid;
	t0 = t_now_ms();
	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
	assert_true(t_now_ms() - t0 >= 290);
	assert_true(t_now_ms() - t0 < 3000);
	assert_true(WIFSIGNALED(f->rt.exit_status));
	assert_int_equal(WTERMSIG(f->rt.exit_status), SIGKILL);
	assert_true(gone(pid));
}

static void test_hard_stop_is_immediate(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	double t0;

	start_fake(f, ", \"--ignore-sigterm\"], \"stop_timeout_ms\": 5000}");
	t0 = t_now_ms();
	assert_int_equal(ph_runtime_stop(&f->rt, 1, &err), 0);
	assert_true(t_now_ms() - t0 < 1000);
	assert_int_equal(WTERMSIG(f->rt.exit_status), SIGKILL);
}

static void test_grandchild_killed_with_group(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	pid_t gc = start_spawner(f, "], \"stop_timeout_ms\": 2000}");

	assert_true(gc > 0);
	assert_false(gone(gc));
	/* RSS counts the whole tree: more than the leader alone. */
	assert_true(ph_runtime_rss_kb(&f->rt) > 0);
	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
	/* The grandchild ignores SIGTERM: only the group SIGKILL after the leader ends it. */
	assert_true(wait_gone(gc, 2000));
}

static void test_group_killed_after_leader_exited(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	pid_t gc = start_spawner(f, ", \"--die-after-ms\", \"300\", \"--exit-code\", \"5\"]}");

	assert_true(gc > 0);
	assert_true(wait_exit(&f->rt, 3000));
	assert_true(WIFEXITED(f->rt.exit_status));
	assert_int_equal(WEXITSTATUS(f->rt.exit_status), 5);
	assert_true(f->rt.pid > 0); /* kept so that stop can clean up */
	assert_false(gone(gc));
	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
	assert_true(wait_gone(gc, 2000));
}

static void test_kill_all(void **state)
{
	struct t_rt *f = *state;
	struct ph_runtime_spec s2;
	struct ph_runtime rt2;
	struct ph_placeholders ph2 = f->ph;
	struct ph_err err = {0};
	char log2[160];
	pid_t p1, p2;
	json_t *obj;

	memset(&rt2, 0, sizeof(rt2));
	t_rt_spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
		     " \"--ignore-sigterm\"]}");
	obj = json_pack("{s:s, s:[s,s,s]}", "name", "second", "command", FAKE_RUNTIME, "--port",
			"{port}");
	assert_int_equal(ph_runtime_spec_parse(&s2, "reference", obj, "t", &err), 0);
	json_decref(obj);
	ph2.port = ph_free_port();
	snprintf(log2, sizeof(log2), "%s/rt2.log", f->dir);
	if (ph_runtime_spawn(&f->rt, &f->spec, &f->ph, f->log, &err) ||
	    ph_runtime_spawn(&rt2, &s2, &ph2, log2, &err))
		fail_msg("spawn: %s", err.msg);
	if (ph_runtime_wait_healthy(&f->rt, &err) || ph_runtime_wait_healthy(&rt2, &err))
		fail_msg("wait: %s", err.msg);
	p1 = f->rt.pid;
	p2 = rt2.pid;

	ph_runtime_kill_all();
	assert_true(wait_exit(&f->rt, 2000));
	assert_true(wait_exit(&rt2, 2000));
	assert_int_equal(WTERMSIG(f->rt.exit_status), SIGKILL);
	assert_int_equal(WTERMSIG(rt2.exit_status), SIGKILL);
	assert_true(gone(p1) && gone(p2));
	assert_int_equal(ph_runtime_stop(&f->rt, 0, &err), 0);
	ph_runtime_release(&rt2);
	ph_runtime_spec_release(&s2);
	/* Nothing registered any more: a second call is harmless. */
	ph_runtime_kill_all();
}

static void test_dies_with_its_parent(void **state)
{
	struct t_rt *f = *state;
	int fds[2], status;
	pid_t middle, rt_pid = 0;

	t_rt_spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
		     " \"--ignore-sigterm\"]}");
	assert_int_equal(pipe(fds), 0);
	middle = fork();
	assert_true(middle >= 0);
	if (middle == 0) {
		struct ph_runtime rt;
		struct ph_err err;

		memset(&rt, 0, sizeof(rt));
		close(fds[0]);
		if (ph_runtime_start(&rt, &f->spec, &f->ph, f->log, &err))
			_exit(1);
		if (write(fds[1], &rt.pid, sizeof(rt.pid)) != sizeof(rt.pid))
			_exit(2);
		_exit(0); /* without stopping it */
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &rt_pid, sizeof(rt_pid)), (ssize_t)sizeof(rt_pid));
	close(fds[0]);
	assert_int_equal(waitpid(middle, &status, 0), middle);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(rt_pid > 0);
	assert_true(wait_gone(rt_pid, 2000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    t_rt_test(test_start_healthy_stop),
	    t_rt_test(test_never_healthy_times_out),
	    t_rt_test(test_unhealthy_status_times_out),
	    t_rt_test(test_exits_at_once),
	    t_rt_test(test_exec_failure),
	    t_rt_test(test_spawn_errors),
	    t_rt_test(test_ignores_sigterm),
	    t_rt_test(test_hard_stop_is_immediate),
	    t_rt_test(test_grandchild_killed_with_group),
	    t_rt_test(test_group_killed_after_leader_exited),
	    t_rt_test(test_kill_all),
	    t_rt_test(test_dies_with_its_parent),
	};

	return cmocka_run_group_tests(tests, t_http_setup, t_http_teardown);
}
