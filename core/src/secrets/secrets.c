/*
 * The Signet secrets format on libsodium (see secrets.h and CONTRACT.md §9): key
 * derivation from the machine id, sealing and opening single values, the JSON envelope
 * loaded and written back in the TypeScript daemon's layout, a per-entry check that tells
 * why an entry does not open, and a comparison of two stores through keyed hashes.
 * Every buffer that may hold a plaintext (decrypted values, and decoded base64 that may be
 * an unencrypted value) is wiped with sodium_memzero before it is freed.
 */
#include "secrets/secrets.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "parity/jsonio.h"

#define KEY_PREFIX "signet:secrets:"
#define BOX_OVERHEAD (PH_SECRETS_NONCEBYTES + PH_SECRETS_MACBYTES)

const char *ph_secret_status_str(enum ph_secret_status st)
{
	switch (st) {
	case PH_SECRET_OK:
		return "ok";
	case PH_SECRET_BAD_ENTRY:
		return "entry is not an object with a string 'ciphertext'";
	case PH_SECRET_BAD_BASE64:
		return "ciphertext is not valid base64 (standard alphabet with padding)";
	case PH_SECRET_PLAIN_BASE64:
		return "looks like unencrypted base64 (plain text, no nonce or tag)";
	case PH_SECRET_TOO_SHORT:
		return "ciphertext too short (fewer than 24+16 bytes of nonce and tag)";
	case PH_SECRET_MAC_FAILED:
		return "wrong key or corrupted (mac check failed)";
	case PH_SECRET_NOT_UTF8:
		return "decrypts, but the value is not utf-8";
	}
	return "unknown status";
}

const char *ph_secrets_diff_kind_str(enum ph_secrets_diff_kind k)
{
	switch (k) {
	case PH_SECRETS_ONLY_A:
		return "only in a";
	case PH_SECRETS_ONLY_B:
		return "only in b";
	case PH_SECRETS_VALUE_DIFFERS:
		return "value differs";
	case PH_SECRETS_FAILS_A:
		return "does not decrypt in a";
	case PH_SECRETS_FAILS_B:
		return "does not decrypt in b";
	}
	return "unknown";
}

int ph_secrets_init(struct ph_err *err)
{
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "libsodium could not be initialised");
	return 0;
}

