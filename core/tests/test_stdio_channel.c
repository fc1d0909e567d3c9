/*
 * Tests of the stdio line channel (stdio_channel.c) against real processes written as
 * small shell scripts: an echo server, one that never answers, one that exits, one that
 * writes an unterminated line or CRLF, one that ignores both the end of its input and
 * SIGTERM. What a plugin relies on: lines come back whole and in order, every wait is
 * bounded, a dead child is reported with its exit, and close leaves no process behind.
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
#include <time.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "runtime/runtime.h"
#include "runtime/stdio_channel.h"
#include "run/workspace.h"

#include "support.h"

struct fx {
	char dir[64];
	char log[128];
	struct ph_runtime_spec spec;
	struct ph_placeholders ph;
	struct ph_stdio *io;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ph-test-stdio-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/stdio.log", f->dir);
	f->ph.port = 3850; /* {port} of the runtime the companion talks to */
	f->ph.repo = f->dir;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ph_stdio_close(f->io);
	ph_runtime_spec_release(&f->spec);
	t_rmtree(f->dir);
	free(f);
	return 0;
}

/* Start `sh -c script` as the companion, stop timeout 300 ms. */
static void start(struct fx *f, const char *script)
{
	struct ph_err err = {0};
	json_t *obj = json_pack("{s:[s,s,s], s:i, s:{s:s}}", "command", "/bin/sh", "-c", script,
				"stop_timeout_ms", 300, "env", "PORT_SEEN", "{port}");

	assert_non_null(obj);
	if (ph_runtime_spec_parse(&f->spec, "reference", obj, "test", &err))
		fail_msg("spec: %s", err.msg);
	json_decref(obj);
	if (ph_stdio_open(&f->io, &f->spec, &f->ph, f->log, &err))
		fail_msg("open: %s", err.msg);
}

static void send_line(struct fx *f, const char *line)
{
	struct ph_err err = {0};

	if (ph_stdio_send(f->io, line, strlen(line), 2000, &err))
		fail_msg("send: %s", err.msg);
}

static void expect_line(struct fx *f, const char *want)
{
	struct ph_err err = {0};
	const char *line;
	size_t len;

	if (ph_stdio_recv(f->io, 2000, &line, &len, &err))
		fail_msg("recv: %s", err.msg);
	assert_string_equal(line, want);
	assert_int_equal(len, strlen(want));
}

static void test_echo_in_order(void **state)
{
	struct fx *f = *state;

	/* each line comes back, and {port} reached its env */
	start(f, "echo \"port $PORT_SEEN\"; while IFS= read -r l; do printf '%s\\n' \"$l\"; done");
	expect_line(f, "port 3850");
	send_line(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	send_line(f, "second");
	send_line(f, "");
	expect_line(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	expect_line(f, "second");
	expect_line(f, "");
	assert_true(ph_stdio_alive(f->io));
}

static void test_newline_in_message_refused(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};

	start(f, "cat");
	assert_int_equal(ph_stdio_send(f->io, "a\nb", 3, 1000, &err), PH_E_INVALID);
}

static void test_big_line_whole(void **state)
{
	struct fx *f = *state;
	size_t n = 300000;
	char *big = malloc(n + 1);
	struct ph_err err = {0};
	const char *line;
	size_t len;

	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	/* more than a pipe holds: the write waits while the child reads, then it answers */
	start(f, "l=$(head -n 1); printf '%s\\n' \"$l\"");
	assert_int_equal(ph_stdio_send(f->io, big, n, 5000, &err), 0);
	assert_int_equal(ph_stdio_recv(f->io, 5000, &line, &len, &err), 0);
	assert_int_equal(len, n);
	assert_memory_equal(line, big, n);
	free(big);
}

static void test_silent_child_times_out(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};
	const char *line;
	size_t len;
	double t0;

	start(f, "exec sleep 30");
	send_line(f, "hello");
	t0 = t_now_ms();
	assert_int_equal(ph_stdio_recv(f->io, 150, &line, &len, &err), PH_E_TIMEOUT);
	assert_true(t_now_ms() - t0 < 2000);
	assert_non_null(strstr(err.msg, "did not answer within 150 ms"));
	assert_null(line);
}

static void test_exit_reported(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};
	const char *line;
	size_t len;

	start(f, "read -r l; echo 'bridge: cannot reach the daemon' >&2; exit 3");
	send_line(f, "hello");
	assert_int_equal(ph_stdio_recv(f->io, 3000, &line, &len, &err), PH_E_RUNTIME);
	assert_non_null(strstr(err.msg, "exited with status 3"));
	assert_non_null(strstr(err.msg, "cannot reach the daemon")); /* its log is quoted */
	assert_false(ph_stdio_alive(f->io));
}

static void test_unterminated_and_crlf(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};
	const char *line;
	size_t len;

	start(f, "printf 'one\\r\\ntwo'");
	expect_line(f, "one");
	expect_line(f, "two");
	assert_int_equal(ph_stdio_recv(f->io, 1000, &line, &len, &err), PH_E_RUNTIME);
}

static void test_close_stops_a_stubborn_child(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};
	const char *line;
	size_t len;
	pid_t pid;
	double t0;

	/* ignores the end of its input and SIGTERM: close must still end it */
	start(f, "trap '' TERM; echo $$; while :; do sleep 0.05; done");
	assert_int_equal(ph_stdio_recv(f->io, 2000, &line, &len, &err), 0);
	pid = (pid_t)atol(line);
	assert_true(pid > 0);
	t0 = t_now_ms();
	ph_stdio_close(f->io);
	f->io = NULL;
	assert_true(t_now_ms() - t0 < 5000);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_exec_failure(void **state)
{
	struct fx *f = *state;
	struct ph_err err = {0};
	json_t *obj = json_pack("{s:[s]}", "command", "/nonexistent/signet-mcp");
	const char *line;
	size_t len;

	assert_int_equal(ph_runtime_spec_parse(&f->spec, "candidate", obj, "test", &err), 0);
	json_decref(obj);
	assert_int_equal(ph_stdio_open(&f->io, &f->spec, &f->ph, f->log, &err), 0);
	assert_int_equal(ph_stdio_recv(f->io, 3000, &line, &len, &err), PH_E_RUNTIME);
	assert_non_null(strstr(err.msg, "could not be executed"));
	assert_non_null(strstr(err.msg, "/nonexistent/signet-mcp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_in_message_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_line_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_child_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unterminated_and_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_stops_a_stubborn_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
