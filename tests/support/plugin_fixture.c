/*
 * The shared plugin test fixture (plugin_fixture.h): a fresh folder and fake host per
 * test, made and removed as cmocka's setup and teardown, and the suite written there.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "plugin_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fixture_setup(void **state)
{
	const struct plugin_fixture_spec *spec = *state;
	struct plugin_fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	fx->spec = spec;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-plugin-%s-XXXXXX", spec->domain);
	if (!mkdtemp(fx->dir) || (spec->user_size && !(fx->user = calloc(1, spec->user_size))))
		return -1;
	fake_host_init(&fx->fh);
	fx->fh.suite_dir = fx->dir;
	return spec->setup ? spec->setup(fx) : 0;
}

/* A folder that cannot be removed fails the test: it would be left behind in /tmp. */
static int fixture_teardown(void **state)
{
	struct plugin_fixture *fx = *state;
	int rc;

	if (fx->spec->teardown)
		fx->spec->teardown(fx);
	fake_host_release(&fx->fh);
	rc = plugin_fixture_rmtree(fx->dir);
	free(fx->user);
	free(fx);
	return rc;
}

int plugin_fixture_main(const struct plugin_fixture_spec *spec, const struct CMUnitTest *tests,
			size_t n)
{
	struct CMUnitTest *all = calloc(n, sizeof(*all));
	int rc;

	assert_non_null(all);
	for (size_t i = 0; i < n; i++) {
		all[i] = tests[i];
		if (all[i].setup_func)
			continue;
		all[i].setup_func = fixture_setup;
		all[i].teardown_func = fixture_teardown;
		all[i].initial_state = (void *)spec;
	}
	/* what cmocka_run_group_tests expands to, for an array it cannot size */
	rc = _cmocka_run_group_tests("tests", all, n, NULL, NULL);
	free(all);
	return rc;
}

void plugin_fixture_write(struct plugin_fixture *fx, const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

int plugin_fixture_run(struct plugin_fixture *fx, struct ph_err *err)
{
	ph_err_clear(err);
	return fx->spec->entry()->run(NULL, &fx->fh.host, fake_host_run(&fx->fh), err);
}

int plugin_fixture_run_cases(struct plugin_fixture *fx, const char *cases, struct ph_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"cases\": [%s]}", cases);
	assert_int_equal(fclose(f), 0);
	plugin_fixture_write(fx, "cases.json", text);
	free(text);
	return plugin_fixture_run(fx, err);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int plugin_fixture_rmtree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb))
		return 0;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}
