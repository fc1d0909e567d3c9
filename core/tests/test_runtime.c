/*
 * Tests of the runtime lifecycle (core/src/runtime: spawn.c, lifecycle.c) against real
 * processes: the helper fake_runtime stands in for a daemon and misbehaves on request
 * (never healthy, dies at once, ignores SIGTERM, leaves a grandchild). Also the config
 * entry parser, placeholder expansion, ph_free_port, ph_log_tail, ph_runtime_kill_all,
 * and that a runtime dies with the process that started it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/http.h"
#include "parity/jsonio.h"
#include "runtime/runtime.h"
#include "runtime/internal.h" /* ph_now_ms, ph_sleep_ms */

#include "support.h"

#ifndef FAKE_RUNTIME
#define FAKE_RUNTIME PARITY_BUILD_DIR "/core/tests/fake_runtime"
#endif

struct fx {
	char dir[64];
	char log[128];
	char home[128];
	char ws[128];
	struct ph_runtime_spec spec;
	struct ph_placeholders ph;
	struct ph_runtime rt;
};

/* The stdio companion the shipped configs name, as the MCP plugin asks for it. */
static const struct ph_runtime_spec *companion(const struct ph_runtime_spec *spec)
{
	return ph_runtime_spec_companion(spec, "mcp_stdio");
}

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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

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

static int teardown(void **state)
{
	struct fx *f = *state;

	ph_runtime_release(&f->rt);
	ph_runtime_spec_release(&f->spec);
	t_rmtree(f->dir);
	free(f);
	return 0;
}

/* Parse a spec from JSON text (role "candidate") into f->spec. */
static void spec(struct fx *f, const char *json)
{
	struct ph_err err = { 0 };
	json_error_t jerr;
	json_t *obj = json_loads(json, 0, &jerr);

	assert_non_null(obj);
	if (ph_runtime_spec_parse(&f->spec, "candidate", obj, "parity.json", &err))
		fail_msg("spec: %s", err.msg);
	json_decref(obj);
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
	struct fx *f = *state;
	struct ph_err err = { 0 };
	char url[128], want[256], *log;
	pid_t pid;
	long rss;

	spec(f, "{\"name\": \"fake\", \"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
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
	struct fx *f = *state;
	struct ph_err err = { 0 };
	double t0 = t_now_ms();
	int rc;

	spec(f, "{\"name\": \"slowpoke\", \"command\": [\"" FAKE_RUNTIME "\", \"--never-healthy\"],"
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
	struct fx *f = *state;
	struct ph_err err = { 0 };

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
		" \"--health-status\", \"503\"], \"start_timeout_ms\": 300}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_TIMEOUT);
	assert_non_null(strstr(err.msg, "candidate runtime 'candidate'")); /* name defaults */
	assert_non_null(strstr(err.msg, "last answered 503"));
}

static void test_exits_at_once(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };
	double t0 = t_now_ms();

	spec(f, "{\"name\": \"quitter\", \"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\","
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
	struct fx *f = *state;
	struct ph_err err = { 0 };

	spec(f, "{\"name\": \"ghost\", \"command\": [\"{build}/no-such-daemon\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_RUNTIME);
	assert_true(f->rt.exited_early);
	assert_int_equal(WEXITSTATUS(f->rt.exit_status), 127);
	assert_non_null(strstr(err.msg, "status 127"));
	assert_non_null(strstr(err.msg, "cannot execute '/nonexistent/build/no-such-daemon': "
					"no such file or directory"));
}

static void test_spawn_errors(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"{nope}\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "candidate runtime 'candidate': command[1]: "
					"unknown placeholder '{nope}'"));
	assert_int_equal(f->rt.pid, 0);
	ph_runtime_spec_release(&f->spec);

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\"]}");
	assert_int_equal(ph_runtime_start(&f->rt, &f->spec, &f->ph, "/nonexistent/dir/rt.log",
					  &err),
			 PH_E_IO);
	assert_non_null(strstr(err.msg, "cannot open log '/nonexistent/dir/rt.log'"));
	assert_int_equal(f->rt.pid, 0);
}

static void test_ignores_sigterm(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };
	double t0;
	pid_t pid;

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\", \"--ignore-sigterm\"],"
		" \"stop_timeout_ms\": 300}");
	if (ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err))
		fail_msg("start: %s", err.msg);
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
	struct fx *f = *state;
	struct ph_err err = { 0 };
	double t0;

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\", \"--ignore-sigterm\"],"
		" \"stop_timeout_ms\": 5000}");
	if (ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err))
		fail_msg("start: %s", err.msg);
	t0 = t_now_ms();
	assert_int_equal(ph_runtime_stop(&f->rt, 1, &err), 0);
	assert_true(t_now_ms() - t0 < 1000);
	assert_int_equal(WTERMSIG(f->rt.exit_status), SIGKILL);
}

