/*
 * `parity shadow`: the live shadow proxy (proxy/proxy.h). Reads its settings from the
 * options and from the "shadow" object of a --config file (options win), loads the rules
 * and the endpoint -> domain map, listens until SIGTERM or SIGINT, then drains the queue
 * and writes the stop event. Exit 0 after a clean stop, 2 for bad usage or input, 3 when
 * it cannot listen, open its log or reach the primary at start.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cli/cli.h"
#include "compare/rules.h"
#include "compare/timing.h"
#include "domain/endpoint_map.h"
#include "parity/jsonio.h"
#include "proxy/proxy.h"

static const char usage_text[] =
    "usage: parity shadow --listen PORT --primary URL --shadow URL --log FILE [options]\n"
    "       parity shadow --config F [options]\n"
    "\n"
    "Answer every client from the primary alone, unchanged and without waiting for the\n"
    "shadow; replay each request to the shadow in the background, compare the two answers\n"
    "with the engine and rules of 'parity compare' (timing by the fixed rule), and append\n"
    "one parity-shadow/1 JSON line per divergent exchange to the log (docs/shadow.md).\n"
    "Prints 'listening on http://ADDR:PORT' to stderr; stops on SIGTERM or SIGINT.\n"
    "\n"
    "  --listen PORT            port to listen on (0: a free one)\n"
    "  --bind ADDR              address to listen on (default 127.0.0.1); a non-loopback\n"
    "                           address needs --allow-remote\n"
    "  --allow-remote           allow --bind to a non-loopback address\n"
    "  --primary URL            the runtime that answers clients (http://host:port)\n"
    "  --shadow URL             the runtime requests are replayed to\n"
    "  --rules F                rules file (default: the config's \"rules\", else the\n"
    "                           built-in rules of 'parity compare')\n"
    "  --log FILE               the divergence log (appended; created 0600)\n"
    "  --log-max-bytes N        rotate the log to FILE.1 past N bytes (default 0: never)\n"
    "  --queue N                shadow work held at most (default 1024); beyond it\n"
    "                           exchanges are dropped and counted, never waited for\n"
    "  --workers N              shadow workers (default 2; 1 with --shadow-writes)\n"
    "  --max-body BYTES         bodies larger are not compared: an error entry\n"
    "                           \"too-large\" (default 8388608)\n"
    "  --primary-timeout-ms MS  (default 30000; then the client gets 502)\n"
    "  --shadow-timeout-ms MS   (default 5000; then an error entry \"timeout\")\n"
    "  --drain-ms MS            at stop, how long the queue may drain (default 5000)\n"
    "  --shadow-writes          the shadow has its own data directory: replay writes\n"
    "                           too (without it only GET, HEAD, OPTIONS and the read-only\n"
    "                           POSTs /api/memory/recall and /api/memory/search are)\n"
    "  --state-db-primary F     with --state-db-shadow: after a replayed write whose\n"
    "  --state-db-shadow F      answers carry an \"id\", diff that memory's rows of both\n"
    "                           databases (opened read-only) as kind \"state\"\n"
    "  --same PRIMARY=SHADOW    a value the instances differ by, by design (a workspace\n"
    "                           folder, a pid; 3 bytes or more): both answers say one\n"
    "                           name for it before the comparison (repeatable; the two\n"
    "                           ports of --primary and --shadow are paired always)\n"
    "  --config F               a JSON file whose \"shadow\" object holds the same settings\n"
    "                           (listen, bind, primary, shadow, rules, log, queue, ...;\n"
    "                           '-' in a name becomes '_'), and whose \"timing\" object\n"
    "                           sets the timing rule as for 'parity run'\n"
    "\n"
    "exit: 0 stopped cleanly, 2 bad usage or input, 3 cannot listen, log or reach the\n"
    "primary at start\n";

enum kind { K_STR, K_PORT, K_SIZE, K_MS, K_FLAG };

#define MAX_SAME 32 /* --same pairs */

struct setting {
	const char *name; /* option name; the config key has '_' for '-' */
	enum kind kind;
	const char *value; /* as given */
	char buf[32];	   /* a config number or flag written as text */
};

enum {
	S_LISTEN, S_BIND, S_ALLOW_REMOTE, S_PRIMARY, S_SHADOW, S_RULES, S_LOG, S_LOG_MAX,
	S_QUEUE, S_WORKERS, S_MAX_BODY, S_PTIMEOUT, S_STIMEOUT, S_DRAIN, S_WRITES, S_DB_P,
	S_DB_S, S_COUNT
};

