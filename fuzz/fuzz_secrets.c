/*
 * Fuzz target: reading a Signet secrets.enc. The input is parsed as a secrets file
 * (ph_secrets_file_parse); a file that parses is checked entry by entry under a key
 * derived from a fixed machine id, compared with itself (every name that decrypts must
 * be "same"), listed and dumped back. Inputs that are not a secrets file are also tried
 * as one base64 ciphertext.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "secrets/secrets.h"

static unsigned char key[PH_SECRETS_KEYBYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ph_err err;

	(void)argc;
	(void)argv;
	if (ph_secrets_init(&err) || ph_secrets_derive_key("fuzz-machine-id", key, &err)) {
		fprintf(stderr, "fuzz_secrets: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ph_secrets_file f = { 0 };
	struct ph_err err;

	if (!ready)
		ready = !LLVMFuzzerInitialize(NULL, NULL);
	if (!ph_secrets_file_parse("fuzz-secrets.enc", (const char *)data, size, &f, &err)) {
		struct ph_secrets_check c;
		struct ph_secrets_verify v;
		const char **names = NULL;
		size_t n = ph_secrets_file_names(&f, &names), i;
		char *dump;

		for (i = 0; n != (size_t)-1 && i < n; i++) {
			struct ph_secret_entry e;

			if (ph_secrets_file_entry(&f, names[i], &e))
				abort(); /* a listed name must be found */
		}
		free(names);
		if (!ph_secrets_check(&f, key, &c, &err)) {
			if (c.n_ok + c.n_failed != c.n || c.n != ph_secrets_file_count(&f))
				abort();
			ph_secrets_check_release(&c);
		}
		if (!ph_secrets_verify(&f, key, &f, key, &v, &err)) {
			for (i = 0; i < v.n_diffs; i++)
				if (v.diffs[i].kind == PH_SECRETS_VALUE_DIFFERS)
					abort(); /* a file differs from itself */
			ph_secrets_verify_release(&v);
		}
		dump = ph_secrets_file_dump(&f);
		free(dump);
		ph_secrets_file_release(&f);
	} else {
		char *b64 = fz_strndup((const char *)data, size);
		enum ph_secret_status st;
		unsigned char *value = NULL;
		size_t len = 0;

		if (!ph_secrets_decrypt(key, b64, &st, &value, &len))
			ph_secrets_value_free(value, len);
		free(b64);
	}
	return 0;
}
