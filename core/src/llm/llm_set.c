/*
 * Canned LLM sets: loading and checking canned-llm/<set>/NAME.json, choosing the entry that
 * answers a prompt, and the deterministic embeddings. The format is fixed (brief of
 * issue 5, canned-llm/README.md); every message names the file and the key at fault so
 * a broken set stops a run before any runtime starts.
 */
#include "llm/llm_server.h"

#include <dirent.h>
#include <errno.h>
#include <ctype.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "parity/jsonio.h"
#include "llm/exchange.h"

#define MAX_DIMENSIONS 65536
#define MAX_LATENCY_MS 600000

struct ph_llm_set {
	struct ph_llm_entry *entries; /* match order: hashed ones first, then the rest */
	size_t n;
	struct ph_llm_entry fallback;
	int dimensions;
	char *dimensions_file;
	json_t *models; /* array of model names for /api/tags and /v1/models */
};

static void entry_release(struct ph_llm_entry *e)
{
	free(e->name);
	free(e->hash);
	free(e->prefix);
	free(e->contains);
	free(e->model);
	free(e->endpoint);
	free(e->response);
	free(e->origin);
	memset(e, 0, sizeof(*e));
}

void ph_llm_set_free(struct ph_llm_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		entry_release(&set->entries[i]);
	free(set->entries);
	entry_release(&set->fallback);
	free(set->dimensions_file);
	json_decref(set->models);
	free(set);
}

int ph_llm_set_dimensions(const struct ph_llm_set *set)
{
	return set->dimensions;
}

size_t ph_llm_set_size(const struct ph_llm_set *set)
{
	return set->n;
}

/* Keys any object of a set file may carry for people: "comment", "description", "_*". */
static int note_key(const char *key)
{
	return key[0] == '_' || !strcmp(key, "comment") || !strcmp(key, "description");
}

static int check_keys(const char *file, const char *where, const json_t *obj,
		      const char *const *allowed, const char *expected, struct ph_err *err)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		int ok = note_key(key);

		(void)v;
		for (i = 0; !ok && allowed[i]; i++)
			ok = !strcmp(key, allowed[i]);
		if (!ok)
			return ph_error(err, PH_E_INVALID, "%s: %s: unknown key '%s' (expected %s)",
					file, where, key, expected);
	}
	return 0;
}

static int opt_string(const char *file, const char *where, const json_t *obj, const char *key,
		      char **out, size_t *len, struct ph_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return ph_error(err, PH_E_INVALID, "%s: %s.%s: expected a string", file, where,
				key);
	*out = malloc(json_string_length(v) + 1);
	if (!*out)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memcpy(*out, json_string_value(v), json_string_length(v) + 1);
	if (len)
		*len = json_string_length(v);
	return 0;
}

static int opt_int(const char *file, const char *where, const json_t *obj, const char *key, long lo,
		   long hi, long *out, struct ph_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return ph_error(err, PH_E_INVALID, "%s: %s.%s: expected an integer from %ld to %ld",
				file, where, key, lo, hi);
	*out = (long)json_integer_value(v);
	return 0;
}

/* response, status and latency_ms of an entry or of the fallback. */
static int parse_answer(const char *file, const char *where, const json_t *obj, int required,
			struct ph_llm_entry *e, struct ph_err *err)
{
	const json_t *r = json_object_get(obj, "response");
	long status = 200, latency = 0;
	int rc;

	if (!r && required)
		return ph_error(err, PH_E_INVALID, "%s: %s: missing key 'response'", file, where);
	if (!r) {
		e->response = strdup("{}");
		e->response_len = 2;
	} else if (json_is_string(r)) {
		if ((rc = opt_string(file, where, obj, "response", &e->response, &e->response_len,
				     err)))
			return rc;
	} else if (json_is_object(r) || json_is_array(r)) {
		/* a convenience: JSON written inline is answered as its compact text */
		e->response = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
		e->response_len = e->response ? strlen(e->response) : 0;
	} else {
		return ph_error(err, PH_E_INVALID,
				"%s: %s.response: expected a string (or a JSON object or array)",
				file, where);
	}
	if (!e->response)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = opt_int(file, where, obj, "status", 100, 599, &status, err)) ||
	    (rc = opt_int(file, where, obj, "latency_ms", 0, MAX_LATENCY_MS, &latency, err)))
		return rc;
	e->status = (int)status;
	e->latency_ms = latency;
	return 0;
}

static int parse_match(const char *file, const char *where, const json_t *m, struct ph_llm_entry *e,
		       struct ph_err *err)
{
	static const char *const keys[] = {"hash", "prefix", "contains", "model", "endpoint", NULL};
	char at[256];
	int rc;
	size_t i;