static void settings_init(struct setting *s)
{
	static const struct { const char *name; enum kind kind; } t[S_COUNT] = {
		{ "listen", K_PORT }, { "bind", K_STR }, { "allow-remote", K_FLAG },
		{ "primary", K_STR }, { "shadow", K_STR }, { "rules", K_STR }, { "log", K_STR },
		{ "log-max-bytes", K_SIZE }, { "queue", K_SIZE }, { "workers", K_SIZE },
		{ "max-body", K_SIZE }, { "primary-timeout-ms", K_MS },
		{ "shadow-timeout-ms", K_MS }, { "drain-ms", K_MS }, { "shadow-writes", K_FLAG },
		{ "state-db-primary", K_STR }, { "state-db-shadow", K_STR },
	};
	int i;

	memset(s, 0, sizeof(*s) * S_COUNT);
	for (i = 0; i < S_COUNT; i++) {
		s[i].name = t[i].name;
		s[i].kind = t[i].kind;
	}
}

static int config_key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++)
		if (*key != *name && !(*key == '_' && *name == '-'))
			return 0;
	return !*key && !*name;
}

/* Take the "shadow" object of a config document; rules_out gets its top-level "rules". */
static int apply_config(const char *path, const json_t *doc, struct setting *s)
{
	const json_t *obj = json_object_get(doc, "shadow"), *v;
	const char *key;
	int i;

	if (!json_is_object(doc))
		return ph_cli_usage("shadow", "%s: expected a JSON object", path);
	if (obj && !json_is_object(obj))
		return ph_cli_usage("shadow", "%s: shadow: expected an object", path);
	if (!s[S_RULES].value && json_is_string(json_object_get(doc, "rules")))
		s[S_RULES].value = json_string_value(json_object_get(doc, "rules"));
	json_object_foreach((json_t *)obj, key, v)
	{
		if (!strcmp(key, "same"))
			continue; /* a list: taken by the caller */
		for (i = 0; i < S_COUNT && !config_key_is(key, s[i].name); i++)
			;
		if (i == S_COUNT)
			return ph_cli_usage("shadow", "%s: shadow.%s: unknown setting", path, key);
		if (s[i].kind == K_FLAG) {
			if (!json_is_boolean(v))
				return ph_cli_usage("shadow", "%s: shadow.%s: expected true or false",
						    path, key);
			s[i].value = json_is_true(v) ? "1" : NULL;
		} else if (s[i].kind == K_STR) {
			if (!json_is_string(v))
				return ph_cli_usage("shadow", "%s: shadow.%s: expected a string",
						    path, key);
			s[i].value = json_string_value(v);
		} else {
			if (!json_is_integer(v))
				return ph_cli_usage("shadow", "%s: shadow.%s: expected an integer",
						    path, key);
			snprintf(s[i].buf, sizeof(s[i].buf), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			s[i].value = s[i].buf;
		}
	}
	return 0;
}

static int number(const struct setting *s, long long lo, long long hi, long long def,
		  long long *out)
{
	char *end;
	long long v;

	if (!s->value) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(s->value, &end, 10);
	if (!*s->value || *end || errno || v < lo || v > hi)
		return ph_cli_usage("shadow", "--%s: expected an integer from %lld to %lld, got '%s'",
				    s->name, lo, hi, s->value);
	*out = v;
	return 0;
}

static int loopback_addr(const char *a)
{
	return !strncmp(a, "127.", 4) || !strcmp(a, "::1");
}

static int http_url(const char *u)
{
	return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

int cmd_shadow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "bind", required_argument, NULL, 'b' },
		{ "allow-remote", no_argument, NULL, 'R' },
		{ "primary", required_argument, NULL, 'p' },
		{ "shadow", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'o' },
		{ "log-max-bytes", required_argument, NULL, 'M' },
		{ "queue", required_argument, NULL, 'q' },
		{ "workers", required_argument, NULL, 'w' },
		{ "max-body", required_argument, NULL, 'B' },
		{ "primary-timeout-ms", required_argument, NULL, 'P' },
		{ "shadow-timeout-ms", required_argument, NULL, 'S' },
		{ "drain-ms", required_argument, NULL, 'd' },
		{ "shadow-writes", no_argument, NULL, 'W' },
		{ "state-db-primary", required_argument, NULL, 'x' },
		{ "state-db-shadow", required_argument, NULL, 'y' },
		{ "same", required_argument, NULL, 'e' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char codes[S_COUNT] = { 'l', 'b', 'R', 'p', 's', 'r', 'o', 'M', 'q',
					     'w', 'B', 'P', 'S', 'd', 'W', 'x', 'y' };
	struct ph_cli_getopt g = { .cmd = "shadow", .argc = argc, .argv = argv, .shortopts = "+h",
				   .longopts = opts, .usage = usage_text, .named = 1 };
	struct setting s[S_COUNT], cli[S_COUNT];
	struct ph_proxy_config cfg = { 0 };
	struct ph_proxy_stats st;
	struct ph_rules *rules = NULL;
	struct ph_domain_map *map = NULL;
	struct ph_proxy *proxy = NULL;
	struct ph_err err = { 0, "" };
	const char *config = NULL;
	json_t *doc = NULL, *v;
	const char *same[MAX_SAME];
	size_t n_same = 0, k;
	long long port = 0, n = 0;
	sigset_t sigs;
	int c, i, sig = 0, code = PH_EXIT_USAGE;

	settings_init(s);
	settings_init(cli);
	while ((c = ph_cli_getopt(&g)) > 0) {
		if (c == 'c') {
			config = optarg;
			continue;
		}
		if (c == 'e') {
			if (n_same == MAX_SAME)
				return ph_cli_usage("shadow", "--same: at most %d", MAX_SAME);
			same[n_same++] = optarg;
			continue;
		}
		for (i = 0; i < S_COUNT && codes[i] != c; i++)
			;
		if (i < S_COUNT)
			cli[i].value = cli[i].kind == K_FLAG ? "1" : optarg;
	}
	if (c < 0)
		return ph_cli_exit(c);
	if (optind < argc)
		return ph_cli_usage("shadow", "unexpected operand '%s'", argv[optind]);
	if (config) {
		if (ph_json_load_file(config, &doc, &err))
			return ph_cli_fail(&err);
		if ((code = apply_config(config, doc, s)))
			goto out;
		/* the config's "same": an array of "PRIMARY=SHADOW", after the command line's */
		json_array_foreach(json_object_get(json_object_get(doc, "shadow"), "same"), k, v)
		{
			if (!json_is_string(v) || n_same == MAX_SAME) {
				code = ph_cli_usage("shadow", "%s: shadow.same[%zu]: expected a "
							      "\"PRIMARY=SHADOW\" string (at most %d)",
						    config, k, MAX_SAME);
				goto out;
			}
			same[n_same++] = json_string_value(v);
		}
		code = PH_EXIT_USAGE;
	}
	for (i = 0; i < S_COUNT; i++)
		if (cli[i].value)
			s[i].value = cli[i].value;
	cfg.timing = PH_TIMING_DEFAULT;
	if (doc && ph_timing_parse(doc, config, &cfg.timing, NULL, &err)) {
		code = ph_cli_fail(&err);
		goto out;
	}
	if (!s[S_LISTEN].value || !s[S_PRIMARY].value || !s[S_SHADOW].value || !s[S_LOG].value) {
		code = ph_cli_usage("shadow", "--listen, --primary, --shadow and --log are required "
					      "(or their keys in --config's \"shadow\")");
		goto out;
	}
	if (!http_url(s[S_PRIMARY].value) || !http_url(s[S_SHADOW].value)) {
		code = ph_cli_usage("shadow", "--primary and --shadow: expected http://host:port URLs");
		goto out;
	}
	if (!strcmp(s[S_PRIMARY].value, s[S_SHADOW].value)) {
		code = ph_cli_usage("shadow", "--primary and --shadow are the same runtime: every "
					      "request would reach it twice");
		goto out;
	}
	if (s[S_DB_P].value && s[S_DB_S].value) {
		char a[PATH_MAX], b[PATH_MAX];

		if (realpath(s[S_DB_P].value, a) && realpath(s[S_DB_S].value, b) && !strcmp(a, b)) {
			code = ph_cli_usage("shadow", "--state-db-primary and --state-db-shadow are "
						      "one database: the shadow has no data of its "
						      "own");
			goto out;
		}
	}
	if (!!s[S_DB_P].value != !!s[S_DB_S].value) {
		code = ph_cli_usage("shadow", "--state-db-primary and --state-db-shadow go together");
		goto out;
	}
	cfg.bind = s[S_BIND].value ? s[S_BIND].value : "127.0.0.1";
	if (!loopback_addr(cfg.bind) && !s[S_ALLOW_REMOTE].value) {
		code = ph_cli_usage("shadow", "--bind: '%s' is not loopback; add --allow-remote to "
					      "listen there", cfg.bind);
		goto out;
	}
	if (number(&s[S_LISTEN], 0, 65535, 0, &port))
		goto out;
	cfg.port = (int)port;
	cfg.primary = s[S_PRIMARY].value;
	cfg.shadow = s[S_SHADOW].value;
	cfg.log_path = s[S_LOG].value;
	if (number(&s[S_LOG_MAX], 0, 1LL << 40, 0, &n))
		goto out;
	cfg.log_max_bytes = (long)n;
	if (number(&s[S_QUEUE], 1, 1 << 20, 1024, &n))
		goto out;
	cfg.queue = (size_t)n;
	if (number(&s[S_WORKERS], 1, 16, 2, &n))
		goto out;
	cfg.workers = (int)n;
	if (number(&s[S_MAX_BODY], 1, 1LL << 28, 8LL << 20, &n))
		goto out;
	cfg.max_body = (size_t)n;
	if (number(&s[S_PTIMEOUT], 1, 3600000, 30000, &n))
		goto out;
	cfg.primary_timeout_ms = (long)n;
	if (number(&s[S_STIMEOUT], 1, 3600000, 5000, &n))
		goto out;
	cfg.shadow_timeout_ms = (long)n;
	if (number(&s[S_DRAIN], 0, 3600000, 5000, &n))
		goto out;
	cfg.drain_ms = (long)n;
	cfg.shadow_writes = s[S_WRITES].value != NULL;
	/*
	 * A shadow with its own data must see the requests in the order the primary answered
	 * them (a read of what a write made, by the id the write answered): one worker.
	 */
	if (cfg.shadow_writes && cfg.workers > 1) {
		if (s[S_WORKERS].value)
			fprintf(stderr, "parity shadow: --shadow-writes replays in order: one "
					"worker, not %d\n", cfg.workers);
		cfg.workers = 1;
	}
	cfg.same = same;
	cfg.n_same = n_same;
	cfg.state_db_primary = s[S_DB_P].value;
	cfg.state_db_shadow = s[S_DB_S].value;

	if (s[S_RULES].value ? ph_rules_load(&rules, s[S_RULES].value, &err)
			     : !(rules = ph_rules_builtin())) {
		code = ph_cli_fail(&err);
		goto out;
	}
	if (ph_domain_map_load(&map, NULL, &err)) {
		fprintf(stderr, "parity shadow: no endpoint -> domain map (%s): domains are "
				"\"unmapped\"\n", err.msg);
		map = NULL;
	}
	cfg.rules = rules;
	cfg.map = map;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	/* blocked before the proxy's threads exist, so they inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (ph_proxy_start(&proxy, &cfg, &err)) {
		fprintf(stderr, "parity shadow: %s\n", err.msg);
		code = err.code == PH_E_INVALID ? PH_EXIT_USAGE : PH_EXIT_NOEVAL;
		goto out_curl;
	}
	fprintf(stderr, "listening on http://%s%s%s:%d (primary %s, shadow %s, log %s)\n",
		strchr(cfg.bind, ':') ? "[" : "", cfg.bind, strchr(cfg.bind, ':') ? "]" : "",
		ph_proxy_port(proxy), cfg.primary, cfg.shadow, cfg.log_path);
	sigwait(&sigs, &sig);
	ph_proxy_stop(proxy, &st);
	ph_proxy_free(proxy);
	fprintf(stderr,
		"parity shadow: stopped by signal %d: %lu forwarded (%lu primary errors), %lu "
		"replayed, %lu compared, %lu divergent, %lu dropped, %lu skipped writes, %lu "
		"shadow errors, %s\n",
		sig, st.forwarded, st.primary_errors, st.replayed, st.compared, st.divergent,
		st.dropped, st.skipped_writes, st.shadow_errors,
		st.drained ? "drained" : "not drained");
	code = PH_EXIT_OK;
out_curl:
	curl_global_cleanup();
out:
	ph_domain_map_free(map);
	ph_rules_free(rules);
	json_decref(doc);
	return code;
}
