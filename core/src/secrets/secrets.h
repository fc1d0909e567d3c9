/*
 * The Signet secrets format (`$SIGNET_PATH/.secrets/secrets.enc`, CONTRACT.md §9) as a
 * library, on libsodium: the machine id, the key derived from it (unkeyed BLAKE2b-256 of
 * "signet:secrets:" + machine id), one value sealed as base64(nonce(24) || secretbox), the
 * JSON envelope {"version":1,"secrets":{NAME:{ciphertext,created,updated}}} loaded, edited
 * and written back the way the TypeScript daemon writes it, a per-entry check that says why
 * an entry does not decrypt (including the Rust daemon's unencrypted plain-base64 values),
 * and a comparison of two files whose plaintexts only ever meet as keyed hashes. No CLI
 * concerns live here: the `parity secrets` command and the secrets domain plugin both use
 * it. Plaintext buffers are wiped before they are freed, and no function puts a value in
 * an error message. secrets.c holds keys and single values, file.c the envelope, verify.c
 * the check and the comparison.
 */
#ifndef PARITY_SECRETS_H
#define PARITY_SECRETS_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

#define PH_SECRETS_KEYBYTES 32			/* crypto_secretbox_KEYBYTES */
#define PH_SECRETS_NONCEBYTES 24		/* crypto_secretbox_NONCEBYTES */
#define PH_SECRETS_MACBYTES 16			/* crypto_secretbox_MACBYTES */
#define PH_SECRETS_FILE_MAX ((size_t)64 << 20)	/* larger secrets files are refused */
#define PH_SECRETS_VALUE_MAX ((size_t)16 << 20) /* largest value encrypt accepts */
#define PH_SECRETS_MACHINE_ID_MAX 256		/* buffer size for a machine id */
#define PH_SECRETS_TIME_MAX 32			/* buffer size for ph_secrets_now */

/* What became of one entry when it was decrypted; see ph_secret_status_str. */
enum ph_secret_status {
	PH_SECRET_OK = 0,	/* decrypted to valid UTF-8 */
	PH_SECRET_BAD_ENTRY,	/* not an object with a string "ciphertext" */
	PH_SECRET_BAD_BASE64,	/* ciphertext is not standard padded base64 */
	PH_SECRET_PLAIN_BASE64, /* base64 of printable text, not of nonce+box: stored unencrypted */
	PH_SECRET_TOO_SHORT,	/* fewer than nonce + tag (40) bytes */
	PH_SECRET_MAC_FAILED,	/* wrong key, or ciphertext corrupted */
	PH_SECRET_NOT_UTF8	/* decrypted, but the plaintext is not UTF-8 */
};

/* A short lower-case explanation of st ("wrong key or corrupted (mac check failed)"). */
const char *ph_secret_status_str(enum ph_secret_status st);

/* Initialise libsodium (idempotent). Every other function assumes it succeeded. */
int ph_secrets_init(struct ph_err *err);

/* 1 when name matches ^[A-Za-z_][A-Za-z0-9_]*$, else 0. */
int ph_secrets_name_valid(const char *name);

/*
 * The machine id the daemons derive the key from: override when non-NULL, else the first
 * non-empty (trimmed) of /etc/machine-id and /var/lib/dbus/machine-id, else
 * "<hostname>-<$USER or $USERNAME or 'user'>". Written NUL-terminated to out (cap bytes,
 * PH_SECRETS_MACHINE_ID_MAX is enough). Returns 0 or PH_E_INVALID when it does not fit.
 */
int ph_secrets_machine_id(const char *override, char *out, size_t cap, struct ph_err *err);

/* The same, reading the n candidate files in paths instead of the system ones (tests). */
int ph_secrets_machine_id_from(const char *const *paths, size_t n, char *out, size_t cap,
			       struct ph_err *err);

/* key = BLAKE2b-256("signet:secrets:" + machine_id), unkeyed. Returns 0 or PH_E_CRYPTO. */
int ph_secrets_derive_key(const char *machine_id, unsigned char key[PH_SECRETS_KEYBYTES],
			  struct ph_err *err);

/*
 * Seal len bytes of value under key with a random nonce; *b64 is a new string (caller
 * frees) holding base64(nonce || secretbox), standard alphabet with padding.
 */
int ph_secrets_encrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const void *value, size_t len,
		       char **b64, struct ph_err *err);

/* The same with an explicit nonce: only for test vectors; never reuse a nonce. */
int ph_secrets_encrypt_nonce(const unsigned char key[PH_SECRETS_KEYBYTES],
			     const unsigned char nonce[PH_SECRETS_NONCEBYTES], const void *value,
			     size_t len, char **b64, struct ph_err *err);

/*
 * Open one base64 ciphertext and say in *st what became of it. On PH_SECRET_OK (and
 * PH_SECRET_NOT_UTF8) *value, when value is non-NULL, is a new NUL-terminated buffer of
 * *len bytes, to be released with ph_secrets_value_free; otherwise *value is NULL. value
 * may be NULL to only classify the entry. Returns 0, or PH_E_NOMEM (then *st is unset).
 */
int ph_secrets_decrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const char *b64,
		       enum ph_secret_status *st, unsigned char **value, size_t *len);

/* Wipe and free a plaintext from ph_secrets_decrypt (NULL is fine). */
void ph_secrets_value_free(unsigned char *value, size_t len);

/* The current UTC time as the TS daemon writes it: "2026-01-02T03:04:05.678Z". */
void ph_secrets_now(char out[PH_SECRETS_TIME_MAX]);

/* A loaded secrets.enc. Caller-allocated; fields are read-only for users. */
struct ph_secrets_file {
	char *path;	 /* where it was loaded from, for messages (owned) */
	json_t *doc;	 /* the whole document, key order kept (owned) */
	json_t *secrets; /* doc's "secrets" object (borrowed from doc) */
};