	snprintf(at, sizeof(at), "%s.match", where);
	if (!json_is_object(m))
		return ph_error(err, PH_E_INVALID, "%s: %s: expected an object", file, at);
	if ((rc = check_keys(file, at, m, keys, "hash, prefix, contains, model, endpoint", err)))
		return rc;
	if ((rc = opt_string(file, at, m, "hash", &e->hash, NULL, err)) ||
	    (rc = opt_string(file, at, m, "prefix", &e->prefix, &e->prefix_len, err)) ||
	    (rc = opt_string(file, at, m, "contains", &e->contains, &e->contains_len, err)) ||
	    (rc = opt_string(file, at, m, "model", &e->model, NULL, err)) ||
	    (rc = opt_string(file, at, m, "endpoint", &e->endpoint, NULL, err)))
		return rc;
	if (e->hash) {
		int ok = strlen(e->hash) == 64;

		for (i = 0; ok && i < 64; i++) {
			ok = (e->hash[i] >= '0' && e->hash[i] <= '9') ||
			     (e->hash[i] >= 'a' && e->hash[i] <= 'f') ||
			     (e->hash[i] >= 'A' && e->hash[i] <= 'F');
			if (e->hash[i] >= 'A' && e->hash[i] <= 'F')
				e->hash[i] = (char)(e->hash[i] - 'A' + 'a');
		}
		if (!ok)
			return ph_error(err, PH_E_INVALID,
					"%s: %s.hash: expected 64 hex digits (the SHA-256 of the "
					"prompt)",
					file, at);
	}
	if (e->endpoint && e->endpoint[0] != '/')
		return ph_error(err, PH_E_INVALID,
				"%s: %s.endpoint: expected a path such as \"/api/generate\"", file,
				at);
	return 0;
}

static int add_model(json_t *models, const char *name)
{
	size_t i;
	json_t *m;

	json_array_foreach(models, i, m) if (!strcmp(json_string_value(m), name)) return 0;
	return json_array_append_new(models, json_string(name));
}

struct loader {
	struct ph_llm_set *set;
	struct ph_llm_entry *all; /* file order */
	size_t n, cap;
	int have_fallback;
	json_t *listed; /* "models" keys, in file order */
};

static int load_file(struct loader *ld, const char *file, struct ph_err *err)
{
	static const char *const top_keys[] = {"entries", "fallback", "dimensions", "models", NULL};
	static const char *const entry_keys[] = {"name",   "match",	 "response",
						 "status", "latency_ms", NULL};
	static const char *const fallback_keys[] = {"response", "status", "latency_ms", NULL};
	json_t *doc = NULL, *entries, *v;
	size_t i, j;
	long dims;
	int rc;

	if ((rc = ph_json_load_file(file, &doc, err)))
		return rc;
	if (!json_is_object(doc)) {
		rc = ph_error(err, PH_E_INVALID, "%s: expected an object {\"entries\": [...]}",
			      file);
		goto out;
	}
	if ((rc = check_keys(file, "top level", doc, top_keys,
			     "entries, fallback, dimensions, models", err)))
		goto out;
	if ((v = json_object_get(doc, "dimensions"))) {
		dims = 0;
		if ((rc = opt_int(file, "top level", doc, "dimensions", 1, MAX_DIMENSIONS, &dims,
				  err)))
			goto out;
		if (ld->set->dimensions_file && ld->set->dimensions != (int)dims) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: dimensions: %ld differs from %d set in %s", file, dims,
				      ld->set->dimensions, ld->set->dimensions_file);
			goto out;
		}
		ld->set->dimensions = (int)dims;
		free(ld->set->dimensions_file);
		if (!(ld->set->dimensions_file = strdup(file))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((v = json_object_get(doc, "models"))) {
		json_t *m;

		if (!json_is_array(v)) {
			rc = ph_error(err, PH_E_INVALID, "%s: models: expected an array of strings",
				      file);
			goto out;
		}
		json_array_foreach(v, i, m)
		{
			if (!json_is_string(m) || !json_string_length(m)) {
				rc = ph_error(err, PH_E_INVALID,
					      "%s: models[%zu]: expected a model name", file, i);
				goto out;
			}
			add_model(ld->listed, json_string_value(m));
		}
	}
	if ((v = json_object_get(doc, "fallback"))) {
		if (!json_is_object(v)) {
			rc = ph_error(err, PH_E_INVALID, "%s: fallback: expected an object", file);
			goto out;
		}
		if ((rc = check_keys(file, "fallback", v, fallback_keys,
				     "response, status, latency_ms", err)))
			goto out;
		if (!ld->have_fallback) {
			/* the first file that has one decides */
			entry_release(&ld->set->fallback);
			if ((rc = parse_answer(file, "fallback", v, 0, &ld->set->fallback, err)))
				goto out;
			ld->have_fallback = 1;
		}
	}
	entries = json_object_get(doc, "entries");
	if (entries && !json_is_array(entries)) {
		rc = ph_error(err, PH_E_INVALID, "%s: entries: expected an array", file);
		goto out;
	}
	json_array_foreach(entries, i, v)
	{
		char where[64];
		struct ph_llm_entry *e;
		const json_t *name = json_object_get(v, "name");

		snprintf(where, sizeof(where), "entries[%zu]", i);
		if (!json_is_object(v)) {
			rc = ph_error(err, PH_E_INVALID, "%s: %s: expected an object", file, where);
			goto out;
		}
		if ((rc = check_keys(file, where, v, entry_keys,
				     "name, match, response, status, latency_ms", err)))
			goto out;
		if (!json_is_string(name) || !json_string_length(name)) {
			rc = ph_error(err, PH_E_INVALID, "%s: %s.name: expected a non-empty string",
				      file, where);
			goto out;
		}
		for (j = 0; j < ld->n; j++) {
			if (!strcmp(ld->all[j].name, json_string_value(name))) {
				rc = ph_error(err, PH_E_INVALID,
					      "%s: %s.name: '%s' is already the name of %s", file,
					      where, json_string_value(name), ld->all[j].origin);
				goto out;
			}
		}
		if (ld->n == ld->cap) {
			size_t cap = ld->cap ? ld->cap * 2 : 16;
			struct ph_llm_entry *p = realloc(ld->all, cap * sizeof(*p));

			if (!p) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto out;
			}
			ld->all = p;
			ld->cap = cap;
		}
		e = &ld->all[ld->n++];
		memset(e, 0, sizeof(*e));
		e->name = strdup(json_string_value(name));
		e->origin = malloc(strlen(file) + sizeof(where) + 4);
		if (!e->name || !e->origin) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		sprintf(e->origin, "%s: %s", file, where);
		if (json_object_get(v, "match") &&
		    (rc = parse_match(file, where, json_object_get(v, "match"), e, err)))
			goto out;
		if ((rc = parse_answer(file, where, v, 1, e, err)))
			goto out;
	}
