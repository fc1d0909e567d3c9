/*
 * `parity llm`: the canned-LLM server on its own. `serve` answers from a canned set until
 * SIGINT or SIGTERM (exit 0); `check` loads a set and says what it holds; `hash` prints
 * the SHA-256 a "hash" match key wants for a prompt. A bad set file exits 2 with a message
 * naming the file and the key.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/repo.h"
#include "llm/llm_server.h"
#include "parity/jsonio.h"

static const char usage_text[] =
    "usage: parity llm serve [--dir D] [--port N] [--log F] [--name NAME]\n"
    "       parity llm check [--dir D]\n"
    "       parity llm hash (TEXT | --file F)\n"
    "\n"
    "serve  run the canned-LLM server on 127.0.0.1 (Ollama /api/tags, /api/generate,\n"
    "       /api/chat, /api/embeddings, /api/embed; OpenAI-compatible /v1/models,\n"
    "       /v1/chat/completions, /v1/completions, /v1/embeddings) until SIGINT or\n"
    "       SIGTERM; prints 'listening on http://127.0.0.1:PORT' to stderr\n"
    "check  load a canned set and print its entries in match order\n"
    "hash   the SHA-256 of a prompt, for an entry's \"match\": {\"hash\": ...}\n"
    "\n"
    "  --dir D     the canned set: a folder of *.json files, or one file\n"
    "              (default: <repo>/canned-llm/default)\n"
    "  --port N    port on 127.0.0.1 (default 0: a free one)\n"
    "  --log F     write one JSON line per request to F\n"
    "  --name NAME the \"runtime\" of the log lines (default \"canned\")\n"
    "\n"
    "The set format and the log format are described in canned-llm/README.md.\n"
    "exit: 0 ok (serve: stopped by a signal), 2 bad usage or a bad set file\n";

static int serve(const char *dir, int port, const char *log, const char *name)
{
	struct ph_llm_set *set = NULL;
	struct ph_llm_server *srv = NULL;
	struct ph_err err = {0};
	sigset_t sigs;
	long requests = 0, unmatched = 0;
	int sig = 0;

	if (ph_llm_set_load(dir, &set, &err))
		return ph_cli_fail(&err);
	/* blocked before the server's threads exist, so they inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (ph_llm_server_start(&srv, set, name, port, log, &err)) {
		ph_llm_set_free(set);
		return ph_cli_fail(&err);
	}
	fprintf(stderr, "listening on %s\n", ph_llm_server_url(srv));
	fprintf(stderr, "parity llm: %zu entries from %s, %d-dimension embeddings%s%s\n",
		ph_llm_set_size(set), dir, ph_llm_set_dimensions(set), log ? ", log " : "",
		log ? log : "");
	sigwait(&sigs, &sig);
	ph_llm_server_counts(srv, &requests, &unmatched);
	ph_llm_server_stop(srv);
	ph_llm_set_free(set);
	fprintf(stderr, "parity llm: stopped by signal %d after %ld requests (%ld unmatched)\n",
		sig, requests, unmatched);
	return PH_EXIT_OK;
}

static void print_key(const char *key, const char *v)
{
	if (v)
		printf(" %s=\"%s\"", key, v);
}

static int check(const char *dir)
{
	struct ph_llm_set *set = NULL;
	struct ph_err err = {0};
	const struct ph_llm_entry *fb;
	const json_t *m;
	size_t i, n;

	if (ph_llm_set_load(dir, &set, &err))
		return ph_cli_fail(&err);
	n = ph_llm_set_size(set);
	printf("%s: %zu entries, %d-dimension embeddings, models:", dir, n,
	       ph_llm_set_dimensions(set));
	json_array_foreach((json_t *)ph_llm_set_models(set), i, m)
	    printf(" %s", json_string_value(m));
	printf("\n");
	for (i = 0; i < n; i++) {
		const struct ph_llm_entry *e = ph_llm_set_entry(set, i);

		printf("%3zu. %s (%s) status %d", i + 1, e->name, e->origin, e->status);
		if (e->latency_ms)
			printf(" latency %ld ms", e->latency_ms);
		print_key("hash", e->hash);
		print_key("prefix", e->prefix);
		print_key("contains", e->contains);
		print_key("model", e->model);
		print_key("endpoint", e->endpoint);
		printf("\n");
	}
	fb = ph_llm_set_fallback(set);
	printf("fallback: status %d, %zu bytes\n", fb->status, fb->response_len);
	ph_llm_set_free(set);
	return PH_EXIT_OK;
}

static int hash(const char *text, const char *file)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	struct ph_err err = {0};
	char *data = NULL;
	size_t len;

	if (file) {
		if (ph_file_read(file, 0, &data, &len, &err))
			return ph_cli_fail(&err);
		text = data;
	} else {
		len = strlen(text);
	}
	crypto_hash_sha256(d, (const unsigned char *)text, len);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	printf("%s\n", hex);
	free(data);
	return PH_EXIT_OK;
}

int cmd_llm(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"port", required_argument, NULL, 'p'},
	    {"log", required_argument, NULL, 'l'},
	    {"name", required_argument, NULL, 'n'},
	    {"file", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ph_cli_getopt g = {.cmd = "llm", .argc = argc - 1, .argv = argv + 1,
				  .shortopts = "d:p:l:n:f:h", .longopts = opts,
				  .usage = usage_text};
	const char *dir = NULL, *log = NULL, *name = "canned", *file = NULL, *sub;
	char *dflt = NULL, *end;
	long port = 0;
	int c, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? PH_EXIT_USAGE : PH_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "serve") && strcmp(sub, "check") && strcmp(sub, "hash"))
		return ph_cli_usage("llm", "unknown subcommand '%s' (serve, check, hash)", sub);
	while ((c = ph_cli_getopt(&g)) > 0) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (!*optarg || *end || port < 0 || port > 65535)
				return ph_cli_usage("llm", "--port: expected 0 to 65535, not '%s'",
						    optarg);
			break;
		case 'l':
			log = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		}
	}
	if (c < 0)
		return ph_cli_exit(c);
	if (!strcmp(sub, "hash")) {
		if (file ? optind + 1 != argc : optind + 2 != argc)
			return ph_cli_usage("llm", "hash: expected one TEXT or --file F");
		return hash(file ? NULL : argv[optind + 1], file);
	}
	if (optind + 1 < argc)
		return ph_cli_usage("llm", "unexpected argument '%s'", argv[optind + 1]);
	if (file)
		return ph_cli_usage("llm", "--file is for 'hash'");
	if (!dir && !(dir = dflt = ph_repo_path("canned-llm/default")))
		return PH_EXIT_USAGE;
	rc = !strcmp(sub, "serve") ? serve(dir, (int)port, log, name) : check(dir);
	free(dflt);
	return rc;
}
