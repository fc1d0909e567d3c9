/*
 * Unit tests of the Signet secrets format (core/src/secrets): the CONTRACT.md §9 test
 * vector byte for byte, key derivation and the machine id fallbacks, sealing and opening
 * values, malformed and hostile files, the detection of the Rust daemon's unencrypted
 * plain-base64 values, the keyed-hash comparison of two stores and the file's layout.
 * `parity secrets` itself is test_secrets_cli.c's.
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

#include "parity/jsonio.h"
#include "secrets/secrets.h"

#include "support.h"
#include "support_secrets.h"

#define VECTOR_KEY "89668901ca038f2b54077c7155fd611822b64504672140c7ca6f8cdc6fd680f4"

static void put(const char *rel, const char *text)
{
	t_write_in(t_dir, rel, text);
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
	key_of(T_VECTOR_ID, key);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	assert_string_equal(hex, VECTOR_KEY);

	assert_int_equal(ph_secrets_encrypt_nonce(key, nonce, "hunter2", 7, &b64, NULL), 0);
	assert_string_equal(b64, T_VECTOR_CT);
	free(b64);

	assert_int_equal(ph_secrets_decrypt(key, T_VECTOR_CT, &st, &value, &len), 0);
	assert_int_equal(st, PH_SECRET_OK);
	assert_int_equal(len, 7);
	assert_string_equal((char *)value, "hunter2");
	ph_secrets_value_free(value, len);
}

static void key_derivation(void **state)
{
	unsigned char k1[PH_SECRETS_KEYBYTES], k2[PH_SECRETS_KEYBYTES], k3[PH_SECRETS_KEYBYTES];
	unsigned char direct[PH_SECRETS_KEYBYTES];
	const char *joined = "signet:secrets:" T_VECTOR_ID;

	(void)state;
	key_of(T_VECTOR_ID, k1);
	key_of(T_VECTOR_ID, k2);
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
	key_of(T_VECTOR_ID, key);
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
			    json_string(T_VECTOR_CT));
	s = ph_secrets_file_dump(&f);
	assert_non_null(strstr(s, "{\n  \"version\": 1,\n  \"secrets\": {\n    \"ZED\": {\n"
				  "      \"ciphertext\": \"" T_VECTOR_CT "\",\n"
				  "      \"created\": \"2026-01-01T00:00:00.000Z\",\n"
				  "      \"updated\": \"2026-01-01T00:00:00.000Z\"\n    },\n"
				  "    \"ALPHA\": {\n"));
	assert_int_equal(s[strlen(s) - 1], '}'); /* JSON.stringify adds no newline */
	free(s);
	assert_int_equal(ph_secrets_file_put(&f, key, "bad-name", "x", 1, NULL, NULL),
			 PH_E_INVALID);
	ph_secrets_file_release(&f);
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
	};

	return cmocka_run_group_tests_name("secrets", tests, t_secrets_setup, t_dir_teardown);
}