/* Start fake_runtime --spawn-child with the spec's other keys (json text after the
 * command's arguments); the grandchild's pid, which it logs. */
static pid_t start_spawner(struct fx *f, const char *more)
{
	struct ph_err err = { 0 };
	char json[1024], *log;
	pid_t gc;

	assert_true((size_t)snprintf(json, sizeof(json),
				     "{\"command\": [\"" FAKE_RUNTIME
				     "\", \"--port\", \"{port}\", \"--spawn-child\"%s",
				     more) < sizeof(json));
	spec(f, json);
	if (ph_runtime_start(&f->rt, &f->spec, &f->ph, f->log, &err))
		fail_msg("start: %s", err.msg);
	log = read_log(f->log);
	gc = pid_after(log, "grandchild ");
	free(log);
	return gc;
}

static void test_grandchild_killed_with_group(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };
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
	struct fx *f = *state;
	struct ph_err err = { 0 };
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
	struct fx *f = *state;
	struct ph_runtime_spec s2;
	struct ph_runtime rt2;
	struct ph_placeholders ph2 = f->ph;
	struct ph_err err = { 0 };
	char log2[160];
	pid_t p1, p2;
	json_t *obj;

	memset(&rt2, 0, sizeof(rt2));
	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\", \"--ignore-sigterm\"]}");
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
	struct fx *f = *state;
	int fds[2], status;
	pid_t middle, rt_pid = 0;

	spec(f, "{\"command\": [\"" FAKE_RUNTIME "\", \"--port\", \"{port}\", \"--ignore-sigterm\"]}");
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

static void test_expand(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };
	char want[512], *s;

	(void)f;
	s = ph_expand("{workspace}|{home}|{port}|{llm_url}|{repo}|{shared}|{build}", &f->ph, &err);
	assert_non_null(s);
	snprintf(want, sizeof(want), "%s|%s|%d|http://127.0.0.1:9/llm|%s|/nonexistent/shared|"
		 "/nonexistent/build", f->ws, f->home, f->ph.port, f->dir);
	assert_string_equal(s, want);
	free(s);

	s = ph_expand("{{port} {{{port}} {\"a\": {}} { port } {}", &f->ph, &err);
	assert_non_null(s);
	snprintf(want, sizeof(want), "{port} {%d} {\"a\": {}} { port } {}", f->ph.port);
	assert_string_equal(s, want);
	free(s);

	s = ph_expand("", &f->ph, &err);
	assert_string_equal(s, "");
	free(s);

	assert_null(ph_expand("x {workspace} {wrkspace}", &f->ph, &err));
	assert_int_equal(err.code, PH_E_INVALID);
	assert_non_null(strstr(err.msg, "unknown placeholder '{wrkspace}'"));

	f->ph.llm_url = NULL;
	assert_null(ph_expand("{llm_url}/v1", &f->ph, &err));
	assert_non_null(strstr(err.msg, "placeholder '{llm_url}' has no value"));
	f->ph.port = 0;
	assert_null(ph_expand("{port}", &f->ph, &err));
	assert_non_null(strstr(err.msg, "'{port}'"));
}

static void expect_spec_error(const char *json, const char *message)
{
	struct ph_runtime_spec s;
	struct ph_err err = { 0 };
	json_error_t jerr;
	json_t *obj = json_loads(json, 0, &jerr);

	assert_non_null(obj);
	assert_int_equal(ph_runtime_spec_parse(&s, "candidate", obj, "parity.json", &err),
			 PH_E_INVALID);
	json_decref(obj);
	if (strcmp(err.msg, message))
		fail_msg("for %s\n got: %s\nwant: %s", json, err.msg, message);
	/* released on failure: releasing again is harmless */
	ph_runtime_spec_release(&s);
}

