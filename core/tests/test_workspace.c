/*
 * Unit tests of workspace trees: a fixture copied with modes and links kept, templates
 * rendered through the placeholders, bad templates reported by file, and removal.
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

#include "parity/jsonio.h"
#include "run/workspace.h"

#include "support.h"

static void put(const char *rel, const char *text, mode_t mode)
{
	chmod(t_write_in(t_dir, rel, text), mode);
}

static char *get(const char *rel)
{
	char p[4096], *data = NULL;
	struct ph_err err;

	snprintf(p, sizeof(p), "%s/%s", t_dir, rel);
	if (ph_file_read(p, 0, &data, NULL, &err))
		return NULL;
	return data;
}

static void copy_and_render(void **state)
{
	struct ph_placeholders ph = { .workspace = "/w", .home = "/h", .port = 4321,
				      .llm_url = "http://127.0.0.1:9/x", .repo = "/r",
				      .shared = "/s", .build = "/b" };
	struct ph_err err;
	char src[4096], dst[4096], p[4096];
	struct stat st;
	char *s;

	(void)state;
	snprintf(src, sizeof(src), "%s/src", t_dir);
	snprintf(dst, sizeof(dst), "%s/dst", t_dir);
	snprintf(p, sizeof(p), "%s/src/memory", t_dir);
	assert_int_equal(ph_mkdirs(p, &err), 0);
	put("src/AGENTS.md", "plain {port} stays\n", 0644);
	put("src/agent.yaml.in", "port: {port}\nllm: {llm_url}\nws: {workspace}\n", 0640);
	put("src/memory/run.sh", "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/src/link", t_dir);
	assert_int_equal(symlink("AGENTS.md", p), 0);

	assert_int_equal(ph_workspace_copy(src, dst, &ph, &err), 0);
	s = get("dst/AGENTS.md");
	assert_string_equal(s, "plain {port} stays\n");
	free(s);
	s = get("dst/agent.yaml");
	assert_string_equal(s, "port: 4321\nllm: http://127.0.0.1:9/x\nws: /w\n");
	free(s);
	assert_null(get("dst/agent.yaml.in"));
	snprintf(p, sizeof(p), "%s/dst/memory/run.sh", t_dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	snprintf(p, sizeof(p), "%s/dst/link", t_dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	/* The destination must not exist already. */
	assert_int_equal(ph_workspace_copy(src, dst, &ph, &err), PH_E_INVALID);

	assert_int_equal(ph_tree_remove(dst, &err), 0);
	assert_int_not_equal(access(dst, F_OK), 0);
	/* The link's target in src survives. */
	s = get("src/AGENTS.md");
	assert_non_null(s);
	free(s);
}

static void bad_template(void **state)
{
	struct ph_placeholders ph = { .workspace = "/w", .port = 1 };
	struct ph_err err;
	char src[4096], dst[4096];

	(void)state;
	snprintf(src, sizeof(src), "%s/bad", t_dir);
	snprintf(dst, sizeof(dst), "%s/bad-out", t_dir);
	assert_int_equal(ph_mkdirs(src, &err), 0);
	put("bad/x.yaml.in", "v: {nope}\n", 0644);
	ph_err_clear(&err);
	assert_true(ph_workspace_copy(src, dst, &ph, &err) < 0);
	assert_non_null(strstr(err.msg, "x.yaml.in"));
	assert_non_null(strstr(err.msg, "nope"));
	assert_true(ph_workspace_copy("/nonexistent/fixture", dst, &ph, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/fixture"));
}

T_MAIN(t_dir_setup, t_dir_teardown, cmocka_unit_test(copy_and_render),
       cmocka_unit_test(bad_template))
