/*
 * The secrets domain (CONTRACT.md §9). Through each runtime's API it stores, lists,
 * overwrites and deletes secrets and runs exec cases (suites/secrets: a printed secret must
 * come back redacted, shell metacharacters refused alike); then it inspects the
 * .secrets/secrets.enc each runtime wrote: "format" (same envelope shape), "decrypts with
 * derived key" (every entry opens under BLAKE2b("signet:secrets:" + machine id)) and
 * "values identical" (plaintexts compared as keyed hashes by the host); then the
 * cross-runtime roundtrip: the reference's file is given to the candidate, and the
 * candidate's file to both, and each runtime must list and resolve every secret (resolve:
 * exec secrets-probe, which prints a keyed digest of the variable, never the value). With
 * `parity run --secrets-file F --machine-id ID` the roundtrip also runs on a copy of F.
 *
 * This file runs the phases; secrets.h says where each lives.
 *
 * Secret values never reach a report or a log: every answer is scrubbed of the values the
 * suite stores before it is compared, so an unredacted value shows up as the marker
 * "<unredacted value of NAME>". A divergence that follows from entries already found not
 * to decrypt is filed under "decrypts with derived key", its root cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/strbuf.h"
#include "parity/suite.h"
#include "secrets.h"

#ifndef SECRETS_PROBE
#define SECRETS_PROBE "secrets-probe"
#endif

/* The secret name of "/api/secrets/NAME" (not exec), or NULL. */
static const char *secret_of_path(const char *path, char *buf, size_t cap)
{
	const char *p = path + strlen("/api/secrets/");

	if (strncmp(path, "/api/secrets/", strlen("/api/secrets/")) || !*p || strchr(p, '/') ||
	    strchr(p, '?') || !strcmp(p, "exec") || strlen(p) >= cap)
		return NULL;
	snprintf(buf, cap, "%s", p);
	return buf;
}

/* What the phases read of an API case: its request and the value it stores, if any. */
struct api_case {
	const char *method, *path, *value;
};

static struct api_case api_case_of(const json_t *cs)
{
	struct api_case a = {
	    json_string_value(json_object_get(cs, "method")),
	    json_string_value(json_object_get(cs, "path")),
	    json_string_value(json_object_get(json_object_get(cs, "body"), "value")),
	};

	return a;
}

/* Collect the values the suite stores (they are scrubbed from every answer). */
static int collect_values(struct ctx *c, const json_t *cases, struct ph_err *err)
{
	const json_t *cs;
	size_t i;

	json_array_foreach(cases, i, cs)
	{
		struct api_case a = api_case_of(cs);
		const char *method = a.method, *path = a.path, *value = a.value;
		char name[256];
		struct known *k;

		if (!method || !path || !value || strcmp(method, "POST") ||
		    !secret_of_path(path, name, sizeof(name)))
			continue;
		if (strchr(value, '"') || strchr(value, '\\'))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': a stored value may not hold '\"' or '\\' "
					"(answers are scrubbed of the raw bytes)",
					c->host->suite_dir(c->run),
					json_string_value(json_object_get(cs, "name")));
		k = realloc(c->k, (c->n_k + 1) * sizeof(*k));
		if (!k)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		c->k = k;
		k[c->n_k].name = strdup(name);
		k[c->n_k].value = strdup(value);
		k[c->n_k].live = 0;
		if (!k[c->n_k].name || !k[c->n_k].value)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		c->n_k++;
	}
	return 0;
}

/* Keep "METHOD path" once in c->store_routes. */
static void note_store_route(struct ctx *c, const char *method, const char *path)
{
	char *route = ph_strdup_printf("%s %s", method, path);
	json_t *v;
	size_t i;
	int seen = 0;

	json_array_foreach(c->store_routes, i, v)
	{
		seen |= route && !strcmp(json_string_value(v), route);
	}
	if (route && !seen)
		json_array_append_new(c->store_routes, json_string(route));
	free(route);
}

static void api_phase(struct ctx *c, const json_t *cases)
{
	const json_t *cs;
	size_t i;

	json_array_foreach(cases, i, cs)
	{
		struct api_case a = api_case_of(cs);
		const char *method = a.method, *path = a.path, *value = a.value;
		json_t *body = json_object_get(cs, "body");
		char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		char name[256];
		long st;

		st = secrets_step(c, json_string_value(json_object_get(cs, "feature")),
				  json_string_value(json_object_get(cs, "name")), method, path, text,
				  json_string_value(json_object_get(cs, "count")));
		if (text) {
			sodium_memzero(text, strlen(text));
			free(text);
		}
		/* a store or a delete: the file rows compare what it left */
		if (method && path && (!strcmp(method, "POST") || !strcmp(method, "DELETE")) &&
		    secret_of_path(path, name, sizeof(name)))
			note_store_route(c, method, path);
		/* what the stores now hold, by the reference's answer */
		if (st == 200 && secret_of_path(path, name, sizeof(name))) {
			for (size_t j = 0; j < c->n_k; j++) {
				if (strcmp(c->k[j].name, name))
					continue;
				if (!strcmp(method, "DELETE"))
					c->k[j].live = 0;
				else if (!strcmp(method, "POST"))
					c->k[j].live = value && !strcmp(c->k[j].value, value);
			}
		}
		c->host->progress(c->run, (int)i + 1, (int)json_array_size(cases) + 3);
	}
}

