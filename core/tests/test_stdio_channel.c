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

#include "support.h"
#include "support_runtime.h"

/*
 * Start `sh -c script` as the companion, stop timeout 300 ms; {port} is the port of the
 * runtime it talks to.
 */
static void start(struct t_rt *f, const char *script)
{
	struct ph_err err = {0};
	json_t *obj = json_pack("{s:[s,s,s], s:i, s:{s:s}}", "command", "/bin/sh", "-c", script,
				"stop_timeout_ms", 300, "env", "PORT_SEEN", "{port}");

	assert_non_null(obj);
	if (ph_runtime_spec_parse(&f->spec, "reference", obj, "test", &err))
		fail_msg("spec: %s", err.msg);
	json_decref(obj);
	f->ph.port = 3850;
	if (ph_stdio_open(&f->io, &f->spec, &f->ph, f->log, &err))
		fail_msg("open: %s", err.msg);
}

static void send_line(struct t_rt *f, const char *line)
{
	struct ph_err err = {0};

	if (ph_stdio_send(f->io, line, strlen(line), 2000, &err))
		fail_msg("send: %s", err.msg);
}

static void expect_line(struct t_rt *f, const char *want)
{
	struct ph_err err = {0};
	const char *line;
	size_t len;

	if (ph_stdio_recv(f->io, 2000, &line, &len, &err))
		fail_msg("recv: %s", err.msg);
	assert_string_equal(line, want);
	assert_int_equal(len, strlen(want));
}

/*
 * Wait up to ms for a line: the call must return rc (its message into err). The line (NULL
 * when none), its length into *len when len is not NULL.
 */
static const char *recv_rc(struct t_rt *f, long ms, int rc, struct ph_err *err, size_t *len)
{
	const char *line;
	size_t n;

	assert_int_equal(ph_stdio_recv(f->io, ms, &line, &n, err), rc);
	if (len)
		*len = n;
	return line;
}

static void test_echo_in_order(void **state)
{
	struct t_rt *f = *state;

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
	struct t_rt *f = *state;
	struct ph_err err = {0};

	start(f, "cat");
	assert_int_equal(ph_stdio_send(f->io, "a\nb", 3, 1000, &err), PH_E_INVALID);
}

static void test_big_line_whole(void **state)
{
	struct t_rt *f = *state;
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
	line = recv_rc(f, 5000, 0, &err, &len);
	assert_int_equal(len, n);
	assert_memory_equal(line, big, n);
	free(big);
}

static void test_silent_child_times_out(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	const char *line;
	double t0;

	start(f, "exec sleep 30");
	send_line(f, "hello");
	t0 = t_now_ms();
	line = recv_rc(f, 150, PH_E_TIMEOUT, &err, NULL);
	assert_true(t_now_ms() - t0 < 2000);
	assert_non_null(strstr(err.msg, "did not answer within 150 ms"));
	assert_null(line);
}

static void test_exit_reported(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};

	start(f, "read -r l; echo 'bridge: cannot reach the daemon' >&2; exit 3");
	send_line(f, "hello");
	recv_rc(f, 3000, PH_E_RUNTIME, &err, NULL);
	assert_non_null(strstr(err.msg, "exited with status 3"));
	assert_non_null(strstr(err.msg, "cannot reach the daemon")); /* its log is quoted */
	assert_false(ph_stdio_alive(f->io));
}

static void test_unterminated_and_crlf(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};

	start(f, "printf 'one\\r\\ntwo'");
	expect_line(f, "one");
	expect_line(f, "two");
	recv_rc(f, 1000, PH_E_RUNTIME, &err, NULL);
}

static void test_close_stops_a_stubborn_child(void **state)
{
	struct t_rt *f = *state;
	pid_t pid;
	double t0;
	struct ph_err err = {0};

	/* ignores the end of its input and SIGTERM: close must still end it */
	start(f, "trap '' TERM; echo $$; while :; do sleep 0.05; done");
	pid = (pid_t)atol(recv_rc(f, 2000, 0, &err, NULL));
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
	struct t_rt *f = *state;
	struct ph_err err = {0};
	json_t *obj = json_pack("{s:[s]}", "command", "/nonexistent/signet-mcp");

	assert_int_equal(ph_runtime_spec_parse(&f->spec, "candidate", obj, "test", &err), 0);
	json_decref(obj);
	assert_int_equal(ph_stdio_open(&f->io, &f->spec, &f->ph, f->log, &err), 0);
	recv_rc(f, 3000, PH_E_RUNTIME, &err, NULL);
	assert_non_null(strstr(err.msg, "could not be executed"));
	assert_non_null(strstr(err.msg, "/nonexistent/signet-mcp"));
}

/* A write to a child that exited fails with EPIPE instead of killing the test. */
static int ignore_sigpipe(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

T_MAIN(ignore_sigpipe, NULL, t_rt_test(test_echo_in_order),
       t_rt_test(test_newline_in_message_refused), t_rt_test(test_big_line_whole),
       t_rt_test(test_silent_child_times_out), t_rt_test(test_exit_reported),
       t_rt_test(test_unterminated_and_crlf), t_rt_test(test_close_stops_a_stubborn_child),
       t_rt_test(test_exec_failure))
