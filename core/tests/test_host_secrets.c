/*
 * Unit tests of the host services the secrets domain uses (core/src/run/host.c):
 * secrets_check reports every entry's status and never a value, the Rust daemon's
 * plain-base64 entries included; secrets_verify reports names and kinds of differences
 * between two stores under their own machine ids; secrets_copy gives a store to another
 * machine id (every entry re-sealed, created/updated kept, the source left byte for byte
 * as it was), copies the very bytes when the ids are equal, and refuses to copy a file
 * onto itself. These services do not use the run, so they are called with run NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "run/host.h"
#include "parity/jsonio.h"
#include "secrets/secrets.h"
#include "run/workspace.h"

#include "support.h"
#include "support_secrets.h"

#define ID_A "machine-a-0000000000000000000000"
#define ID_B "machine-b-1111111111111111111111"
#define V1 "hv-first-Lp3q9-value"
#define V2 "hv-second-Tz72k-value"

/* A store at rel with the given names and values under machine id mid. */
static void make_store(const char *rel, const char *mid, const char *const *names,
		       const char *const *values, size_t n)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	struct ph_err err;
	char path[512];

	t_dir_path(path, sizeof(path), rel);
	assert_int_equal(ph_secrets_derive_key(mid, key, &err), 0);
	assert_int_equal(ph_secrets_file_init(&f, path, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ph_secrets_file_put(&f, key, names[i], values[i],
						     strlen(values[i]), "2026-01-02T03:04:05.000Z",
						     &err),
				 0);
	assert_int_equal(ph_secrets_file_save(&f, path, &err), 0);
	ph_secrets_file_release(&f);
}

static char *slurp(const char *rel, size_t *len)
{
	return t_slurp(t_path(t_dir, rel), len);
}

/*
 * Check the store at path under machine id mid: n_failed entries fail, the i-th with a
 * status holding why.
 */
