/*
 * Unit tests of `parity secrets` (cmd_secrets.c), run in-process with stdin, stdout and
 * stderr redirected: encrypt, list, check, decrypt and verify on stores written in the
 * test, encrypt keeping the other entries and their layout and writing mode 0600 (also
 * through a link), and no command ever showing a value, nor a fragment of one, except
 * decrypt --reveal.
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

#include "cli/cli.h"
#include "secrets/secrets.h"

#include "support.h"
#include "support_secrets.h"

/* Values used by the command tests; none may ever show up in their output. */
#define VALUE_1 "tok-Zq8vX3-first-value"
#define VALUE_2 "pw-K7mR2p-second-value"
#define VALUE_3 "key-Wd4nL9-third-value"

static void put(const char *rel, const char *text)
{
	t_write_in(t_dir, rel, text);
}

/* The file rel of t_dir, whole (the caller frees it). */
static char *get(const char *rel)
{
	return t_slurp(t_path(t_dir, rel), NULL);
}

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
	    "    \"FIRST\": {\"ciphertext\": \"" T_VECTOR_CT "\", \"created\": "
	    "\"2025-01-01T00:00:00.000Z\", \"updated\": \"2025-01-02T00:00:00.000Z\"},\n"
	    "    \"ODD\": {\"ciphertext\": \"" T_VECTOR_CT "\", \"extra\": true},\n"
	    "    \"LAST\": {\"ciphertext\": \"" T_VECTOR_CT "\", \"created\": "
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
	expect(run(VALUE_3, "encrypt", "--machine-id", T_VECTOR_ID, "--name", "ODD", file, NULL), 0,
	       NULL, NULL);
	expect(run(VALUE_1, "encrypt", "--machine-id", T_VECTOR_ID, "--name", "NEW", file, NULL), 0,
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
	assert_string_not_equal(e.ciphertext, T_VECTOR_CT);
	assert_non_null(e.created);
	assert_non_null(e.updated);
	assert_true(json_is_true(json_object_get(json_object_get(after.secrets, "ODD"), "extra")));
	assert_int_equal(ph_secrets_file_entry(&after, "NEW", &e), 0);
	assert_string_equal(e.created, e.updated);
	assert_int_equal(strlen(e.created), 24); /* 2026-01-02T03:04:05.678Z */
	assert_int_equal(e.created[23], 'Z');

	/* A replace keeps "created" and moves "updated". */
	expect(run(VALUE_2, "encrypt", "--machine-id", T_VECTOR_ID, "--name", "FIRST", file, NULL),
	       0, NULL, NULL);
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
	    "{\"version\":1,\"secrets\":{\"OLD\":{\"ciphertext\":\"" T_VECTOR_CT
	    "\",\"created\":\"2025-05-05T05:05:05.000Z\",\"updated\":\"x\\u001b[2J\"}}}");
	t_dir_path(target, sizeof(target), "real.enc");
	t_dir_path(link_p, sizeof(link_p), "link.enc");
	assert_int_equal(symlink("real.enc", link_p), 0);
	expect(run(VALUE_2, "encrypt", "--machine-id", T_VECTOR_ID, "--name", "NEW", link_p, NULL),
	       0, NULL, NULL);
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
	    cmocka_unit_test(commands_never_show_values),
	    cmocka_unit_test(check_flags_plain_base64),
	    cmocka_unit_test(encrypt_preserves_others),
	    cmocka_unit_test(encrypt_through_link_and_list),
	};

	return cmocka_run_group_tests_name("secrets commands", tests, t_secrets_setup,
					   t_dir_teardown);
}
