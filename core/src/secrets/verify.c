/*
 * Checking one secrets store and comparing two (secrets.h): every entry opened with the
 * machine's key and classed by why it does not open, and two stores compared name by
 * name, their plaintexts only as digests keyed with a random key that lives for one
 * comparison, so no value is ever compared or kept in the clear longer than it takes to
 * hash it.
 */
#include "secrets/secrets.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

const char *ph_secrets_diff_kind_str(enum ph_secrets_diff_kind k)
{
	static const char *const text[] = {
	    [PH_SECRETS_ONLY_A] = "only in a",
	    [PH_SECRETS_ONLY_B] = "only in b",
	    [PH_SECRETS_VALUE_DIFFERS] = "value differs",
	    [PH_SECRETS_FAILS_A] = "does not decrypt in a",
	    [PH_SECRETS_FAILS_B] = "does not decrypt in b",
	};

	return (unsigned)k < sizeof(text) / sizeof(text[0]) ? text[k] : "unknown";
}

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
	rc = ph_secrets_decrypt(key, json_string_value(ct), st, value, len);
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