static void expect_failed(const char *path, const char *mid, json_int_t n_failed, size_t i,
			  const char *why)
{
	const struct ph_host *h = ph_host_table();
	json_t *rep = NULL;
	struct ph_err err;

	assert_int_equal(h->secrets_check(NULL, path, mid, &rep, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_failed")), n_failed);
	assert_non_null(strstr(t_str_at(json_object_get(rep, "entries"), i, "status"), why));
	json_decref(rep);
}

static void test_check_reports_statuses_not_values(void **state)
{
	const struct ph_host *h = ph_host_table();
	const char *names[] = {"A_TOKEN", "B_PASSWORD"}, *values[] = {V1, V2};
	json_t *rep = NULL;
	struct ph_err err;
	char path[512], *dump;

	(void)state;
	make_store("check.enc", ID_A, names, values, 2);
	t_dir_path(path, sizeof(path), "check.enc");
	assert_int_equal(h->secrets_check(NULL, path, ID_A, &rep, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_ok")), 2);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_failed")), 0);
	assert_string_equal(t_str_at(json_object_get(rep, "entries"), 0, "name"), "A_TOKEN");
	dump = json_dumps(rep, 0);
	assert_null(strstr(dump, V1));
	assert_null(strstr(dump, V2));
	free(dump);
	json_decref(rep);

	/* under another machine id nothing decrypts, and the report says why */
	expect_failed(path, ID_B, 2, 1, "wrong key");
}

static void test_check_plain_base64(void **state)
{
	struct ph_err err;
	char path[512];
	/* the Rust daemon's store: base64 of the value itself */
	static const char doc[] = "{\"version\":1,\"secrets\":{\"RUST_TOKEN\":{\"ciphertext\":"
				  "\"aHYtcnVzdC1wbGFpbi12YWx1ZS0wMDAx\",\"created\":\"x\","
				  "\"updated\":\"x\"}}}";

	(void)state;
	t_dir_path(path, sizeof(path), "plain.enc");
	assert_int_equal(ph_file_write_atomic(path, doc, strlen(doc), 0600, &err), 0);
	expect_failed(path, ID_A, 1, 0, "unencrypted");
}

static void test_check_bad_file(void **state)
{
	const struct ph_host *h = ph_host_table();
	json_t *rep = (json_t *)1;
	struct ph_err err;
	char path[512];

	(void)state;
	t_dir_path(path, sizeof(path), "bad.enc");
	assert_int_equal(ph_file_write_atomic(path, "{\"version\":2", 12, 0600, &err), 0);
	assert_true(h->secrets_check(NULL, path, ID_A, &rep, &err) < 0);
	assert_null(rep);
	assert_non_null(strstr(err.msg, "bad.enc"));
}

static void test_verify_kinds(void **state)
{
	const struct ph_host *h = ph_host_table();
	const char *na[] = {"SAME", "CHANGED", "ONLY_A"}, *va[] = {V1, V1, V2};
	const char *nb[] = {"SAME", "CHANGED", "ONLY_B"}, *vb[] = {V1, V2, V2};
	json_t *rep = NULL, *d;
	struct ph_err err;
	char pa[512], pb[512], *dump;
	size_t i;
	int seen = 0;

	(void)state;
	make_store("va.enc", ID_A, na, va, 3);
	make_store("vb.enc", ID_B, nb, vb, 3);
	t_dir_path(pa, sizeof(pa), "va.enc");
	t_dir_path(pb, sizeof(pb), "vb.enc");
	assert_int_equal(h->secrets_verify(NULL, pa, pb, ID_A, ID_B, &rep, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_same")), 1);
	json_array_foreach(json_object_get(rep, "diffs"), i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *kind = json_string_value(json_object_get(d, "kind"));

		if (!strcmp(name, "CHANGED"))
			assert_string_equal(kind, "value differs"), seen |= 1;
		else if (!strcmp(name, "ONLY_A"))
			assert_string_equal(kind, "only in a"), seen |= 2;
		else if (!strcmp(name, "ONLY_B"))
			assert_string_equal(kind, "only in b"), seen |= 4;
	}
	assert_int_equal(seen, 7);
	dump = json_dumps(rep, 0);
	assert_null(strstr(dump, V1));
	assert_null(strstr(dump, V2));
	free(dump);
	json_decref(rep);

	/* B read under A's id: every entry of B fails, with its status */
	assert_int_equal(h->secrets_verify(NULL, pa, pb, ID_A, ID_A, &rep, &err), 0);
	d = json_array_get(json_object_get(rep, "diffs"), 0);
	assert_non_null(json_object_get(d, "status"));
	json_decref(rep);
}

static void test_copy_rekeys_and_keeps_source(void **state)
{
	const struct ph_host *h = ph_host_table();
	const char *names[] = {"A_TOKEN", "B_PASSWORD"}, *values[] = {V1, V2};
	char src[512], dst[512], *before, *after;
	size_t lb, la;
	json_t *rep = NULL, *doc;
	struct ph_err err;
	struct stat st;

	(void)state;
	make_store("src.enc", ID_A, names, values, 2);
	t_dir_path(src, sizeof(src), "src.enc");
	t_dir_path(dst, sizeof(dst), "dst.enc");
	before = slurp("src.enc", &lb);
	assert_int_equal(h->secrets_copy(NULL, src, ID_A, dst, ID_B, &err), 0);
	after = slurp("src.enc", &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	free(after);

	/* the copy decrypts under B's id, to the same values */
	assert_int_equal(h->secrets_check(NULL, dst, ID_B, &rep, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_ok")), 2);
	json_decref(rep);
	assert_int_equal(h->secrets_verify(NULL, src, dst, ID_A, ID_B, &rep, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n_same")), 2);
	assert_int_equal(json_array_size(json_object_get(rep, "diffs")), 0);
	json_decref(rep);
	/* times kept, mode 0600 */
	assert_int_equal(ph_json_load_file(dst, &doc, &err), 0);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(doc, "secrets"), "A_TOKEN"), "updated")),
	    "2026-01-02T03:04:05.000Z");
	json_decref(doc);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* same id: the very bytes */
	assert_int_equal(h->secrets_copy(NULL, src, ID_A, dst, ID_A, &err), 0);
	after = slurp("dst.enc", &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	free(after);
	free(before);

	/* never onto itself */
	assert_true(h->secrets_copy(NULL, src, ID_A, src, ID_B, &err) < 0);
	assert_non_null(strstr(err.msg, "itself"));
}

T_MAIN(t_secrets_setup, t_dir_teardown, cmocka_unit_test(test_check_reports_statuses_not_values),
       cmocka_unit_test(test_check_plain_base64), cmocka_unit_test(test_check_bad_file),
       cmocka_unit_test(test_verify_kinds), cmocka_unit_test(test_copy_rekeys_and_keeps_source))