int ph_secrets_name_valid(const char *name)
{
	const char *p;

	if (!name ||
	    !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
		return 0;
	for (p = name + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* ---- machine id ---------------------------------------------------------------------- */

static int is_js_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int put_id(const char *s, size_t n, char *out, size_t cap, struct ph_err *err)
{
	if (n + 1 > cap)
		return ph_error(err, PH_E_INVALID, "machine id is longer than %zu bytes", cap - 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int ph_secrets_machine_id_from(const char *const *paths, size_t n, char *out, size_t cap,
			       struct ph_err *err)
{
	const char *user;
	char host[256];
	size_t i;

	if (!cap)
		return ph_error(err, PH_E_INVALID, "no room for a machine id");
	for (i = 0; i < n; i++) {
		char *data = NULL;
		size_t len = 0, a = 0, b;
		int rc;

		/* Like the daemon, an unreadable candidate is skipped, not an error. */
		if (ph_file_read(paths[i], 4096, &data, &len, NULL))
			continue;
		b = len;
		while (a < b && is_js_space((unsigned char)data[a]))
			a++;
		while (b > a && is_js_space((unsigned char)data[b - 1]))
			b--;
		if (b == a || memchr(data + a, '\0', b - a)) {
			free(data);
			continue;
		}
		rc = put_id(data + a, b - a, out, cap, err);
		free(data);
		return rc;
	}
	if (gethostname(host, sizeof(host)) != 0)
		return ph_error(err, PH_E_IO, "cannot read the host name: %s", strerror(errno));
	host[sizeof(host) - 1] = '\0';
	user = getenv("USER");
	if (!user || !*user)
		user = getenv("USERNAME");
	if (!user || !*user)
		user = "user";
	if (strlen(host) + 1 + strlen(user) + 1 > cap)
		return ph_error(err, PH_E_INVALID, "machine id is longer than %zu bytes", cap - 1);
	snprintf(out, cap, "%s-%s", host, user);
	return 0;
}

int ph_secrets_machine_id(const char *override, char *out, size_t cap, struct ph_err *err)
{
	static const char *const system_paths[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};

	if (override) {
		if (!*override)
			return ph_error(err, PH_E_INVALID, "machine id is empty");
		return put_id(override, strlen(override), out, cap, err);
	}
	return ph_secrets_machine_id_from(system_paths, 2, out, cap, err);
}

int ph_secrets_derive_key(const char *machine_id, unsigned char key[PH_SECRETS_KEYBYTES],
			  struct ph_err *err)
{
	crypto_generichash_state st;

	if (crypto_generichash_init(&st, NULL, 0, PH_SECRETS_KEYBYTES) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)KEY_PREFIX,
				      sizeof(KEY_PREFIX) - 1) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)machine_id, strlen(machine_id)) !=
		0 ||
	    crypto_generichash_final(&st, key, PH_SECRETS_KEYBYTES) != 0) {
		sodium_memzero(&st, sizeof(st));
		return ph_error(err, PH_E_CRYPTO, "key derivation failed");
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* ---- one value ----------------------------------------------------------------------- */

int ph_secrets_encrypt_nonce(const unsigned char key[PH_SECRETS_KEYBYTES],
			     const unsigned char nonce[PH_SECRETS_NONCEBYTES], const void *value,
			     size_t len, char **b64, struct ph_err *err)
{
	size_t n, blen;
	unsigned char *box;

	*b64 = NULL;
	if (len > PH_SECRETS_VALUE_MAX)
		return ph_error(err, PH_E_INVALID, "value is larger than %zu bytes",
				PH_SECRETS_VALUE_MAX);
	n = BOX_OVERHEAD + len;
	box = malloc(n);
	blen = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	*b64 = malloc(blen);
	if (!box || !*b64) {
		free(box);
		free(*b64);
		*b64 = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory encrypting a value");
	}
	memcpy(box, nonce, PH_SECRETS_NONCEBYTES);
	if (crypto_secretbox_easy(box + PH_SECRETS_NONCEBYTES, value, len, nonce, key) != 0) {
		free(box);
		free(*b64);
		*b64 = NULL;
		return ph_error(err, PH_E_CRYPTO, "encryption failed");
	}
	sodium_bin2base64(*b64, blen, box, n, sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return 0;
}

int ph_secrets_encrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const void *value, size_t len,
		       char **b64, struct ph_err *err)
{
	unsigned char nonce[PH_SECRETS_NONCEBYTES];

	randombytes_buf(nonce, sizeof(nonce));
	return ph_secrets_encrypt_nonce(key, nonce, value, len, b64, err);
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k, need;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * Printable UTF-8 text (no control characters but tab and line ends): what the Rust
 * daemon's plain base64 decodes to. A real nonce+box is random bytes, and 40 or more of
 * them are printable with a probability far below 1e-15.
 */
static int printable_text(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F)
			return 0;
	return utf8_valid(s, n);
}

static int decrypt_n(const unsigned char key[PH_SECRETS_KEYBYTES], const char *b64, size_t b64len,
		     enum ph_secret_status *st, unsigned char **value, size_t *len)
{
	size_t cap = b64len / 4 * 3 + 3, binlen = 0, plen;
	unsigned char *bin, *plain;

	if (value)
		*value = NULL;
	if (len)
		*len = 0;
	if (b64len == 0) {
		/* The Rust daemon accepts and stores an empty value as "". */
		*st = PH_SECRET_PLAIN_BASE64;
		return 0;
	}
	bin = malloc(cap);
	if (!bin)
		return PH_E_NOMEM;
	if (sodium_base642bin(bin, cap, b64, b64len, NULL, &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		sodium_memzero(bin, cap);
		free(bin);
		*st = PH_SECRET_BAD_BASE64;
		return 0;
	}
	if (binlen < BOX_OVERHEAD) {
		*st = printable_text(bin, binlen) ? PH_SECRET_PLAIN_BASE64 : PH_SECRET_TOO_SHORT;
		sodium_memzero(bin, cap);
		free(bin);
		return 0;
	}
	plen = binlen - BOX_OVERHEAD;
	plain = malloc(plen + 1);
	if (!plain) {
		sodium_memzero(bin, cap);
		free(bin);
		return PH_E_NOMEM;
	}
	if (crypto_secretbox_open_easy(plain, bin + PH_SECRETS_NONCEBYTES,
				       binlen - PH_SECRETS_NONCEBYTES, bin, key) != 0) {
		*st = printable_text(bin, binlen) ? PH_SECRET_PLAIN_BASE64 : PH_SECRET_MAC_FAILED;
		sodium_memzero(bin, cap);
		free(bin);
		sodium_memzero(plain, plen + 1);
		free(plain);
		return 0;
	}
	sodium_memzero(bin, cap);
	free(bin);
	plain[plen] = '\0';
	*st = utf8_valid(plain, plen) ? PH_SECRET_OK : PH_SECRET_NOT_UTF8;
	if (value) {
		*value = plain;
		if (len)
			*len = plen;
	} else {
		ph_secrets_value_free(plain, plen);
	}
	return 0;
}

int ph_secrets_decrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const char *b64,
		       enum ph_secret_status *st, unsigned char **value, size_t *len)
{
	return decrypt_n(key, b64, strlen(b64), st, value, len);
}

void ph_secrets_value_free(unsigned char *value, size_t len)
{
	if (!value)
		return;
	sodium_memzero(value, len + 1);
	free(value);
}

void ph_secrets_now(char out[PH_SECRETS_TIME_MAX])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, PH_SECRETS_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, PH_SECRETS_TIME_MAX - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* ---- the envelope -------------------------------------------------------------------- */

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

/* ---- check and verify ---------------------------------------------------------------- */

/* Classify name's entry in f; with value non-NULL, keep the plaintext on PH_SECRET_OK. */
static int open_entry(const struct ph_secrets_file *f, const unsigned char key[PH_SECRETS_KEYBYTES],
		      const char *name, enum ph_secret_status *st, unsigned char **value,
		      size_t *len)
{
	json_t *e = json_object_get(f->secrets, name);
	json_t *ct = json_is_object(e) ? json_object_get(e, "ciphertext") : NULL;
	int rc;

	if (value)
		*value = NULL;
	if (!json_is_string(ct)) {
		*st = PH_SECRET_BAD_ENTRY;
		return 0;
	}
	if (strlen(json_string_value(ct)) != json_string_length(ct)) {
		*st = PH_SECRET_BAD_BASE64; /* an embedded NUL */
		return 0;
	}
	rc = decrypt_n(key, json_string_value(ct), json_string_length(ct), st, value, len);
	if (rc == 0 && value && *st != PH_SECRET_OK) {
		ph_secrets_value_free(*value, *len);
		*value = NULL;
	}
	return rc;
}

int ph_secrets_check(const struct ph_secrets_file *f, const unsigned char key[PH_SECRETS_KEYBYTES],
		     struct ph_secrets_check *out, struct ph_err *err)
{
	const char **names;
	size_t n, i;

	memset(out, 0, sizeof(*out));
	n = ph_secrets_file_names(f, &names);
	if (n == (size_t)-1)
		return ph_error(err, PH_E_NOMEM, "out of memory checking '%s'", f->path);
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items) {
		free(names);
		return ph_error(err, PH_E_NOMEM, "out of memory checking '%s'", f->path);
	}
	for (i = 0; i < n; i++) {
		struct ph_secrets_check_item *it = &out->items[i];

		it->name = names[i];
		it->name_valid = ph_secrets_name_valid(names[i]);
		if (open_entry(f, key, names[i], &it->status, NULL, NULL)) {
			free(names);
			ph_secrets_check_release(out);
			return ph_error(err, PH_E_NOMEM, "out of memory checking '%s'", f->path);
		}
		out->n++;
		if (it->name_valid && it->status == PH_SECRET_OK)
			out->n_ok++;
		else
			out->n_failed++;
	}
	free(names);
	return 0;
}

void ph_secrets_check_release(struct ph_secrets_check *c)
{
	if (!c)
		return;
	free(c->items);
	memset(c, 0, sizeof(*c));
}

static void add_diff(struct ph_secrets_verify *v, enum ph_secrets_diff_kind k, const char *name,
		     enum ph_secret_status st)
{
	v->diffs[v->n_diffs].kind = k;
	v->diffs[v->n_diffs].name = name;
	v->diffs[v->n_diffs].status = st;
	v->n_diffs++;
}

/* Decrypt name on both sides and compare the plaintexts as digests keyed with hk. */
static int compare_one(struct ph_secrets_verify *out, const struct ph_secrets_file *a,
		       const unsigned char *key_a, const struct ph_secrets_file *b,
		       const unsigned char *key_b, const char *name_a, const char *name_b,
		       const unsigned char hk[crypto_generichash_KEYBYTES])
{
	unsigned char *va = NULL, *vb = NULL;
	unsigned char da[crypto_generichash_BYTES], db[crypto_generichash_BYTES];
	size_t la = 0, lb = 0;
	enum ph_secret_status sa, sb;
	int rc;

	rc = open_entry(a, key_a, name_a, &sa, &va, &la);
	if (rc)
		return rc;
	rc = open_entry(b, key_b, name_b, &sb, &vb, &lb);
	if (rc) {
		ph_secrets_value_free(va, la);
		return rc;
	}
	if (sa != PH_SECRET_OK)
		add_diff(out, PH_SECRETS_FAILS_A, name_a, sa);
	if (sb != PH_SECRET_OK)
		add_diff(out, PH_SECRETS_FAILS_B, name_b, sb);
	if (sa == PH_SECRET_OK && sb == PH_SECRET_OK) {
		crypto_generichash(da, sizeof(da), va, la, hk, crypto_generichash_KEYBYTES);
		crypto_generichash(db, sizeof(db), vb, lb, hk, crypto_generichash_KEYBYTES);
		if (sodium_memcmp(da, db, sizeof(da)) == 0)
			out->n_same++;
		else
			add_diff(out, PH_SECRETS_VALUE_DIFFERS, name_a, PH_SECRET_OK);
		sodium_memzero(da, sizeof(da));
		sodium_memzero(db, sizeof(db));
	}
	ph_secrets_value_free(va, la);
	ph_secrets_value_free(vb, lb);
	return 0;
}

int ph_secrets_verify(const struct ph_secrets_file *a,
		      const unsigned char key_a[PH_SECRETS_KEYBYTES],
		      const struct ph_secrets_file *b,
		      const unsigned char key_b[PH_SECRETS_KEYBYTES], struct ph_secrets_verify *out,
		      struct ph_err *err)
{
	unsigned char hk[crypto_generichash_KEYBYTES];
	const char **na = NULL, **nb = NULL;
	size_t ca, cb, i = 0, j = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	ca = ph_secrets_file_names(a, &na);
	cb = ph_secrets_file_names(b, &nb);
	if (ca == (size_t)-1 || cb == (size_t)-1)
		goto nomem;
	/* Each name yields at most one diff per side it is on. */
	out->diffs = calloc(ca + cb + 1, sizeof(*out->diffs));
	if (!out->diffs)
		goto nomem;
	crypto_generichash_keygen(hk);
	while (i < ca || j < cb) {
		int c = i == ca ? 1 : j == cb ? -1 : strcmp(na[i], nb[j]);

		if (c < 0) {
			add_diff(out, PH_SECRETS_ONLY_A, na[i++], PH_SECRET_OK);
		} else if (c > 0) {
			add_diff(out, PH_SECRETS_ONLY_B, nb[j++], PH_SECRET_OK);
		} else {
			rc = compare_one(out, a, key_a, b, key_b, na[i], nb[j], hk);
			if (rc)
				break;
			i++;
			j++;
		}
	}
	sodium_memzero(hk, sizeof(hk));
	if (rc)
		goto nomem;
	free(na);
	free(nb);
	return 0;
nomem:
	if (ca != (size_t)-1)
		free(na);
	if (cb != (size_t)-1)
		free(nb);
	ph_secrets_verify_release(out);
	return ph_error(err, PH_E_NOMEM, "out of memory comparing '%s' and '%s'", a->path, b->path);
}

void ph_secrets_verify_release(struct ph_secrets_verify *v)
{
	if (!v)
		return;
	free(v->diffs);
	memset(v, 0, sizeof(*v));
}