/* ---- the run ---- */

static int make_keyfile(struct ctx *c, struct ph_err *err)
{
	char hex[2 * sizeof(c->key) + 2];
	FILE *f;

	snprintf(c->tmp, sizeof(c->tmp), "/tmp/parity-secrets-XXXXXX");
	if (!mkdtemp(c->tmp)) {
		c->tmp[0] = '\0';
		return ph_error(err, PH_E_IO, "cannot make a temporary folder in /tmp");
	}
	snprintf(c->keyfile, sizeof(c->keyfile), "%s/probe.key", c->tmp);
	randombytes_buf(c->key, sizeof(c->key));
	sodium_bin2hex(hex, sizeof(hex), c->key, sizeof(c->key));
	f = fopen(c->keyfile, "w");
	if (!f || fprintf(f, "%s\n", hex) < 0 || fclose(f)) {
		return ph_error(err, PH_E_IO, "cannot write '%s'", c->keyfile);
	}
	return 0;
}

static int secrets_run(void *state, const struct ph_host *host, struct ph_run *run,
		       struct ph_err *err)
{
	struct ctx c = {.host = host, .run = run};
	json_t *cases = NULL;
	char *pa = NULL, *pb = NULL;
	const char *file = host->param(run, "secrets-file");
	int rc;

	(void)state;
	if (!PH_HOST_HAS(host, canon_add))
		return ph_error(err, PH_E_INVALID, "the host is too old for the secrets domain");
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "libsodium could not be initialised");
	c.probe = getenv("PARITY_SECRETS_PROBE");
	if (!c.probe || !*c.probe)
		c.probe = SECRETS_PROBE;
	if (access(c.probe, X_OK))
		return ph_error(err, PH_E_NOTFOUND, "secrets-probe not found at '%s'", c.probe);
	c.mid[PH_REFERENCE] = host->runtime_env(run, PH_REFERENCE, "SIGNET_MACHINE_ID");
	c.mid[PH_CANDIDATE] = host->runtime_env(run, PH_CANDIDATE, "SIGNET_MACHINE_ID");
	c.cand_failed = json_array();
	c.store_routes = json_array();
	if ((rc = ph_suite_load_dir(host->suite_dir(run), &cases, err)) ||
	    (rc = collect_values(&c, cases, err)) || (rc = make_keyfile(&c, err)))
		goto out;
	host->progress(run, 0, (int)json_array_size(cases) + 3);
	api_phase(&c, cases);
	if (!(pa = secrets_store_of(&c, PH_REFERENCE)) || !(pb = secrets_store_of(&c, PH_CANDIDATE))) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	secrets_format_row(&c, pa, pb);
	secrets_decrypts_row(&c, pa, pb);
	secrets_values_row(&c, pa, pb);
	host->progress(run, (int)json_array_size(cases) + 1, (int)json_array_size(cases) + 3);
	secrets_roundtrip(&c, pa, pb);
	host->progress(run, (int)json_array_size(cases) + 2, (int)json_array_size(cases) + 3);
	if (file)
		secrets_real_file(&c, file, host->param(run, "machine-id"));
	host->progress(run, (int)json_array_size(cases) + 3, (int)json_array_size(cases) + 3);
out:
	if (c.tmp[0]) {
		unlink(c.keyfile);
		rmdir(c.tmp);
	}
	sodium_memzero(c.key, sizeof(c.key));
	for (size_t i = 0; i < c.n_k; i++) {
		sodium_memzero(c.k[i].value, strlen(c.k[i].value));
		free(c.k[i].value);
		free(c.k[i].name);
	}
	free(c.k);
	free(pa);
	free(pb);
	json_decref(cases);
	json_decref(c.cand_failed);
	json_decref(c.store_routes);
	return rc;
}

PH_PLUGIN_EXPORT(secrets, "1.0.0",
		 "secrets API, secrets.enc format and keys, cross-runtime roundtrip, exec "
		 "redaction",
		 NULL, secrets_run, NULL)