out:
	json_decref(doc);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir, sorted by name (byte order). */
static int list_files(const char *dir, char ***files, size_t *n, struct ph_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*files = NULL;
	*n = 0;
	if (!d)
		return ph_error(err, PH_E_IO, "cannot open canned-llm folder '%s': %s", dir,
				strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *p;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (*n == cap) {
			char **q = realloc(*files, (cap = cap ? cap * 2 : 8) * sizeof(*q));

			if (!q)
				break;
			*files = q;
		}
		p = malloc(strlen(dir) + len + 2);
		if (!p)
			break;
		sprintf(p, "%s/%s", dir, de->d_name);
		(*files)[(*n)++] = p;
	}
	closedir(d);
	if (de) {
		while (*n)
			free((*files)[--*n]);
		free(*files);
		*files = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (*n)
		qsort(*files, *n, sizeof(**files), by_name);
	return 0;
}

int ph_llm_set_load(const char *path, struct ph_llm_set **out, struct ph_err *err)
{
	struct loader ld;
	struct stat st;
	char **files = NULL;
	size_t nfiles = 0, i, k;
	int rc = 0;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	if (stat(path, &st) != 0)
		return ph_error(err, PH_E_IO, "cannot open canned-llm set '%s': %s", path,
				strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if ((rc = list_files(path, &files, &nfiles, err)))
			return rc;
		if (!nfiles) {
			free(files);
			return ph_error(err, PH_E_INVALID,
					"%s: no *.json canned-llm files in this folder", path);
		}
	} else {
		files = malloc(sizeof(*files));
		if (!files || !(files[0] = strdup(path))) {
			free(files);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
		nfiles = 1;
	}
	ld.set = calloc(1, sizeof(*ld.set));
	ld.listed = json_array();
	if (!ld.set || !ld.listed) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	ld.set->dimensions = PH_LLM_DEFAULT_DIMENSIONS;
	ld.set->fallback.response = strdup("{}");
	ld.set->fallback.response_len = 2;
	ld.set->fallback.status = 200;
	if (!ld.set->fallback.response) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nfiles && !rc; i++)
		rc = load_file(&ld, files[i], err);
	if (rc)
		goto out;
	/* match order: hashed entries first, the others after, each in file order */
	ld.set->entries = calloc(ld.n ? ld.n : 1, sizeof(*ld.set->entries));
	if (!ld.set->entries) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	for (k = 0, i = 0; i < ld.n; i++)
		if (ld.all[i].hash)
			ld.set->entries[k++] = ld.all[i];
	for (i = 0; i < ld.n; i++)
		if (!ld.all[i].hash)
			ld.set->entries[k++] = ld.all[i];
	ld.set->n = ld.n;
	ld.n = 0;
	/* models: as listed, else those the entries name, else "fake" */
	ld.set->models = ld.listed;
	ld.listed = NULL;
	if (!json_array_size(ld.set->models))
		for (i = 0; i < ld.set->n; i++)
			if (ld.set->entries[i].model)
				add_model(ld.set->models, ld.set->entries[i].model);
	if (!json_array_size(ld.set->models))
		add_model(ld.set->models, "fake");
out:
	for (i = 0; i < ld.n; i++)
		entry_release(&ld.all[i]);
	free(ld.all);
	json_decref(ld.listed);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	if (rc) {
		ph_llm_set_free(ld.set);
		return rc;
	}
	*out = ld.set;
	return 0;
}

static int contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i;

	if (nlen == 0)
		return 1;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, nlen))
			return 1;
	return 0;
}

