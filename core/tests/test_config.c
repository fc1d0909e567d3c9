/*
 * Unit tests of config loading: defaults, path resolution against the repo root (the route
 * list's after its ${NAME}s are expanded), and messages that name the file and the key
 * for every kind of bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "run/config.h"

#include "support.h"

/* The list's size under the name this test has always used (domain/list.h). */
#define ph_n_domains (ph_domains()->n)

static char path[] = "/tmp/parity-test-config-XXXXXX";

static void write_config(const char *text)
{
	t_write(path, text);
}

#define RUNTIMES                                                                           \
	"\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": [\"x\"]},"           \
	"\"candidate\": {\"name\": \"b\", \"command\": [\"y\", \"{port}\"]}}"

static void defaults(void **state)
{
	struct ph_config cfg;
	struct ph_err err;
	char want[4096];

	(void)state;
	write_config("{" RUNTIMES "}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_string_equal(cfg.runtimes[0].name, "a");
	assert_string_equal(cfg.runtimes[1].argv[1], "{port}");
	assert_int_equal(cfg.n_domains, 9);
	assert_string_equal(cfg.domains[0], "schema");
	assert_string_equal(cfg.domains[8], "secrets");
	assert_true(cfg.timing.ratio == 2.0 && cfg.timing.delta_ms == 100.0 &&
		    cfg.timing.floor_ms == 5.0);
	snprintf(want, sizeof(want), "%s/fixtures/workspaces/default", ph_repo_root());
	assert_string_equal(cfg.fixture, want);
	snprintf(want, sizeof(want), "%s/reports", ph_repo_root());
	assert_string_equal(cfg.out, want);
	assert_null(cfg.rules);
	ph_config_release(&cfg);
}

static void explicit_values(void **state)
{
	struct ph_config cfg;
	struct ph_err err;

	(void)state;
	write_config("{" RUNTIMES ", \"fixture\": \"/abs/ws\", \"rules\": \"r.json\","
		     "\"domains\": [\"read\"], \"timing\": {\"ratio\": 3, \"floor_ms\": 1.5},"
		     "\"llm\": {\"dir\": \"canned\"}, \"out\": \"/tmp/o\"}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_string_equal(cfg.fixture, "/abs/ws");
	assert_non_null(strstr(cfg.rules, "/r.json"));
	assert_non_null(strstr(cfg.llm_dir, "/canned"));
	assert_int_equal(cfg.n_domains, 1);
	assert_string_equal(cfg.domains[0], "read");
	assert_true(cfg.timing.ratio == 3.0 && cfg.timing.delta_ms == 100.0 &&
		    cfg.timing.floor_ms == 1.5);
	assert_string_equal(cfg.out, "/tmp/o");
	ph_config_release(&cfg);
}

/* Each bad config must fail with a message naming the file and the given fragment. */
static void expect_bad(const char *text, const char *fragment)
{
	struct ph_config cfg;
	struct ph_err err;

	write_config(text);
	ph_err_clear(&err);
	assert_true(ph_config_load(&cfg, path, &err) < 0);
	if (!strstr(err.msg, path) || !strstr(err.msg, fragment))
		fail_msg("message '%s' does not name '%s' and '%s'", err.msg, path, fragment);
	ph_config_release(&cfg);
}

static void bad_input(void **state)
{
	(void)state;
	expect_bad("{\"runtimes\": ", ":1:");
	expect_bad("[]", "expected a JSON object");
	expect_bad("{}", "runtimes");
	expect_bad("{\"runtimes\": {\"reference\": {\"command\": [\"x\"]}}}", "runtimes.candidate");
	expect_bad("{" RUNTIMES ", \"domains\": [\"reads\"]}", "unknown domain 'reads'");
	expect_bad("{" RUNTIMES ", \"domains\": [\"read\", \"read\"]}", "listed twice");
	expect_bad("{" RUNTIMES ", \"domains\": \"read\"}", "domains");
	expect_bad("{" RUNTIMES ", \"timing\": {\"ratio\": \"2\"}}", "timing.ratio");
	expect_bad("{" RUNTIMES ", \"timing\": {\"delta_ms\": -1}}", "timing.delta_ms");
	expect_bad("{" RUNTIMES ", \"fixture\": 3}", "fixture");
	expect_bad("{" RUNTIMES ", \"llm\": {\"dir\": 1}}", "llm");
	expect_bad("{\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": []},"
		   "\"candidate\": {\"name\": \"b\", \"command\": [\"y\"]}}}",
		   "runtimes.reference.command");
	expect_bad("{\"a\": 1, \"a\": 2}", "duplicate");
}

/* After a --both: neither side keeps a fixed port, and each dropped this one (0: none). */
static void expect_ports(const struct ph_config *cfg, int dropped)
{
	assert_int_equal(cfg->runtimes[0].port, 0);
	assert_int_equal(cfg->runtimes[1].port, 0);
	assert_int_equal(cfg->runtimes[0].port_dropped, dropped);
	assert_int_equal(cfg->runtimes[1].port_dropped, dropped);
}

/* A fixed "port" is kept per side, but never for two instances of one build (--both). */
static void fixed_port(void **state)
{
	struct ph_config cfg;
	struct ph_err err;

	(void)state;
	write_config("{\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": [\"x\"], "
		     "\"port\": 3850}, \"candidate\": {\"name\": \"b\", \"command\": [\"y\"]}}}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_int_equal(cfg.runtimes[0].port, 3850);
	assert_int_equal(cfg.runtimes[1].port, 0);
	/* --both reference: two processes cannot share 3850, so neither keeps it */
	assert_int_equal(ph_config_same_runtime(&cfg, "reference", &err), 0);
	assert_string_equal(cfg.runtimes[1].name, "a");
	assert_string_equal(cfg.runtimes[1].role, "candidate");
	expect_ports(&cfg, 3850);
	ph_config_release(&cfg);

	/* --both candidate (no fixed port of its own): the reference's is gone with it */
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_int_equal(ph_config_same_runtime(&cfg, "candidate", &err), 0);
	assert_string_equal(cfg.runtimes[0].name, "b");
	expect_ports(&cfg, 0);
	ph_config_release(&cfg);

	/* --both candidate where the candidate fixes one */
	write_config("{\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": [\"x\"]}, "
		     "\"candidate\": {\"name\": \"b\", \"command\": [\"y\"], \"port\": 4000}}}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_int_equal(ph_config_same_runtime(&cfg, "candidate", &err), 0);
	expect_ports(&cfg, 4000);
	ph_config_release(&cfg);

	expect_bad("{\"runtimes\": {\"reference\": {\"command\": [\"x\"], \"port\": 70000}, "
		   "\"candidate\": {\"command\": [\"y\"]}}}",
		   "runtimes.reference.port: expected a TCP port number from 1 to 65535");
	expect_bad("{\"runtimes\": {\"reference\": {\"command\": [\"x\"]}, "
		   "\"candidate\": {\"command\": [\"y\"], \"port\": \"4000\"}}}",
		   "runtimes.candidate.port: expected a TCP port number from 1 to 65535");
	expect_bad("{\"runtimes\": {\"reference\": {\"command\": [\"x\"], \"port\": 4000}, "
		   "\"candidate\": {\"command\": [\"y\"], \"port\": 4000}}}",
		   "runtimes.candidate.port: 4000 is the reference's port too");
}

/* "route_list": kept as written, ${NAME}s expanded, resolved against the repo root. */
static void route_list(void **state)
{
	struct ph_config cfg;
	struct ph_err err;
	char want[4096];

	(void)state;
	write_config("{" RUNTIMES "}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_null(cfg.route_list);
	assert_null(cfg.route_list_source);
	ph_config_release(&cfg);

	setenv("PARITY_TEST_CHECKOUT", "/opt/sig", 1);
	setenv("PARITY_TEST_REL", "lists", 1);
	write_config("{" RUNTIMES ", \"route_list\": "
		     "\"${PARITY_TEST_CHECKOUT}/contracts/route-parity.json\"}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	assert_string_equal(cfg.route_list, "/opt/sig/contracts/route-parity.json");
	assert_string_equal(cfg.route_list_source,
			    "${PARITY_TEST_CHECKOUT}/contracts/route-parity.json");
	ph_config_release(&cfg);

	/* relative once expanded: the repo root's, as "rules" */
	write_config("{" RUNTIMES ", \"route_list\": \"${PARITY_TEST_REL}/r.json$HOME\"}");
	assert_int_equal(ph_config_load(&cfg, path, &err), 0);
	snprintf(want, sizeof(want), "%s/lists/r.json$HOME", ph_repo_root());
	assert_string_equal(cfg.route_list, want);
	ph_config_release(&cfg);

	unsetenv("PARITY_TEST_UNSET");
	expect_bad("{" RUNTIMES ", \"route_list\": \"${PARITY_TEST_UNSET}/r.json\"}",
		   "route_list: ${PARITY_TEST_UNSET} is not set");
	expect_bad("{" RUNTIMES ", \"route_list\": \"${PARITY_TEST_REL/r.json\"}",
		   "route_list: '${PARITY_TEST_REL/r.json': expected ${NAME}");
	expect_bad("{" RUNTIMES ", \"route_list\": \"${}/r.json\"}", "route_list");
	expect_bad("{" RUNTIMES ", \"route_list\": 7}", "route_list: expected the path");
	expect_bad("{" RUNTIMES ", \"route_list\": \"\"}", "route_list");
	setenv("PARITY_TEST_EMPTY", "", 1);
	expect_bad("{" RUNTIMES ", \"route_list\": \"${PARITY_TEST_EMPTY}\"}",
		   "route_list: '${PARITY_TEST_EMPTY}' is empty once expanded");
}

static void domains_known(void **state)
{
	(void)state;
	assert_true(ph_domain_known("gitsync"));
	assert_false(ph_domain_known("git"));
	assert_int_equal(ph_n_domains, 9);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

T_MAIN(setup, teardown, cmocka_unit_test(defaults), cmocka_unit_test(explicit_values),
       cmocka_unit_test(bad_input), cmocka_unit_test(fixed_port), cmocka_unit_test(route_list),
       cmocka_unit_test(domains_known))