static void test_spec_parse(void **state)
{
	struct fx *f = *state;
	const char *cmd_msg =
		"parity.json: runtimes.candidate.command: expected a non-empty array of strings";

	expect_spec_error("{}", cmd_msg);
	expect_spec_error("{\"command\": []}", cmd_msg);
	expect_spec_error("{\"command\": \"refd --port 1\"}", cmd_msg);
	expect_spec_error("{\"command\": [\"refd\", 3]}", cmd_msg);
	expect_spec_error("{\"command\": [\"\"]}", cmd_msg);
	expect_spec_error("{\"command\": [\"x\"], \"env\": [\"A=1\"]}",
			  "parity.json: runtimes.candidate.env: expected an object of strings");
	expect_spec_error("{\"command\": [\"x\"], \"env\": {\"A\": 1}}",
			  "parity.json: runtimes.candidate.env.A: expected a string");
	expect_spec_error("{\"command\": [\"x\"], \"cwd\": 7}",
			  "parity.json: runtimes.candidate.cwd: expected a string");
	expect_spec_error("{\"command\": [\"x\"], \"health\": \"health\"}",
			  "parity.json: runtimes.candidate.health: expected a path starting with '/'");
	expect_spec_error("{\"command\": [\"x\"], \"start_timeout_ms\": -5}",
			  "parity.json: runtimes.candidate.start_timeout_ms: expected a positive "
			  "whole number of milliseconds (at most a day)");
	expect_spec_error("{\"command\": [\"x\"], \"stop_timeout_ms\": \"5s\"}",
			  "parity.json: runtimes.candidate.stop_timeout_ms: expected a positive "
			  "whole number of milliseconds (at most a day)");
	expect_spec_error("{\"command\": [\"x\"], \"comand\": [\"x\"]}",
			  "parity.json: runtimes.candidate: unknown key 'comand' (expected name, "
			  "command, cwd, env, health, start_timeout_ms, stop_timeout_ms, version, "
			  "mcp_stdio, ready, health_status, port)");
	/* a fixed port: a whole number from 1 to 65535 */
	expect_spec_error("{\"command\": [\"x\"], \"port\": 0}",
			  "parity.json: runtimes.candidate.port: expected a TCP port number from 1 "
			  "to 65535");
	expect_spec_error("{\"command\": [\"x\"], \"port\": 65536}",
			  "parity.json: runtimes.candidate.port: expected a TCP port number from 1 "
			  "to 65535");
	expect_spec_error("{\"command\": [\"x\"], \"port\": -3850}",
			  "parity.json: runtimes.candidate.port: expected a TCP port number from 1 "
			  "to 65535");
	expect_spec_error("{\"command\": [\"x\"], \"port\": \"3850\"}",
			  "parity.json: runtimes.candidate.port: expected a TCP port number from 1 "
			  "to 65535");
	expect_spec_error("{\"command\": [\"x\"], \"port\": 3850.0}",
			  "parity.json: runtimes.candidate.port: expected a TCP port number from 1 "
			  "to 65535");
	expect_spec_error("{\"command\": [\"x\"], \"mcp_stdio\": [\"x\"]}",
			  "parity.json: runtimes.candidate.mcp_stdio: expected an object "
			  "{command, env?, cwd?}");
	expect_spec_error("{\"command\": [\"x\"], \"mcp_stdio\": {}}",
			  "parity.json: runtimes.candidate.mcp_stdio.command: expected a "
			  "non-empty array of strings");
	expect_spec_error("{\"command\": [\"x\"], \"mcp_stdio\": {\"command\": [\"y\"], "
			  "\"args\": []}}",
			  "parity.json: runtimes.candidate.mcp_stdio: unknown key 'args' "
			  "(expected command, env, cwd)");
	expect_spec_error("{\"command\": [\"x\"], \"mcp_stdio\": {\"command\": [\"y\"], "
			  "\"env\": {\"A\": 1}}}",
			  "parity.json: runtimes.candidate.mcp_stdio.env.A: expected a string");
	expect_spec_error("[1]", "parity.json: runtimes.candidate: expected an object");

	/* Defaults and a full entry. */
	spec(f, "{\"command\": [\"bun\", \"src/daemon.ts\"]}");
	assert_string_equal(f->spec.role, "candidate");
	assert_string_equal(f->spec.name, "candidate");
	assert_int_equal(f->spec.argc, 2);
	assert_string_equal(f->spec.argv[1], "src/daemon.ts");
	assert_null(f->spec.argv[2]);
	assert_null(f->spec.cwd);
	assert_int_equal(f->spec.n_env, 0);
	assert_non_null(f->spec.env);
	assert_null(f->spec.env[0]);
	assert_string_equal(f->spec.health, "/health");
	assert_int_equal(f->spec.start_timeout_ms, 15000);
	assert_int_equal(f->spec.stop_timeout_ms, 5000);
	assert_null(f->spec.version);
	assert_int_equal(f->spec.port, 0); /* no fixed port: the session picks a free one */
	ph_runtime_spec_release(&f->spec);

	spec(f, "{\"command\": [\"x\"], \"port\": 3850}");
	assert_int_equal(f->spec.port, 3850);
	assert_int_equal(f->spec.port_dropped, 0);
	ph_runtime_spec_release(&f->spec);
	spec(f, "{\"command\": [\"x\"], \"port\": 1}");
	assert_int_equal(f->spec.port, 1);
	ph_runtime_spec_release(&f->spec);
	spec(f, "{\"command\": [\"x\"], \"port\": 65535}");
	assert_int_equal(f->spec.port, 65535);
	ph_runtime_spec_release(&f->spec);

	spec(f, "{\"name\": \"rust\", \"command\": [\"x\"], \"cwd\": \"{repo}\", \"health\": "
		"\"/api/health\", \"env\": {\"SIGNET_PORT\": \"{port}\", \"HOME\": \"{home}\"},"
		" \"start_timeout_ms\": 100, \"stop_timeout_ms\": 200, \"version\": \"0.82.5\"}");
	assert_string_equal(f->spec.name, "rust");
	assert_string_equal(f->spec.cwd, "{repo}");
	assert_string_equal(f->spec.health, "/api/health");
	assert_int_equal(f->spec.n_env, 2);
	assert_string_equal(f->spec.env[0], "SIGNET_PORT={port}");
	assert_string_equal(f->spec.env[1], "HOME={home}");
	assert_int_equal(f->spec.start_timeout_ms, 100);
	assert_int_equal(f->spec.stop_timeout_ms, 200);
	assert_string_equal(f->spec.version, "0.82.5");
	assert_null(companion(&f->spec));
	ph_runtime_spec_release(&f->spec);

	/* The MCP stdio command: the runtime's env beneath its own, cwd and timeouts inherited. */
	spec(f, "{\"name\": \"ts\", \"command\": [\"x\"], \"cwd\": \"{workspace}\", "
		"\"stop_timeout_ms\": 300, \"env\": {\"SIGNET_PORT\": \"{port}\", \"HOME\": "
		"\"{home}\"}, \"mcp_stdio\": {\"command\": [\"bun\", \"src/mcp-stdio.ts\"], "
		"\"env\": {\"HOME\": \"/elsewhere\", \"SIGNET_DAEMON_URL\": "
		"\"http://127.0.0.1:{port}\"}}}");
	assert_non_null(companion(&f->spec));
	assert_string_equal(companion(&f->spec)->name, "ts-mcp-stdio");
	assert_string_equal(companion(&f->spec)->role, "candidate");
	assert_int_equal(companion(&f->spec)->argc, 2);
	assert_string_equal(companion(&f->spec)->argv[1], "src/mcp-stdio.ts");
	assert_string_equal(companion(&f->spec)->cwd, "{workspace}");
	assert_int_equal(companion(&f->spec)->stop_timeout_ms, 300);
	assert_int_equal(companion(&f->spec)->n_env, 3);
	assert_string_equal(companion(&f->spec)->env[0], "SIGNET_PORT={port}");
	assert_string_equal(companion(&f->spec)->env[1], "HOME=/elsewhere");
	assert_string_equal(companion(&f->spec)->env[2], "SIGNET_DAEMON_URL=http://127.0.0.1:{port}");
	assert_null(companion(&f->spec)->env[3]);
}