void ph_llm_sha256_hex(const char *data, size_t len, char hex[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, (const unsigned char *)data, len);
	sodium_bin2hex(hex, 65, d, sizeof(d));
}

const struct ph_llm_entry *ph_llm_set_find(const struct ph_llm_set *set, const char *endpoint,
					   const char *model, const char *prompt, size_t len)
{
	char hex[65];
	int hashed = 0;
	size_t i;

	if (!prompt)
		prompt = "", len = 0;
	for (i = 0; i < set->n; i++) {
		const struct ph_llm_entry *e = &set->entries[i];

		if (e->hash) {
			if (!hashed) {
				ph_llm_sha256_hex(prompt, len, hex);
				hashed = 1;
			}
			if (strcmp(e->hash, hex))
				continue;
		}
		if (e->prefix && (len < e->prefix_len || memcmp(prompt, e->prefix, e->prefix_len)))
			continue;
		if (e->contains && !contains(prompt, len, e->contains, e->contains_len))
			continue;
		if (e->model && (!model || strcmp(e->model, model)))
			continue;
		if (e->endpoint && (!endpoint || strcmp(e->endpoint, endpoint)))
			continue;
		return e;
	}
	return NULL;
}

const struct ph_llm_entry *ph_llm_set_entry(const struct ph_llm_set *set, size_t i)
{
	return i < set->n ? &set->entries[i] : NULL;
}

const struct ph_llm_entry *ph_llm_set_fallback(const struct ph_llm_set *set)
{
	return &set->fallback;
}

const json_t *ph_llm_set_models(const struct ph_llm_set *set)
{
	return set->models;
}

/* Add weight times the pseudo-random direction keyed by bytes p[0..n) to out. */
static void add_direction(const unsigned char *p, size_t n, double weight, int dim,
			  uint32_t *raw, double *out)
{
	unsigned char seed[randombytes_SEEDBYTES];

	crypto_hash_sha256(seed, p, n);
	randombytes_buf_deterministic(raw, (size_t)dim * sizeof(*raw), seed);
	for (int i = 0; i < dim; i++) {
		/* little-endian reading, so the vector is the same on every host */
		const unsigned char *b = (const unsigned char *)&raw[i];
		uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			     (uint32_t)b[3] << 24;

		out[i] += weight * ((double)u / 2147483648.0 - 1.0);
	}
}

static int word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Words repeat: each contributes once per occurrence, up to this many words in all. */
#define EMBED_MAX_WORDS 4096

void ph_llm_embedding(const char *text, size_t len, int dim, double *out)
{
	const unsigned char *t = (const unsigned char *)(text ? text : "");
	unsigned char word[128];
	uint32_t *raw;
	double norm = 0;
	size_t i = 0, words = 0;
	int k;

	if (dim <= 0)
		return;
	if (!text)
		len = 0;
	for (k = 0; k < dim; k++)
		out[k] = 0;
	raw = malloc((size_t)dim * sizeof(*raw));
	if (!raw) {
		/* cannot happen at sane dimensions; still answer a unit vector */
		for (k = 0; k < dim; k++)
			out[k] = k == 0 ? 1.0 : 0.0;
		return;
	}
	/* the text's own direction, small: tells apart texts of the same words */
	add_direction(t, len, 0.25, dim, raw, out);
	while (i < len && words < EMBED_MAX_WORDS) {
		size_t n = 0;

		while (i < len && !word_byte(t[i]))
			i++;
		while (i < len && word_byte(t[i])) {
			if (n < sizeof(word))
				word[n++] = (unsigned char)tolower(t[i]);
			i++;
		}
		if (n) {
			add_direction(word, n, 1.0, dim, raw, out);
			words++;
		}
	}
	free(raw);
	for (k = 0; k < dim; k++)
		norm += out[k] * out[k];
	norm = sqrt(norm);
	for (k = 0; k < dim; k++)
		out[k] = norm > 0 ? out[k] / norm : (k == 0 ? 1.0 : 0.0);
}
