/*
 * Tests of a runtime's config entry and what its start needs before any process runs
 * (core/src/runtime): the spec parser with its defaults, its MCP stdio companion and the
 * message of every malformed key, placeholder expansion, ph_free_port, ph_port_available
 * (a fixed port that something listens on is named) and ph_log_tail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "runtime/runtime.h"

#include "support.h"
#include "support_runtime.h"

/* The stdio companion the shipped configs name, as the MCP plugin asks for it. */
static const struct ph_runtime_spec *companion(const struct ph_runtime_spec *spec)
{
	return ph_runtime_spec_companion(spec, "mcp_stdio");
}

static void test_expand(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
	char want[512], *s;

	(void)f;
	s = ph_expand("{workspace}|{home}|{port}|{llm_url}|{repo}|{shared}|{build}", &f->ph, &err);
	assert_non_null(s);
	snprintf(want, sizeof(want),
		 "%s|%s|%d|http://127.0.0.1:9/llm|%s|/nonexistent/shared|"
		 "/nonexistent/build",
		 f->ws, f->home, f->ph.port, f->dir);
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
	struct ph_err err = {0};
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
	struct t_rt *f = *state;
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
	expect_spec_error(
	    "{\"command\": [\"x\"], \"health\": \"health\"}",
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
	t_rt_spec(f, "{\"command\": [\"bun\", \"src/daemon.ts\"]}");
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

	t_rt_spec(f, "{\"command\": [\"x\"], \"port\": 3850}");
	assert_int_equal(f->spec.port, 3850);
	assert_int_equal(f->spec.port_dropped, 0);
	ph_runtime_spec_release(&f->spec);
	t_rt_spec(f, "{\"command\": [\"x\"], \"port\": 1}");
	assert_int_equal(f->spec.port, 1);
	ph_runtime_spec_release(&f->spec);
	t_rt_spec(f, "{\"command\": [\"x\"], \"port\": 65535}");
	assert_int_equal(f->spec.port, 65535);
	ph_runtime_spec_release(&f->spec);

	t_rt_spec(f,
		  "{\"name\": \"rust\", \"command\": [\"x\"], \"cwd\": \"{repo}\", \"health\": "
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
	t_rt_spec(f, "{\"name\": \"ts\", \"command\": [\"x\"], \"cwd\": \"{workspace}\", "
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
	assert_string_equal(companion(&f->spec)->env[2],
			    "SIGNET_DAEMON_URL=http://127.0.0.1:{port}");
	assert_null(companion(&f->spec)->env[3]);
}

static void test_free_port_and_log_tail(void **state)
{
	struct t_rt *f = *state;
	struct ph_err err = {0};
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
	struct ph_err err = {0};
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

T_MAIN(NULL, NULL, t_rt_test(test_expand), t_rt_test(test_spec_parse),
       t_rt_test(test_free_port_and_log_tail), cmocka_unit_test(test_port_available))