static void test_free_port_and_log_tail(void **state)
{
	struct fx *f = *state;
	struct ph_err err = { 0 };
	int p = ph_free_port();
	char *t;

	assert_true(p > 0 && p < 65536);
	assert_int_equal(ph_file_write_atomic(f->log, "line one\nline two\n", 18, 0644, &err), 0);
	t = ph_log_tail(f->log, 9);
	assert_string_equal(t, "line two\n");
	free(t);
	t = ph_log_tail(f->log, 4096);
	assert_string_equal(t, "line one\nline two\n");
	free(t);
	assert_null(ph_log_tail("/nonexistent/log", 10));
}

/* A fixed port is usable when nothing listens there, and named when something does. */
static void test_port_available(void **state)
{
	struct ph_err err = { 0 };
	struct sockaddr_in a;
	int fd, port = ph_free_port(), one = 1;
	char want[64];

	(void)state;
	assert_true(port > 0);
	assert_int_equal(ph_port_available(port, &err), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ph_port_available(port, &err), PH_E_IO);
	snprintf(want, sizeof(want), "port %d is taken", port);
	assert_non_null(strstr(err.msg, want));
	close(fd);
	/* closed: free again, also right after (SO_REUSEADDR, as servers bind) */
	assert_int_equal(ph_port_available(port, &err), 0);
	assert_int_equal(ph_port_available(0, &err), PH_E_INVALID);
	assert_int_equal(ph_port_available(65536, &err), PH_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_healthy_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_healthy_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unhealthy_status_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exits_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignores_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_stop_is_immediate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grandchild_killed_with_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_killed_after_leader_exited, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kill_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dies_with_its_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_port_and_log_tail, setup, teardown),
		cmocka_unit_test(test_port_available),
	};
	int rc;

	if (ph_http_global_init())
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ph_http_global_cleanup();
	return rc;
}
