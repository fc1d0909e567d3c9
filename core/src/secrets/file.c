/*
 * The envelope of a Signet secrets file (secrets.h): {"version": 1, "secrets": {...}}
 * loaded with messages that name the key at fault, entries read and stored in place, and
 * the document written back in the TypeScript daemon's layout (key order kept, two-space
 * indent, mode 0600, atomically).
 */
#include "secrets/secrets.h"

#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static int validate(const char *source, json_t *doc, struct ph_err *err)
{
	json_t *v;

	if (!json_is_object(doc))
		return ph_error(err, PH_E_INVALID,
				"'%s': expected a JSON object at the top level, found %s", source,
				type_name(doc));
	v = json_object_get(doc, "version");
	if (!v)
		return ph_error(err, PH_E_INVALID, "'%s': missing key 'version' (expected 1)",
				source);
	if (json_is_integer(v) ? json_integer_value(v) != 1
			       : !(json_is_real(v) && json_real_value(v) == 1.0)) {
		if (json_is_integer(v))
			return ph_error(err, PH_E_INVALID,
					"'%s': key 'version' is %" JSON_INTEGER_FORMAT
					", expected 1",
					source, json_integer_value(v));
		return ph_error(err, PH_E_INVALID,
				"'%s': key 'version' must be the number 1, found %s", source,
				type_name(v));
	}
	v = json_object_get(doc, "secrets");
	if (!v)
		return ph_error(err, PH_E_INVALID,
				"'%s': missing key 'secrets' (expected an object)", source);
	if (!json_is_object(v))
		return ph_error(err, PH_E_INVALID,
				"'%s': key 'secrets' must be an object, found %s", source,
				type_name(v));
	return 0;
}

static void file_zero(struct ph_secrets_file *f)
{
	f->path = NULL;
	f->doc = NULL;
	f->secrets = NULL;
}

int ph_secrets_file_parse(const char *source, const char *data, size_t len,
			  struct ph_secrets_file *f, struct ph_err *err)
{
	json_t *doc;
	int rc;

	file_zero(f);
	if (len > PH_SECRETS_FILE_MAX)
		return ph_error(err, PH_E_INVALID, "'%s' is larger than %zu bytes", source,
				PH_SECRETS_FILE_MAX);
	rc = ph_json_load_buffer(source, data, len, &doc, err);
	if (rc)
		return rc;
	rc = validate(source, doc, err);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	f->path = strdup(source);
	if (!f->path) {
		json_decref(doc);
		return ph_error(err, PH_E_NOMEM, "out of memory loading '%s'", source);
	}
	f->doc = doc;
	f->secrets = json_object_get(doc, "secrets");
	return 0;
}

int ph_secrets_file_load(const char *path, struct ph_secrets_file *f, struct ph_err *err)
{
	char *data;
	size_t len;
	int rc;

	file_zero(f);
	rc = ph_file_read(path, PH_SECRETS_FILE_MAX, &data, &len, err);
	if (rc)
		return rc;
	rc = ph_secrets_file_parse(path, data, len, f, err);
	free(data);
	return rc;
}

int ph_secrets_file_init(struct ph_secrets_file *f, const char *path, struct ph_err *err)
{
	file_zero(f);
	f->doc = json_pack("{s:i,s:{}}", "version", 1, "secrets");
	f->path = strdup(path);
	if (!f->doc || !f->path) {
		ph_secrets_file_release(f);
		return ph_error(err, PH_E_NOMEM, "out of memory creating '%s'", path);
	}
	f->secrets = json_object_get(f->doc, "secrets");
	return 0;
}

void ph_secrets_file_release(struct ph_secrets_file *f)
{
	if (!f)
		return;
	free(f->path);
	json_decref(f->doc);
	file_zero(f);
}

size_t ph_secrets_file_count(const struct ph_secrets_file *f)
{
	return f->secrets ? json_object_size(f->secrets) : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t ph_secrets_file_names(const struct ph_secrets_file *f, const char ***names)
{
	size_t n = ph_secrets_file_count(f), i = 0;
	const char *k;
	json_t *v;

	*names = malloc((n ? n : 1) * sizeof(**names));
	if (!*names)
		return (size_t)-1;
	if (n) {
		json_object_foreach(f->secrets, k, v)
		{
			(void)v;
			(*names)[i++] = k;
		}
		qsort(*names, n, sizeof(**names), cmp_str);
	}
	return n;
}

int ph_secrets_file_entry(const struct ph_secrets_file *f, const char *name,
			  struct ph_secret_entry *e)
{
	json_t *v = f->secrets ? json_object_get(f->secrets, name) : NULL;

	memset(e, 0, sizeof(*e));
	if (!v)
		return PH_E_NOTFOUND;
	if (!json_is_object(v))
		return 0;
	e->is_object = 1;
	e->ciphertext = json_string_value(json_object_get(v, "ciphertext"));
	e->created = json_string_value(json_object_get(v, "created"));
	e->updated = json_string_value(json_object_get(v, "updated"));
	return 0;
}

int ph_secrets_file_put(struct ph_secrets_file *f, const unsigned char key[PH_SECRETS_KEYBYTES],
			const char *name, const void *value, size_t len, const char *now,
			struct ph_err *err)
{
	char stamp[PH_SECRETS_TIME_MAX];
	char *b64;
	json_t *entry, *ct, *ts;
	int rc;

	if (!ph_secrets_name_valid(name))
		return ph_error(err, PH_E_INVALID,
				"invalid secret name '%s': expected ^[A-Za-z_][A-Za-z0-9_]*$",
				name);
	if (!now) {
		ph_secrets_now(stamp);
		now = stamp;
	}
	rc = ph_secrets_encrypt(key, value, len, &b64, err);
	if (rc)
		return rc;
	ct = json_string(b64);
	free(b64);
	ts = json_string(now);
	if (!ct || !ts)
		goto nomem;
	entry = json_object_get(f->secrets, name);
	if (json_is_object(entry)) {
		/* Replace in place: the entry keeps its position, "created" and other keys. */
		if (json_object_set(entry, "ciphertext", ct) ||
		    (!json_is_string(json_object_get(entry, "created")) &&
		     json_object_set(entry, "created", ts)) ||
		    json_object_set(entry, "updated", ts))
			goto nomem;
	} else {
		entry = json_pack("{s:O,s:O,s:O}", "ciphertext", ct, "created", ts, "updated", ts);
		if (!entry || json_object_set_new(f->secrets, name, entry))
			goto nomem;
	}
	json_decref(ct);
	json_decref(ts);
	return 0;
nomem:
	json_decref(ct);
	json_decref(ts);
	return ph_error(err, PH_E_NOMEM, "out of memory storing '%s' in '%s'", name,
			f->path ? f->path : "secrets file");
}

char *ph_secrets_file_dump(const struct ph_secrets_file *f)
{
	return json_dumps(f->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
}

int ph_secrets_file_save(const struct ph_secrets_file *f, const char *path, struct ph_err *err)
{
	char *s = ph_secrets_file_dump(f);
	int rc;

	if (!s)
		return ph_error(err, PH_E_NOMEM, "cannot serialise '%s'", path);
	rc = ph_file_write_atomic(path, s, strlen(s), 0600, err);
	free(s);
	return rc;
}
