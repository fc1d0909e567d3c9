/*
 * The host's secrets-file services (parity/plugin.h secrets_check, secrets_verify,
 * secrets_copy) over core/src/secrets: keys derived from machine ids, values never
 * handed to plugins, only statuses and keyed-hash comparisons.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"
#include "run/host_impl.h"
#include "secrets/secrets.h"

/* The key for machine_id (NULL: this machine's), after libsodium is initialised. */
static int secrets_key(const char *machine_id, unsigned char key[PH_SECRETS_KEYBYTES],
		       struct ph_err *err)
{
	char mid[PH_SECRETS_MACHINE_ID_MAX];
	int rc;

	if ((rc = ph_secrets_init(err)) || (rc = ph_secrets_machine_id(machine_id, mid,
								       sizeof(mid), err)))
		return rc;
	rc = ph_secrets_derive_key(mid, key, err);
	sodium_memzero(mid, sizeof(mid));
	return rc;
}

int ph_host_secrets_check(struct ph_run *run, const char *path, const char *machine_id,
			      json_t **report, struct ph_err *err)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f = { 0 };
	struct ph_secrets_check c = { 0 };
	json_t *entries;
	size_t i;
	int rc;

	(void)run;
	*report = NULL;
	if ((rc = secrets_key(machine_id, key, err)))
		return rc;
	if (!(rc = ph_secrets_file_load(path, &f, err)))
		rc = ph_secrets_check(&f, key, &c, err);
	sodium_memzero(key, sizeof(key));
	if (rc) {
		ph_secrets_file_release(&f);
		return rc;
	}
	entries = json_array();
	for (i = 0; i < c.n; i++)
		json_array_append_new(entries,
				      json_pack("{s:s, s:s}", "name", c.items[i].name, "status",
						c.items[i].name_valid ?
							ph_secret_status_str(c.items[i].status) :
							"invalid name"));
	*report = json_pack("{s:o, s:I, s:I}", "entries", entries, "n_ok", (json_int_t)c.n_ok,
			    "n_failed", (json_int_t)c.n_failed);
	ph_secrets_check_release(&c);
	ph_secrets_file_release(&f);
	return *report ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

int ph_host_secrets_verify(struct ph_run *run, const char *a, const char *b,
			       const char *machine_id_a, const char *machine_id_b,
			       json_t **report, struct ph_err *err)
{
	unsigned char ka[PH_SECRETS_KEYBYTES], kb[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file fa = { 0 }, fb = { 0 };
	struct ph_secrets_verify v = { 0 };
	json_t *diffs;
	size_t i;
	int rc;

	(void)run;
	*report = NULL;
	if (!(rc = secrets_key(machine_id_a, ka, err)) && !(rc = secrets_key(machine_id_b, kb, err)) &&
	    !(rc = ph_secrets_file_load(a, &fa, err)) && !(rc = ph_secrets_file_load(b, &fb, err)))
		rc = ph_secrets_verify(&fa, ka, &fb, kb, &v, err);
	sodium_memzero(ka, sizeof(ka));
	sodium_memzero(kb, sizeof(kb));
	if (!rc) {
		diffs = json_array();
		for (i = 0; i < v.n_diffs; i++) {
			const struct ph_secrets_diff *d = &v.diffs[i];
			json_t *o = json_pack("{s:s, s:s}", "name", d->name, "kind",
					      ph_secrets_diff_kind_str(d->kind));

			if (d->kind == PH_SECRETS_FAILS_A || d->kind == PH_SECRETS_FAILS_B)
				json_object_set_new(o, "status",
						    json_string(ph_secret_status_str(d->status)));
			json_array_append_new(diffs, o);
		}
		*report = json_pack("{s:I, s:o}", "n_same", (json_int_t)v.n_same, "diffs", diffs);
		if (!*report)
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
	}
	ph_secrets_verify_release(&v);
	ph_secrets_file_release(&fa);
	ph_secrets_file_release(&fb);
	return rc;
}

int ph_host_secrets_copy(struct ph_run *run, const char *src, const char *src_machine_id,
			     const char *dst, const char *dst_machine_id, struct ph_err *err)
{
	unsigned char ks[PH_SECRETS_KEYBYTES], kd[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f = { 0 };
	const char **names = NULL;
	size_t i, n;
	int rc;

	(void)run;
	if (!strcmp(src, dst))
		return ph_error(err, PH_E_INVALID, "'%s': a secrets file is never copied onto itself",
				src);
	if ((rc = secrets_key(src_machine_id, ks, err)) || (rc = secrets_key(dst_machine_id, kd, err)))
		goto out;
	if (sodium_memcmp(ks, kd, sizeof(ks)) == 0) {
		/* same key: the very bytes, once they are known to be a secrets file */
		char *data = NULL;
		size_t len = 0;

		if (!(rc = ph_file_read(src, PH_SECRETS_FILE_MAX, &data, &len, err)) &&
		    !(rc = ph_secrets_file_parse(src, data, len, &f, err)))
			rc = ph_file_write_atomic(dst, data, len, 0600, err);
		free(data);
		goto out;
	}
	if ((rc = ph_secrets_file_load(src, &f, err)))
		goto out;
	{
		n = ph_secrets_file_names(&f, &names);
		if (n == (size_t)-1) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n && !rc; i++) {
			struct ph_secret_entry e;
			enum ph_secret_status st;
			unsigned char *value = NULL;
			size_t len = 0;
			char *updated;

			if (ph_secrets_file_entry(&f, names[i], &e) || !e.ciphertext)
				continue;
			if (ph_secrets_decrypt(ks, e.ciphertext, &st, &value, &len)) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				break;
			}
			if (st == PH_SECRET_OK) {
				updated = e.updated ? strdup(e.updated) : NULL;
				rc = ph_secrets_file_put(&f, kd, names[i], value, len, updated, err);
				free(updated);
			}
			ph_secrets_value_free(value, len);
		}
	}
	if (!rc)
		rc = ph_secrets_file_save(&f, dst, err);
out:
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(kd, sizeof(kd));
	free(names);
	ph_secrets_file_release(&f);
	return rc;
}