/* One entry's fields, borrowed from the file; NULL when absent or not a string. */
struct ph_secret_entry {
	const char *ciphertext;
	const char *created;
	const char *updated;
	int is_object; /* 0 when the entry itself is not a JSON object */
};

/*
 * Load and validate the envelope of the file at path (at most PH_SECRETS_FILE_MAX bytes):
 * a JSON object with "version" 1 and an object "secrets". Malformed JSON is reported as
 * path:line:col; a wrong version or shape names the key. Entries are not validated here
 * (ph_secrets_check does that). On success f owns the document; release it with
 * ph_secrets_file_release. On failure f is left empty.
 */
int ph_secrets_file_load(const char *path, struct ph_secrets_file *f, struct ph_err *err);

/* The same from a buffer; source names it in messages. */
int ph_secrets_file_parse(const char *source, const char *data, size_t len,
			  struct ph_secrets_file *f, struct ph_err *err);

/* An empty store {"version":1,"secrets":{}} that will be saved to path. */
int ph_secrets_file_init(struct ph_secrets_file *f, const char *path, struct ph_err *err);

/* Free what f owns and leave it empty (safe to call twice). */
void ph_secrets_file_release(struct ph_secrets_file *f);

/* Number of entries. */
size_t ph_secrets_file_count(const struct ph_secrets_file *f);

/*
 * The entry names sorted bytewise: *names is a new array (free it with free()) of
 * strings borrowed from f, valid until f changes. Returns the count, or (size_t)-1 when
 * out of memory.
 */
size_t ph_secrets_file_names(const struct ph_secrets_file *f, const char ***names);

/* Fill e for name; returns 0 or PH_E_NOTFOUND (e zeroed). */
int ph_secrets_file_entry(const struct ph_secrets_file *f, const char *name,
			  struct ph_secret_entry *e);

/*
 * Encrypt value under key and store it as name: a new entry gets created = updated = now;
 * an existing one keeps its "created" (and any other keys) and gets a new ciphertext and
 * updated = now. Other entries are untouched. now may be NULL (the current time). Names
 * that fail ph_secrets_name_valid are refused with PH_E_INVALID.
 */
int ph_secrets_file_put(struct ph_secrets_file *f, const unsigned char key[PH_SECRETS_KEYBYTES],
			const char *name, const void *value, size_t len, const char *now,
			struct ph_err *err);

/*
 * Serialise f as the TS daemon does (JSON.stringify(store, null, 2): two-space indent,
 * key order kept, no trailing newline). Caller frees; NULL when out of memory.
 */
char *ph_secrets_file_dump(const struct ph_secrets_file *f);

/* Write f to path atomically (temporary file, then rename) with mode 0600. */
int ph_secrets_file_save(const struct ph_secrets_file *f, const char *path, struct ph_err *err);

/* One entry's result in a check. */
struct ph_secrets_check_item {
	const char *name; /* borrowed from the file */
	int name_valid;	  /* ph_secrets_name_valid(name) */
	enum ph_secret_status status;
};

/* The result of ph_secrets_check: items sorted by name. */
struct ph_secrets_check {
	struct ph_secrets_check_item *items; /* owned */
	size_t n;
	size_t n_ok;	 /* name valid and PH_SECRET_OK */
	size_t n_failed; /* the others */
};

/*
 * Try every entry of f under key and classify it; nothing is kept of the plaintexts.
 * out borrows names from f (keep f alive while reading out). Release with
 * ph_secrets_check_release. Returns 0 or PH_E_NOMEM.
 */
int ph_secrets_check(const struct ph_secrets_file *f, const unsigned char key[PH_SECRETS_KEYBYTES],
		     struct ph_secrets_check *out, struct ph_err *err);

void ph_secrets_check_release(struct ph_secrets_check *c);

/* How one name differs between two files. */
enum ph_secrets_diff_kind {
	PH_SECRETS_ONLY_A,	  /* present in A only */
	PH_SECRETS_ONLY_B,	  /* present in B only */
	PH_SECRETS_VALUE_DIFFERS, /* both decrypt, plaintexts differ */
	PH_SECRETS_FAILS_A,	  /* A's entry does not decrypt (status says why) */
	PH_SECRETS_FAILS_B	  /* B's entry does not decrypt */
};

/* Name of a diff kind ("only in a", "value differs", ...). */
const char *ph_secrets_diff_kind_str(enum ph_secrets_diff_kind k);

struct ph_secrets_diff {
	enum ph_secrets_diff_kind kind;
	const char *name;	      /* borrowed from A or B */
	enum ph_secret_status status; /* for FAILS_A / FAILS_B */
};

/* The result of ph_secrets_verify: diffs in name order. */
struct ph_secrets_verify {
	struct ph_secrets_diff *diffs; /* owned */
	size_t n_diffs;
	size_t n_same; /* names on both sides whose plaintexts are equal */
};

/*
 * Compare A (under key_a) with B (under key_b): same names, same plaintexts. Plaintexts
 * are compared only as BLAKE2b digests keyed with a random key made for this call, in
 * constant time, and wiped right after hashing. out borrows names from a and b.
 * Returns 0 (out->n_diffs == 0 means identical) or PH_E_NOMEM / PH_E_CRYPTO.
 */
int ph_secrets_verify(const struct ph_secrets_file *a,
		      const unsigned char key_a[PH_SECRETS_KEYBYTES],
		      const struct ph_secrets_file *b,
		      const unsigned char key_b[PH_SECRETS_KEYBYTES], struct ph_secrets_verify *out,
		      struct ph_err *err);

void ph_secrets_verify_release(struct ph_secrets_verify *v);

#endif
