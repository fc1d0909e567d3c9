/*
 * Unit tests of the Signet secrets format and of `parity secrets`: the CONTRACT.md §9 test
 * vector byte for byte, key derivation and the machine id fallbacks, sealing and opening
 * values, malformed and hostile files, the detection of the Rust daemon's unencrypted
 * plain-base64 values, the keyed-hash comparison of two stores, encrypt keeping the other
 * entries and writing mode 0600, and the commands themselves (run in-process with stdio
 * redirected) never showing a value except through decrypt --reveal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "cli/cli.h"
#include "parity/jsonio.h"
#include "secrets/secrets.h"
#include "run/workspace.h"

#include "support.h"

#define VECTOR_ID "0123456789abcdef0123456789abcdef"
#define VECTOR_KEY "89668901ca038f2b54077c7155fd611822b64504672140c7ca6f8cdc6fd680f4"
#define VECTOR_CT "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/xmZVZL+XobLxITGaHeGKThi59pfXbQ="

/* Values used by the command tests; none may ever show up in their output. */
#define VALUE_1 "tok-Zq8vX3-first-value"
#define VALUE_2 "pw-K7mR2p-second-value"
#define VALUE_3 "key-Wd4nL9-third-value"

static void put(const char *rel, const char *text)
{
	t_write_in(t_dir, rel, text);
}

static char *get(const char *rel)
{
	char p[4096], *data = NULL;

	t_dir_path(p, sizeof(p), rel);
	if (ph_file_read(p, 0, &data, NULL, NULL))
		return NULL;
	return data;
}

static void key_of(const char *id, unsigned char key[PH_SECRETS_KEYBYTES])
{
	assert_int_equal(ph_secrets_derive_key(id, key, NULL), 0);
}

static char *sealed(const char *id, const char *value)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	char *b64;

	key_of(id, key);
	assert_int_equal(ph_secrets_encrypt(key, value, strlen(value), &b64, NULL), 0);
	return b64;
}

static char *b64_of(const void *bin, size_t n)
{
	size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(len);

	assert_non_null(s);
	sodium_bin2base64(s, len, bin, n, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

/* Load a store from text; the caller releases it. */
static void parse(const char *text, struct ph_secrets_file *f)
{
	struct ph_err err;
	int rc = ph_secrets_file_parse("mem.enc", text, strlen(text), f, &err);

	if (rc)
		fail_msg("parse failed: %s", err.msg);
}

static int setup(void **state)
{
	if (t_dir_setup(state))
		return -1;
	return ph_secrets_init(NULL);
}

/* ---- format ---------------------------------------------------------------------------- */

static void contract_vector(void **state)
{
	unsigned char key[PH_SECRETS_KEYBYTES], nonce[PH_SECRETS_NONCEBYTES] = {0};
	char hex[2 * PH_SECRETS_KEYBYTES + 1];
	unsigned char *value;
	enum ph_secret_status st;
	size_t len;
	char *b64;

	(void)state;
	key_of(VECTOR_ID, key);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	assert_string_equal(hex, VECTOR_KEY);

	assert_int_equal(ph_secrets_encrypt_nonce(key, nonce, "hunter2", 7, &b64, NULL), 0);
	assert_string_equal(b64, VECTOR_CT);
	free(b64);

	assert_int_equal(ph_secrets_decrypt(key, VECTOR_CT, &st, &value, &len), 0);
	assert_int_equal(st, PH_SECRET_OK);
	assert_int_equal(len, 7);
	assert_string_equal((char *)value, "hunter2");
	ph_secrets_value_free(value, len);
}

static void key_derivation(void **state)
{
	unsigned char k1[PH_SECRETS_KEYBYTES], k2[PH_SECRETS_KEYBYTES], k3[PH_SECRETS_KEYBYTES];
	unsigned char direct[PH_SECRETS_KEYBYTES];
	const char *joined = "signet:secrets:" VECTOR_ID;

	(void)state;
	key_of(VECTOR_ID, k1);
	key_of(VECTOR_ID, k2);
	key_of("0123456789abcdef0123456789abcdee", k3);
	assert_memory_equal(k1, k2, sizeof(k1));
	assert_memory_not_equal(k1, k3, sizeof(k1));
	/* The prefix is hashed together with the id, as one unkeyed 32-byte BLAKE2b. */
	crypto_generichash(direct, sizeof(direct), (const unsigned char *)joined, strlen(joined),
			   NULL, 0);
	assert_memory_equal(k1, direct, sizeof(k1));
	/* Not a truncated BLAKE2b-512. */
	{
		unsigned char wide[64];

		crypto_generichash(wide, sizeof(wide), (const unsigned char *)joined,
				   strlen(joined), NULL, 0);
		assert_memory_not_equal(k1, wide, sizeof(k1));
	}
}

static void machine_id_sources(void **state)
{
	char a[4096], b[4096], missing[4096], id[PH_SECRETS_MACHINE_ID_MAX], host[256], want[600];
	const char *paths[3];
	struct ph_err err;

	(void)state;
	t_dir_path(a, sizeof(a), "mid-empty");
	t_dir_path(b, sizeof(b), "mid-real");
	t_dir_path(missing, sizeof(missing), "mid-missing");
	put("mid-empty", " \n\t\n");
	put("mid-real", "  feedface0123\n");
	paths[0] = missing;
	paths[1] = a;
	paths[2] = b;
	assert_int_equal(ph_secrets_machine_id_from(paths, 3, id, sizeof(id), &err), 0);
	assert_string_equal(id, "feedface0123");

	/* An override wins, an empty one is an error, a too-long one does not fit. */
	assert_int_equal(ph_secrets_machine_id("given", id, sizeof(id), &err), 0);
	assert_string_equal(id, "given");
	assert_int_equal(ph_secrets_machine_id("", id, sizeof(id), &err), PH_E_INVALID);
	assert_int_equal(ph_secrets_machine_id("0123456789", id, 5, &err), PH_E_INVALID);

	/* No usable file: "<hostname>-<$USER or $USERNAME or 'user'>". */
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	setenv("USER", "alice", 1);
	assert_int_equal(ph_secrets_machine_id_from(paths, 2, id, sizeof(id), &err), 0);
	snprintf(want, sizeof(want), "%s-alice", host);
	assert_string_equal(id, want);
	setenv("USER", "", 1);
	setenv("USERNAME", "bob", 1);
	assert_int_equal(ph_secrets_machine_id_from(paths, 2, id, sizeof(id), &err), 0);
	snprintf(want, sizeof(want), "%s-bob", host);
	assert_string_equal(id, want);
	unsetenv("USER");
	unsetenv("USERNAME");
	assert_int_equal(ph_secrets_machine_id_from(paths, 2, id, sizeof(id), &err), 0);
	snprintf(want, sizeof(want), "%s-user", host);
	assert_string_equal(id, want);
}

static void roundtrip(void **state)
{
	unsigned char key[PH_SECRETS_KEYBYTES], other[PH_SECRETS_KEYBYTES];
	const char *utf8 = "p\xc3\xa4ss w\xc3\xb6rd \xe2\x82\xac \xf0\x9f\x94\x91";
	const unsigned char latin1[] = {'c', 'a', 'f', 0xE9};
	unsigned char *value;
	enum ph_secret_status st;
	size_t len;
	char *b1, *b2;

	(void)state;
	key_of("machine-a", key);
	key_of("machine-b", other);
	assert_int_equal(ph_secrets_encrypt(key, utf8, strlen(utf8), &b1, NULL), 0);
	assert_int_equal(ph_secrets_encrypt(key, utf8, strlen(utf8), &b2, NULL), 0);
	assert_string_not_equal(b1, b2); /* a fresh nonce each time */
	assert_int_equal(ph_secrets_decrypt(key, b1, &st, &value, &len), 0);
	assert_int_equal(st, PH_SECRET_OK);
	assert_int_equal(len, strlen(utf8));
	assert_memory_equal(value, utf8, len);
	ph_secrets_value_free(value, len);
	assert_int_equal(ph_secrets_decrypt(other, b2, &st, &value, &len), 0);
	assert_int_equal(st, PH_SECRET_MAC_FAILED);
	assert_null(value);
	free(b1);
	free(b2);

	assert_int_equal(ph_secrets_encrypt(key, latin1, sizeof(latin1), &b1, NULL), 0);
	assert_int_equal(ph_secrets_decrypt(key, b1, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_NOT_UTF8);
	free(b1);
}

static void entry_statuses(void **state)
{
	unsigned char key[PH_SECRETS_KEYBYTES], nonce[PH_SECRETS_NONCEBYTES];
	unsigned char junk[30], flipped[64];
	enum ph_secret_status st;
	size_t n;
	char *ok, *wrong, *shortb, *plain_long, *corrupt;

	(void)state;
	key_of("machine-a", key);
	ok = sealed("machine-a", "value");
	wrong = sealed("machine-b", "value");
	/* 30 bytes that are not text: too short to be nonce + tag. */
	memset(junk, 0x01, sizeof(junk));
	shortb = b64_of(junk, sizeof(junk));
	/* Longer than nonce + tag, but plain text: still the Rust plain-base64 store. */
	plain_long = b64_of("a rather long plain value, well over forty bytes long", 53);
	/* A real box with one ciphertext byte flipped. */
	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(sodium_base642bin(flipped, sizeof(flipped), ok, strlen(ok), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	flipped[n - 1] ^= 0x01;
	corrupt = b64_of(flipped, n);

	assert_int_equal(ph_secrets_decrypt(key, ok, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_OK);
	assert_int_equal(ph_secrets_decrypt(key, wrong, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_MAC_FAILED);
	assert_int_equal(ph_secrets_decrypt(key, corrupt, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_MAC_FAILED);
	assert_int_equal(ph_secrets_decrypt(key, shortb, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_TOO_SHORT);
	assert_int_equal(ph_secrets_decrypt(key, "aHVudGVyMg==", &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_PLAIN_BASE64);
	assert_int_equal(ph_secrets_decrypt(key, plain_long, &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_PLAIN_BASE64);
	/* High bytes that are not UTF-8 are not text a daemon stored: just too short. */
	{
		char *latin1 = b64_of("caf\xe9 cr\xe8me", 10);

		assert_int_equal(ph_secrets_decrypt(key, latin1, &st, NULL, NULL), 0);
		assert_int_equal(st, PH_SECRET_TOO_SHORT);
		free(latin1);
	}
	assert_int_equal(ph_secrets_decrypt(key, "", &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_PLAIN_BASE64);
	assert_int_equal(ph_secrets_decrypt(key, "@@not base64@@", &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_BAD_BASE64);
	assert_int_equal(ph_secrets_decrypt(key, "aHVudGVyMg", &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_BAD_BASE64); /* padding is required */
	assert_int_equal(ph_secrets_decrypt(key, "aHVudGVyMg-_", &st, NULL, NULL), 0);
	assert_int_equal(st, PH_SECRET_BAD_BASE64); /* the url-safe alphabet is not the format */
	free(ok);
	free(wrong);
	free(shortb);
	free(plain_long);
	free(corrupt);
}

static void names(void **state)
{
	(void)state;
	assert_true(ph_secrets_name_valid("OPENAI_API_KEY"));
	assert_true(ph_secrets_name_valid("_x9"));
	assert_false(ph_secrets_name_valid(""));
	assert_false(ph_secrets_name_valid("9lives"));
	assert_false(ph_secrets_name_valid("with-dash"));
	assert_false(ph_secrets_name_valid("local://X"));
	assert_false(ph_secrets_name_valid("sp ace"));
}

/* ---- files ----------------------------------------------------------------------------- */

static void expect_load_error(const char *rel, const char *text, int code, const char *needle)
{
	struct ph_secrets_file f;
	struct ph_err err;
	char p[4096];

	if (text)
		put(rel, text);
	t_dir_path(p, sizeof(p), rel);
	assert_int_equal(ph_secrets_file_load(p, &f, &err), code);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	if (!strstr(err.msg, rel))
		fail_msg("message '%s' does not name the file", err.msg);
	assert_null(f.doc);
}

static void malformed_files(void **state)
{
	char p[4096];
	int fd;

	(void)state;
	expect_load_error("trunc.enc", "{\n  \"version\": 1,\n  \"secrets\": {\n    \"A\": {",
			  PH_E_PARSE, "trunc.enc:4:");
	expect_load_error("empty.enc", "", PH_E_PARSE, "empty.enc:");
	expect_load_error("v2.enc", "{\"version\":2,\"secrets\":{}}", PH_E_INVALID,
			  "key 'version' is 2");
	expect_load_error("vstr.enc", "{\"version\":\"1\",\"secrets\":{}}", PH_E_INVALID,
			  "key 'version' must be the number 1, found a string");
	expect_load_error("nov.enc", "{\"secrets\":{}}", PH_E_INVALID, "missing key 'version'");
	expect_load_error("arr.enc", "{\"version\":1,\"secrets\":[]}", PH_E_INVALID,
			  "key 'secrets' must be an object, found an array");
	expect_load_error("nos.enc", "{\"version\":1}", PH_E_INVALID, "missing key 'secrets'");
	expect_load_error("top.enc", "[1]", PH_E_INVALID, "top level");
	expect_load_error("dup.enc", "{\"version\":1,\"version\":1,\"secrets\":{}}", PH_E_PARSE,
			  "dup.enc:1:");
	expect_load_error("none.enc", NULL, PH_E_IO, "cannot open");

	/* A file over the limit is refused without being parsed. */
	t_dir_path(p, sizeof(p), "huge.enc");
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)PH_SECRETS_FILE_MAX + 1), 0);
	close(fd);
	expect_load_error("huge.enc", NULL, PH_E_INVALID, "larger than");
	unlink(p);
	{
		struct ph_secrets_file f;
		static const char big[] = "x";

		/* The buffer entry point applies the same limit. */
		assert_int_equal(
		    ph_secrets_file_parse("big", big, PH_SECRETS_FILE_MAX + 1, &f, NULL),
		    PH_E_INVALID);
	}
}

static void check_entries(void **state)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	struct ph_secrets_check c;
	char *good = sealed("m1", "v1"), *good2 = sealed("m1", "v2"), *other = sealed("m2", "v");
	char text[4096];
	size_t i;

	(void)state;
	key_of("m1", key);
	assert_true(snprintf(text, sizeof(text),
			     "{\"version\":1,\"secrets\":{"
			     "\"GOOD\":{\"ciphertext\":\"%s\",\"created\":\"c\",\"updated\":\"u\"},"
			     "\"bad-name\":{\"ciphertext\":\"%s\"},"
			     "\"WRONG\":{\"ciphertext\":\"%s\"},"
			     "\"PLAIN\":{\"ciphertext\":\"aHVudGVyMg==\"},"
			     "\"B64\":{\"ciphertext\":\"!!!\"},"
			     "\"NOTOBJ\":\"x\","
			     "\"NOCT\":{\"created\":\"c\"},"
			     "\"NUL\":{\"ciphertext\":\"aHVu\\u0000dGVyMg==\"}}}",
			     good, good2, other) < (int)sizeof(text));
	parse(text, &f);
	assert_int_equal(ph_secrets_check(&f, key, &c, NULL), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(c.n_ok, 1);
	assert_int_equal(c.n_failed, 7);
	/* Sorted bytewise: B64 GOOD NOCT NOTOBJ NUL PLAIN WRONG bad-name */
	assert_string_equal(c.items[0].name, "B64");
	assert_int_equal(c.items[0].status, PH_SECRET_BAD_BASE64);
	assert_string_equal(c.items[1].name, "GOOD");
	assert_int_equal(c.items[1].status, PH_SECRET_OK);
	assert_int_equal(c.items[2].status, PH_SECRET_BAD_ENTRY);
	assert_int_equal(c.items[3].status, PH_SECRET_BAD_ENTRY);
	assert_string_equal(c.items[4].name, "NUL");
	assert_int_equal(c.items[4].status, PH_SECRET_BAD_BASE64);
	assert_int_equal(c.items[5].status, PH_SECRET_PLAIN_BASE64);
	assert_int_equal(c.items[6].status, PH_SECRET_MAC_FAILED);
	assert_string_equal(c.items[7].name, "bad-name");
	assert_false(c.items[7].name_valid);
	assert_int_equal(c.items[7].status, PH_SECRET_OK);
	for (i = 0; i < 7; i++)
		assert_true(c.items[i].name_valid);
	ph_secrets_check_release(&c);
	ph_secrets_file_release(&f);
	free(good);
	free(good2);
	free(other);
}

/* A store holding names[i] = values[i] under machine id id. */
static void store_of(const char *id, const char *const *names, const char *const *values, size_t n,
		     struct ph_secrets_file *f)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	size_t i;

	key_of(id, key);
	assert_int_equal(ph_secrets_file_init(f, "mem.enc", NULL), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(
		    ph_secrets_file_put(f, key, names[i], values[i], strlen(values[i]), NULL, NULL),
		    0);
}

static void verify_stores(void **state)
{
	static const char *const n3[] = {"A", "B", "C"};
	static const char *const v3[] = {"one", "two", "three"};
	static const char *const nb[] = {"B", "C", "D"};
	static const char *const vb[] = {"two", "THREE", "four"};
	unsigned char k1[PH_SECRETS_KEYBYTES], k2[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file a, a2, b, plain;
	struct ph_secrets_verify v;

	(void)state;
	key_of("m1", k1);
	key_of("m2", k2);
	store_of("m1", n3, v3, 3, &a);
	store_of("m2", n3, v3, 3, &a2); /* same values, other key, other nonces */
	store_of("m1", nb, vb, 3, &b);

	assert_int_equal(ph_secrets_verify(&a, k1, &a2, k2, &v, NULL), 0);
	assert_int_equal(v.n_diffs, 0);
	assert_int_equal(v.n_same, 3);
	ph_secrets_verify_release(&v);

	/* Same store read with the wrong key for b: every common entry fails on b's side. */
	assert_int_equal(ph_secrets_verify(&a, k1, &a2, k1, &v, NULL), 0);
	assert_int_equal(v.n_diffs, 3);
	assert_int_equal(v.diffs[0].kind, PH_SECRETS_FAILS_B);
	assert_int_equal(v.diffs[0].status, PH_SECRET_MAC_FAILED);
	ph_secrets_verify_release(&v);

	assert_int_equal(ph_secrets_verify(&a, k1, &b, k1, &v, NULL), 0);
	assert_int_equal(v.n_same, 1);
	assert_int_equal(v.n_diffs, 3);
	assert_int_equal(v.diffs[0].kind, PH_SECRETS_ONLY_A);
	assert_string_equal(v.diffs[0].name, "A");
	assert_int_equal(v.diffs[1].kind, PH_SECRETS_VALUE_DIFFERS);
	assert_string_equal(v.diffs[1].name, "C");
	assert_int_equal(v.diffs[2].kind, PH_SECRETS_ONLY_B);
	assert_string_equal(v.diffs[2].name, "D");
	ph_secrets_verify_release(&v);

	/* The Rust store: plain base64 of the same values is not "the same secrets". */
	parse("{\"version\":1,\"secrets\":{\"A\":{\"ciphertext\":\"b25l\"},"
	      "\"B\":{\"ciphertext\":\"dHdv\"},\"C\":{\"ciphertext\":\"dGhyZWU=\"}}}",
	      &plain);
	assert_int_equal(ph_secrets_verify(&a, k1, &plain, k1, &v, NULL), 0);
	assert_int_equal(v.n_diffs, 3);
	assert_int_equal(v.n_same, 0);
	assert_int_equal(v.diffs[1].kind, PH_SECRETS_FAILS_B);
	assert_int_equal(v.diffs[1].status, PH_SECRET_PLAIN_BASE64);
	ph_secrets_verify_release(&v);

	ph_secrets_file_release(&a);
	ph_secrets_file_release(&a2);
	ph_secrets_file_release(&b);
	ph_secrets_file_release(&plain);
}

static void dump_layout(void **state)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	char *s;

	(void)state;
	key_of(VECTOR_ID, key);
	assert_int_equal(ph_secrets_file_init(&f, "mem.enc", NULL), 0);
	s = ph_secrets_file_dump(&f);
	assert_string_equal(s, "{\n  \"version\": 1,\n  \"secrets\": {}\n}");
	free(s);
	assert_int_equal(
	    ph_secrets_file_put(&f, key, "ZED", "z", 1, "2026-01-01T00:00:00.000Z", NULL), 0);
	assert_int_equal(
	    ph_secrets_file_put(&f, key, "ALPHA", "a", 1, "2026-01-02T00:00:00.000Z", NULL), 0);
	/* Replace the first entry's ciphertext with the vector so the dump is exact. */
	json_object_set_new(json_object_get(f.secrets, "ZED"), "ciphertext",
			    json_string(VECTOR_CT));
	s = ph_secrets_file_dump(&f);
	assert_non_null(strstr(s, "{\n  \"version\": 1,\n  \"secrets\": {\n    \"ZED\": {\n"
				  "      \"ciphertext\": \"" VECTOR_CT "\",\n"
				  "      \"created\": \"2026-01-01T00:00:00.000Z\",\n"
				  "      \"updated\": \"2026-01-01T00:00:00.000Z\"\n    },\n"
				  "    \"ALPHA\": {\n"));
	assert_int_equal(s[strlen(s) - 1], '}'); /* JSON.stringify adds no newline */
	free(s);
	assert_int_equal(ph_secrets_file_put(&f, key, "bad-name", "x", 1, NULL, NULL),
			 PH_E_INVALID);
	ph_secrets_file_release(&f);
}

/* ---- commands -------------------------------------------------------------------------- */

/* Run cmd_secrets in-process with stdin from `input` (NULL: empty) and stdout/stderr
 * captured. The argument list ends with NULL. */
static struct t_cli run(const char *input, ...)
{
	char *argv[32];
	int argc = 0;
	struct t_cli r;
	va_list ap;

	argv[argc++] = "secrets";
	va_start(ap, input);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	t_cli_run(&r, cmd_secrets, argv, input ? input : "", 1);
	return r;
}

/* No value, and no fragment of one, in either stream. */
static void assert_no_values(const struct t_cli *r)
{
	static const char *const values[] = {VALUE_1,  VALUE_2,	 VALUE_3,
					     "Zq8vX3", "K7mR2p", "Wd4nL9"};
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (strstr(r->out, values[i]) || strstr(r->err, values[i]))
			fail_msg("a secret value leaked: stdout '%s' stderr '%s'", r->out, r->err);
}

static void expect(struct t_cli r, int rc, const char *in_out, const char *in_err)
{
	if (r.rc != rc)
		fail_msg("exit %d, expected %d; stdout '%s' stderr '%s'", r.rc, rc, r.out, r.err);
	assert_no_values(&r);
	if (in_out && !strstr(r.out, in_out))
		fail_msg("stdout '%s' lacks '%s'", r.out, in_out);
	if (in_err && !strstr(r.err, in_err))
		fail_msg("stderr '%s' lacks '%s'", r.err, in_err);
	t_cli_release(&r);
}

static void commands_never_show_values(void **state)
{
	char file[4096], copy[4096], bad[4096], nodir[4096], *before, *after;
	struct t_cli r;
	struct stat st;

	(void)state;
	t_dir_path(file, sizeof(file), "cli/secrets.enc");
	t_dir_path(copy, sizeof(copy), "cli/copy.enc");
	t_dir_path(bad, sizeof(bad), "cli/bad.enc");
	t_dir_path(nodir, sizeof(nodir), "cli/missing-folder/secrets.enc");
	{
		char d[4096];

		t_dir_path(d, sizeof(d), "cli");
		assert_int_equal(mkdir(d, 0755), 0);
	}

	expect(run(VALUE_1 "\n", "encrypt", "--machine-id", "m1", "--name", "API_KEY", file, NULL),
	       0, "stored 'API_KEY'", NULL);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	expect(run(VALUE_2, "encrypt", "--machine-id=m1", "--name", "DB_PASSWORD", file, NULL), 0,
	       NULL, NULL);
	expect(run(VALUE_3 "\n", "encrypt", "--machine-id", "m1", "--name", "bad-name", file, NULL),
	       2, NULL, "invalid secret name");
	expect(run("", "encrypt", "--machine-id", "m1", "--name", "EMPTY", file, NULL), 2, NULL,
	       "empty");
	expect(run(VALUE_3, "encrypt", "--machine-id", "m1", "--name", "X", nodir, NULL), 2, NULL,
	       "does not exist");
	/* Another machine's key would leave a file of mixed keys: refused without --force. */
	expect(run(VALUE_3, "encrypt", "--machine-id", "m2", "--name", "OTHER", file, NULL), 2,
	       NULL, "mix keys");

	before = get("cli/secrets.enc");
	assert_non_null(before);
	expect(run(NULL, "list", file, NULL), 0, "API_KEY", NULL);
	expect(run(NULL, "check", "--machine-id", "m1", file, NULL), 0, "2 entries, 2 decrypt",
	       NULL);
	expect(run(NULL, "check", "--machine-id", "m2", file, NULL), 1,
	       "API_KEY: wrong key or corrupted", NULL);
	expect(run(NULL, "check", "--machine-id", "m2", file, NULL), 1,
	       "hint: no entry passes the mac check", NULL);
	expect(run(NULL, "decrypt", "--machine-id", "m1", "--name", "API_KEY", file, NULL), 2, NULL,
	       "--reveal");
	expect(run(NULL, "decrypt", "--machine-id", "m1", "--name", "NOPE", "--reveal", file, NULL),
	       2, NULL, "no secret named 'NOPE'");
	expect(
	    run(NULL, "decrypt", "--machine-id", "m2", "--name", "API_KEY", "--reveal", file, NULL),
	    1, NULL, "wrong key");

	/* The one command that prints a value, exactly, with one newline. */
	r = run(NULL, "decrypt", "--machine-id", "m1", "--name", "API_KEY", "--reveal", file, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, VALUE_1 "\n");
	assert_string_equal(r.err, "");
	t_cli_release(&r);
	r = run(NULL, "decrypt", "--machine-id", "m1", "--name", "DB_PASSWORD", "--reveal", file,
		NULL);
	assert_string_equal(r.out, VALUE_2 "\n");
	t_cli_release(&r);

	/* Reading commands never rewrite their input. */
	after = get("cli/secrets.enc");
	assert_string_equal(before, after);
	free(after);

	/* verify: a copy re-encrypted on another machine holds the same secrets. */
	expect(run(VALUE_1, "encrypt", "--machine-id", "m2", "--name", "API_KEY", copy, NULL), 0,
	       NULL, NULL);
	expect(run(VALUE_3, "encrypt", "--machine-id", "m2", "--name", "DB_PASSWORD", copy, NULL),
	       0, NULL, NULL);
	expect(run(NULL, "verify", "--machine-id", "m1", "--machine-id-b", "m2", file, copy, NULL),
	       1, "value differs: DB_PASSWORD", NULL);
	expect(run(VALUE_2, "encrypt", "--machine-id", "m2", "--name", "DB_PASSWORD", copy, NULL),
	       0, NULL, NULL);
	expect(run(NULL, "verify", "--machine-id", "m1", "--machine-id-b", "m2", file, copy, NULL),
	       0, "2 identical, 0 differences", NULL);
	expect(run(VALUE_3, "encrypt", "--machine-id", "m2", "--name", "EXTRA", copy, NULL), 0,
	       NULL, NULL);
	expect(run(NULL, "verify", "--machine-id", "m1", "--machine-id-b", "m2", file, copy, NULL),
	       1, "only in '", NULL);
	expect(run(NULL, "verify", "--machine-id", "m1", file, copy, NULL), 1,
	       "does not decrypt in '", NULL);
	expect(
	    run(VALUE_3, "encrypt", "--machine-id", "m2", "--name", "OTHER", "--force", file, NULL),
	    0, NULL, NULL);

	/* Bad input names the file and the place; bad usage is exit 2 too. */
	put("cli/bad.enc", "{\"version\": 1,\n \"secrets\": {\"A\": }}");
	expect(run(NULL, "check", "--machine-id", "m1", bad, NULL), 2, NULL, "bad.enc:2:");
	expect(run(NULL, "list", bad, NULL), 2, NULL, "bad.enc:2:");
	expect(run(VALUE_3, "encrypt", "--machine-id", "m1", "--name", "A", bad, NULL), 2, NULL,
	       "bad.enc:2:");
	after = get("cli/bad.enc");
	assert_string_equal(after, "{\"version\": 1,\n \"secrets\": {\"A\": }}");
	free(after);
	expect(run(NULL, "frobnicate", file, NULL), 2, NULL, "unknown subcommand");
	expect(run(NULL, "list", "--bogus", file, NULL), 2, NULL, "unknown option");
	expect(run(NULL, "verify", file, NULL), 2, NULL, NULL);
	expect(run(NULL, "--help", NULL), 0, "usage: parity secrets", NULL);
	free(before);
}

static void check_flags_plain_base64(void **state)
{
	char file[4096];

	(void)state;
	put("rust.enc", "{\n  \"version\": 1,\n  \"secrets\": {\n    \"TOKEN\": {\"ciphertext\": "
			"\"aHVudGVyMg==\", \"created\": \"2026-01-01T00:00:00+00:00\", "
			"\"updated\": \"2026-01-01T00:00:00+00:00\"}\n  }\n}\n");
	t_dir_path(file, sizeof(file), "rust.enc");
	expect(run(NULL, "check", "--machine-id", "m1", file, NULL), 1,
	       "TOKEN: looks like unencrypted base64", NULL);
}

static void encrypt_preserves_others(void **state)
{
	const char *orig =
	    "{\n  \"version\": 1,\n  \"note\": {\"kept\": [1, 2.5, null]},\n"
	    "  \"secrets\": {\n"
	    "    \"FIRST\": {\"ciphertext\": \"" VECTOR_CT "\", \"created\": "
	    "\"2025-01-01T00:00:00.000Z\", \"updated\": \"2025-01-02T00:00:00.000Z\"},\n"
	    "    \"ODD\": {\"ciphertext\": \"" VECTOR_CT "\", \"extra\": true},\n"
	    "    \"LAST\": {\"ciphertext\": \"" VECTOR_CT "\", \"created\": "
	    "\"2025-03-01T00:00:00.000Z\", \"updated\": \"2025-03-01T00:00:00.000Z\"}\n"
	    "  }\n}\n";
	struct ph_secrets_file before, after;
	struct ph_secret_entry e;
	const char *k;
	json_t *v;
	char file[4096], *text, *s;
	struct stat st;
	size_t i = 0;
	static const char *const order[] = {"FIRST", "ODD", "LAST", "NEW"};

	(void)state;
	put("keep.enc", orig);
	t_dir_path(file, sizeof(file), "keep.enc");
	chmod(file, 0644);
	assert_int_equal(ph_secrets_file_load(file, &before, NULL), 0);

	/* Replace ODD (keeps position and extra key), add NEW at the end. */
	expect(run(VALUE_3, "encrypt", "--machine-id", VECTOR_ID, "--name", "ODD", file, NULL), 0,
	       NULL, NULL);
	expect(run(VALUE_1, "encrypt", "--machine-id", VECTOR_ID, "--name", "NEW", file, NULL), 0,
	       NULL, NULL);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = get("keep.enc");
	assert_non_null(text);
	assert_null(strstr(text, VALUE_1));
	assert_null(strstr(text, VALUE_3));
	free(text);

	assert_int_equal(ph_secrets_file_load(file, &after, NULL), 0);
	assert_true(
	    json_equal(json_object_get(before.doc, "note"), json_object_get(after.doc, "note")));
	assert_true(json_equal(json_object_get(before.secrets, "FIRST"),
			       json_object_get(after.secrets, "FIRST")));
	assert_true(json_equal(json_object_get(before.secrets, "LAST"),
			       json_object_get(after.secrets, "LAST")));
	json_object_foreach(after.secrets, k, v)
	{
		(void)v;
		assert_true(i < 4);
		assert_string_equal(k, order[i]);
		i++;
	}
	assert_int_equal(i, 4);
	assert_int_equal(ph_secrets_file_entry(&after, "ODD", &e), 0);
	assert_string_not_equal(e.ciphertext, VECTOR_CT);
	assert_non_null(e.created);
	assert_non_null(e.updated);
	assert_true(json_is_true(json_object_get(json_object_get(after.secrets, "ODD"), "extra")));
	assert_int_equal(ph_secrets_file_entry(&after, "NEW", &e), 0);
	assert_string_equal(e.created, e.updated);
	assert_int_equal(strlen(e.created), 24); /* 2026-01-02T03:04:05.678Z */
	assert_int_equal(e.created[23], 'Z');

	/* A replace keeps "created" and moves "updated". */
	expect(run(VALUE_2, "encrypt", "--machine-id", VECTOR_ID, "--name", "FIRST", file, NULL), 0,
	       NULL, NULL);
	ph_secrets_file_release(&after);
	assert_int_equal(ph_secrets_file_load(file, &after, NULL), 0);
	assert_int_equal(ph_secrets_file_entry(&after, "FIRST", &e), 0);
	assert_string_equal(e.created, "2025-01-01T00:00:00.000Z");
	assert_string_not_equal(e.updated, "2025-01-02T00:00:00.000Z");
	s = ph_secrets_file_dump(&after);
	assert_non_null(s);
	text = get("keep.enc");
	assert_string_equal(s, text); /* what is on disk is the TS layout */
	free(s);
	free(text);
	ph_secrets_file_release(&before);
	ph_secrets_file_release(&after);
}

static void encrypt_through_link_and_list(void **state)
{
	char target[4096], link_p[4096], *text;
	struct ph_secrets_file f;
	struct stat st;
	struct t_cli r;

	(void)state;
	put("real.enc",
	    "{\"version\":1,\"secrets\":{\"OLD\":{\"ciphertext\":\"" VECTOR_CT
	    "\",\"created\":\"2025-05-05T05:05:05.000Z\",\"updated\":\"x\\u001b[2J\"}}}");
	t_dir_path(target, sizeof(target), "real.enc");
	t_dir_path(link_p, sizeof(link_p), "link.enc");
	assert_int_equal(symlink("real.enc", link_p), 0);
	expect(run(VALUE_2, "encrypt", "--machine-id", VECTOR_ID, "--name", "NEW", link_p, NULL), 0,
	       NULL, NULL);
	assert_int_equal(lstat(link_p, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* the link stays a link */
	assert_int_equal(ph_secrets_file_load(target, &f, NULL), 0);
	assert_int_equal(ph_secrets_file_count(&f), 2);
	ph_secrets_file_release(&f);

	/* list: sorted names with dates; control bytes from the file are escaped. */
	r = run(NULL, "list", link_p, NULL);
	assert_int_equal(r.rc, 0);
	assert_no_values(&r);
	text = strstr(r.out, "NEW ");
	assert_non_null(text);
	assert_true(strstr(r.out, "OLD ") > text); /* sorted: NEW before OLD */
	assert_non_null(strstr(r.out, "2025-05-05T05:05:05.000Z"));
	assert_non_null(strstr(r.out, "x\\x1b[2J"));
	assert_null(strchr(r.out, '\x1b'));
	t_cli_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(contract_vector),
	    cmocka_unit_test(key_derivation),
	    cmocka_unit_test(machine_id_sources),
	    cmocka_unit_test(roundtrip),
	    cmocka_unit_test(entry_statuses),
	    cmocka_unit_test(names),
	    cmocka_unit_test(malformed_files),
	    cmocka_unit_test(check_entries),
	    cmocka_unit_test(verify_stores),
	    cmocka_unit_test(dump_layout),
	    cmocka_unit_test(commands_never_show_values),
	    cmocka_unit_test(check_flags_plain_base64),
	    cmocka_unit_test(encrypt_preserves_others),
	    cmocka_unit_test(encrypt_through_link_and_list),
	};

	return cmocka_run_group_tests_name("secrets", tests, setup, t_dir_teardown);
}
