/*
 * Tests of the plugin loader (loader.c over dl.c): every refusal in the fixed check order
 * is provoked by a deliberately broken plugin built from core/tests/plugins/tplugin.c into
 * its own folder under PARITY_TEST_PLUGIN_DIR, and the message must name the file and the
 * exact symbol, numbers or names concerned. A fake host counts the "init", "run" and "fini"
 * lines the test plugins log, which proves when fini is and is not called. The search-order
 * tests drive --plugin-dir against PARITY_PLUGIN_PATH, and `parity list` is run in-process
 * on the test plugins and a suites folder made for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "plugin/loader.h"
#include "parity/jsonio.h"

#include "support.h"

#ifndef PARITY_TEST_PLUGIN_DIR
#error "PARITY_TEST_PLUGIN_DIR must name the folder of the test plugins"
#endif
#define TPD PARITY_TEST_PLUGIN_DIR

static int n_init, n_run, n_fini, n_bad;

static void fake_log(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
{
	char what[64];
	va_list ap;

	(void)run;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!strcmp(what, "init"))
		n_init++;
	else if (!strcmp(what, "run"))
		n_run++;
	else if (!strcmp(what, "fini"))
		n_fini++;
	else
		n_bad++;
}

static const struct ph_host fake_host = {
	.abi_major = PH_ABI_MAJOR,
	.abi_minor = PH_ABI_MINOR,
	.size = sizeof(struct ph_host),
	.log = fake_log,
};

static int setup(void **state)
{
	(void)state;
	n_init = n_run = n_fini = n_bad = 0;
	unsetenv("PARITY_PLUGIN_PATH");
	return 0;
}

/* Is a file with this path mapped into the process (a plugin left open)? */
static int mapped(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n');
		size_t n = strlen(path);

		if (nl)
			*nl = '\0';
		found = strlen(line) >= n && !strcmp(line + strlen(line) - n, path);
	}
	fclose(f);
	return found;
}

#define assert_contains(hay, needle)                                                        \
	do {                                                                                \
		if (!strstr((hay), (needle)))                                               \
			fail_msg("expected \"%s\" in \"%s\"", (needle), (hay));             \
	} while (0)

/*
 * Load path into a fresh loader and expect a refusal with code and every piece of
 * message in pieces (NULL-terminated). The refusal must be recorded with the same text
 * and the file must not stay mapped.
 */
static void expect_refusal(const char *path, int code, ...)
{
	struct ph_loader ld;
	struct ph_err err;
	const char *piece;
	va_list ap;
	int rc;

	assert_int_equal(ph_loader_init(&ld, NULL, NULL, &fake_host, &err), 0);
	rc = ph_loader_load_file(&ld, path, &err);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	va_start(ap, code);
	while ((piece = va_arg(ap, const char *)))
		assert_contains(err.msg, piece);
	va_end(ap);
	assert_int_equal(ld.n_loaded, 0);
	assert_int_equal(ld.n_refused, 1);
	assert_string_equal(ld.refused[0].path, path);
	assert_string_equal(ld.refused[0].reason, err.msg);
	assert_int_equal(ld.refused[0].code, code);
	if (mapped(path) >= 0)
		assert_int_equal(mapped(path), 0);
	ph_loader_release(&ld);
	assert_int_equal(n_fini, 0);
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_refusal(TPD "/nowhere/ghost.so", PH_E_PLUGIN,
		       "cannot open plugin [" TPD "/nowhere/ghost.so]: ", "No such file or directory",
		       NULL);
}

static void test_not_a_shared_object(void **state)
{
	struct ph_loader ld;
	struct ph_err err;
	const char *prefix = "cannot open plugin [" TPD "/notelf/x.so]: ";

	(void)state;
	/* libltdl's text, then the dynamic linker's own reason naming the file */
	expect_refusal(TPD "/notelf/x.so", PH_E_PLUGIN, prefix, "the dynamic linker says: ",
		       TPD "/notelf/x.so: ", "ELF header", NULL);
	assert_int_equal(ph_loader_init(&ld, NULL, NULL, &fake_host, &err), 0);
	ph_loader_load_file(&ld, TPD "/notelf/x.so", &err);
	assert_true(strlen(err.msg) > strlen(prefix));
	ph_loader_release(&ld);
}

static void test_no_entry_point(void **state)
{
	(void)state;
	expect_refusal(TPD "/noentry/noentry.so", PH_E_PLUGIN,
		       "no entry point [ph_noentry_plugin] in plugin [" TPD
		       "/noentry/noentry.so]",
		       NULL);
}

static void test_entry_returns_null(void **state)
{
	(void)state;
	expect_refusal(TPD "/nullentry/nullentry.so", PH_E_PLUGIN,
		       "entry point [ph_nullentry_plugin] in plugin [" TPD
		       "/nullentry/nullentry.so] returned NULL",
		       NULL);
}

/* The refusals whose message quotes two numbers: the plugin's and the host's. */
static void test_abi_refusals(void **state)
{
	static const struct {
		const char *so, *what, *fmt;
		size_t plugin, host;
	} t[] = {
	    {TPD "/major/major.so", "abi major differs", "has abi major %zu, host has %zu",
	     PH_ABI_MAJOR + 1, PH_ABI_MAJOR},
	    {TPD "/minor/minor.so", "abi minor newer than host", "has abi minor %zu, host has %zu",
	     PH_ABI_MINOR + 1, PH_ABI_MINOR},
	    {TPD "/short/short.so", "descriptor too short", "has %zu bytes, host needs %zu",
	     offsetof(struct ph_plugin, fini), PH_LOADER_MIN_SIZE},
	};
	char want[128], plugin[512];
	size_t i;

	(void)state;
	assert_true(offsetof(struct ph_plugin, fini) < PH_LOADER_MIN_SIZE);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), t[i].fmt, t[i].plugin, t[i].host);
		snprintf(plugin, sizeof(plugin), "plugin [%s]", t[i].so);
		expect_refusal(t[i].so, PH_E_ABI, t[i].what, plugin, want, NULL);
	}
}

static void test_name_differs(void **state)
{
	(void)state;
	expect_refusal(TPD "/named/named.so", PH_E_PLUGIN, "name differs from file stem",
		       "plugin [" TPD "/named/named.so]", "named 'other'", "stem is 'named'",
		       NULL);
}

static void test_run_missing(void **state)
{
	(void)state;
	expect_refusal(TPD "/norun/norun.so", PH_E_PLUGIN, "required hook missing",
		       "plugin [" TPD "/norun/norun.so]", "'run'", NULL);
	assert_int_equal(n_init, 0); /* refused before init */
}

static void test_init_fails_without_fini(void **state)
{
	(void)state;
	expect_refusal(TPD "/initfail/initfail.so", PH_E_PLUGIN, "init failed",
		       "plugin [" TPD "/initfail/initfail.so]",
		       "cannot reach the test database at port 7", NULL);
	assert_int_equal(n_init, 1);
	assert_int_equal(n_fini, 0);
}

/*
 * Init ld over the fake host (no search path) and load the plugin at path, which loads:
 * the domain it loaded as.
 */
static const struct ph_loaded *load_one(struct ph_loader *ld, const char *path, const char *domain)
{
	const struct ph_loaded *l;
	struct ph_err err;

	assert_int_equal(ph_loader_init(ld, NULL, NULL, &fake_host, &err), 0);
	assert_int_equal(ph_loader_load_file(ld, path, &err), 0);
	l = ph_loader_find(ld, domain);
	assert_non_null(l);
	return l;
}

static void test_duplicate_domain(void **state)
{
	struct ph_loader ld;
	struct ph_err err;
	const struct ph_loaded *l;

	(void)state;
	load_one(&ld, TPD "/dup1/dup.so", "dup");
	assert_int_equal(ph_loader_load_file(&ld, TPD "/dup2/dup.so", &err), PH_E_PLUGIN);
	assert_contains(err.msg, "domain already loaded");
	assert_contains(err.msg, "'dup' from [" TPD "/dup1/dup.so]");
	assert_contains(err.msg, "plugin [" TPD "/dup2/dup.so]");
	assert_int_equal(ld.n_loaded, 1);
	assert_int_equal(ld.n_refused, 1);
	assert_string_equal(ld.refused[0].path, TPD "/dup2/dup.so");
	assert_int_equal(n_init, 1); /* the duplicate is refused before its init */
	l = ph_loader_find(&ld, "dup");
	assert_non_null(l);
	assert_string_equal(l->plugin->version, "1-first");
	if (mapped(TPD "/dup2/dup.so") >= 0)
		assert_int_equal(mapped(TPD "/dup2/dup.so"), 0);
	ph_loader_release(&ld);
	assert_int_equal(n_fini, 1);
}

static void test_good_plugin(void **state)
{
	struct ph_loader ld;
	struct ph_err err;
	const struct ph_loaded *l;

	(void)state;
	l = load_one(&ld, TPD "/good/good.so", "good");
	assert_int_equal(ld.n_refused, 0);
	assert_null(ph_loader_find(&ld, "goo"));
	assert_string_equal(l->domain, "good");
	assert_string_equal(l->path, TPD "/good/good.so");
	assert_string_equal(l->plugin->name, "good");
	assert_string_equal(l->plugin->version, "1.0.0");
	assert_int_equal(n_init, 1);
	assert_int_equal(n_fini, 0);
	/* run gets the state init made */
	assert_int_equal(l->plugin->run(l->state, &fake_host, NULL, &err), 0);
	assert_int_equal(n_run, 1);
	if (mapped(TPD "/good/good.so") >= 0)
		assert_int_equal(mapped(TPD "/good/good.so"), 1);
	ph_loader_release(&ld);
	assert_int_equal(n_fini, 1);
	assert_int_equal(n_bad, 0); /* fini got init's state */
	if (mapped(TPD "/good/good.so") >= 0)
		assert_int_equal(mapped(TPD "/good/good.so"), 0);
	ph_loader_release(&ld); /* releasing twice is harmless */
	assert_int_equal(n_fini, 1);
}

static void test_search_path_order(void **state)
{
	struct ph_loader ld;
	struct ph_err err;

	(void)state;
	setenv("PARITY_PLUGIN_PATH", TPD "/dup2::" TPD "/empty:" TPD "/dup1/", 1);
	assert_int_equal(ph_loader_init(&ld, TPD "/good", "/nonexistent/bin/parity",
					&fake_host, &err),
			 0);
	assert_true(ld.n_dirs >= 5);
	assert_string_equal(ld.dirs[0], TPD "/good");
	assert_string_equal(ld.dirs[1], TPD "/dup2");
	assert_string_equal(ld.dirs[2], TPD "/empty");
	assert_string_equal(ld.dirs[3], TPD "/dup1/");
	/* beside the running executable (this test), from /proc/self/exe, not argv0 */
	assert_non_null(strstr(ld.dirs[4], "/plugins"));
	assert_null(strstr(ld.dirs[4], "/nonexistent/"));
	assert_string_equal(ld.dirs[ld.n_dirs - 1], PARITY_PLUGIN_INSTALL_DIR);
	ph_loader_release(&ld);

	/* the same folder named twice is searched once */
	setenv("PARITY_PLUGIN_PATH", TPD "/good:" TPD "/dup1/../good", 1);
	assert_int_equal(ph_loader_init(&ld, TPD "/good", NULL, &fake_host, &err), 0);
	assert_string_equal(ld.dirs[0], TPD "/good");
	assert_true(ld.n_dirs < 2 || !strstr(ld.dirs[1], "good"));
	ph_loader_release(&ld);
}

/* Which copy of domain "dup" a loader with this --plugin-dir and PATH picks. */
static const char *dup_version(const char *plugin_dir, const char *env, char *buf, size_t n)
{
	struct ph_loader ld;
	struct ph_err err;
	const struct ph_loaded *l;

	if (env)
		setenv("PARITY_PLUGIN_PATH", env, 1);
	else
		unsetenv("PARITY_PLUGIN_PATH");
	assert_int_equal(ph_loader_init(&ld, plugin_dir, NULL, &fake_host, &err), 0);
	assert_int_equal(ph_loader_load_domain(&ld, "dup", &err), 0);
	assert_int_equal(ph_loader_load_domain(&ld, "dup", &err), 0); /* once is enough */
	assert_int_equal(ld.n_loaded, 1);
	l = ph_loader_find(&ld, "dup");
	assert_non_null(l);
	snprintf(buf, n, "%s", l->plugin->version);
	ph_loader_release(&ld);
	return buf;
}

static void test_search_order_loads_first(void **state)
{
	char v[32];

	(void)state;
	/* --plugin-dir beats PARITY_PLUGIN_PATH */
	assert_string_equal(dup_version(TPD "/dup1", TPD "/dup2", v, sizeof(v)), "1-first");
	assert_string_equal(dup_version(TPD "/dup2", TPD "/dup1", v, sizeof(v)), "2-second");
	/* within PARITY_PLUGIN_PATH, left to right; folders without the file are passed */
	assert_string_equal(dup_version(NULL, TPD "/dup2:" TPD "/dup1", v, sizeof(v)),
			    "2-second");
	assert_string_equal(dup_version(NULL, TPD "/empty:" TPD "/dup1:" TPD "/dup2", v,
					sizeof(v)),
			    "1-first");
	assert_string_equal(dup_version(TPD "/empty", TPD "/dup2", v, sizeof(v)), "2-second");
}

static void test_first_found_wins_even_when_refused(void **state)
{
	struct ph_loader ld;
	struct ph_err err;

	(void)state;
	/* norun/norun.so comes first: it is refused and the search stops there */
	setenv("PARITY_PLUGIN_PATH", TPD "/good", 1);
	assert_int_equal(ph_loader_init(&ld, TPD "/norun", NULL, &fake_host, &err), 0);
	assert_int_equal(ph_loader_load_domain(&ld, "norun", &err), PH_E_PLUGIN);
	assert_contains(err.msg, "plugin [" TPD "/norun/norun.so]");
	assert_int_equal(ph_loader_load_domain(&ld, "good", &err), 0);
	assert_int_equal(ph_loader_load_domain(&ld, "absent", &err), PH_E_NOTFOUND);
	assert_contains(err.msg, "no plugin 'absent.so' found");
	assert_contains(err.msg, TPD "/norun, " TPD "/good");
	assert_int_equal(ph_loader_load_domain(&ld, "../good/good", &err), PH_E_INVALID);
	ph_loader_release(&ld);
	assert_int_equal(n_init, 1);
	assert_int_equal(n_fini, 1);
}

static void test_load_all(void **state)
{
	struct ph_loader ld;
	struct ph_err err;
	const char *want_refused[] = { TPD "/mixed/beta.so", TPD "/dup2/dup.so" };
	const char *want_reason[] = { "required hook missing",
				      "domain already loaded: 'dup' from [" TPD "/dup1/dup.so]" };
	size_t i, k, ours = 0;

	(void)state;
	setenv("PARITY_PLUGIN_PATH", TPD "/dup1:" TPD "/dup2:" TPD "/empty", 1);
	assert_int_equal(ph_loader_init(&ld, TPD "/mixed", NULL, &fake_host, &err), 0);
	ph_loader_load_all(&ld);
	assert_non_null(ph_loader_find(&ld, "alpha"));
	assert_non_null(ph_loader_find(&ld, "dup"));
	assert_string_equal(ph_loader_find(&ld, "dup")->path, TPD "/dup1/dup.so");
	assert_null(ph_loader_find(&ld, "beta"));
	/* the folders outside the test's (beside the binary, install dir) may add their own */
	for (i = 0; i < ld.n_refused; i++) {
		if (strncmp(ld.refused[i].path, TPD "/", strlen(TPD "/")))
			continue;
		for (k = 0; k < 2; k++)
			if (!strcmp(ld.refused[i].path, want_refused[k]))
				break;
		if (k == 2)
			fail_msg("unexpected refusal: %s", ld.refused[i].reason);
		assert_contains(ld.refused[i].reason, want_reason[k]);
		assert_contains(ld.refused[i].reason, want_refused[k]);
		ours++;
	}
	assert_int_equal(ours, 2);
	/* the shadowed copy was never opened, so its init never ran */
	assert_int_equal(n_init, 2);
	ph_loader_release(&ld);
	assert_int_equal(n_fini, 2);
}

/* Run `parity list` with args, its stdout captured into *out (caller frees). */
static int run_list(char **out, int argc, ...)
{
	char *argv[16];
	struct t_cli r;
	va_list ap;
	int i;

	assert_true(argc < 16);
	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	t_cli_run(&r, cmd_list, argv, NULL, 0);
	*out = r.out;
	return r.rc;
}

/*
 * A suites folder <t_dir>/<name>: alpha/ (ok.json with 2 cases, more.json with 1,
 * notes.txt) and extra/ (broken.json, not JSON, and shape.json, JSON of the wrong shape).
 * Its path into root (512 bytes).
 */
static void make_suites(char *root, const char *name)
{
	snprintf(root, 512, "%s", t_mkdir_in(t_dir, name));
	t_mkdir_in(root, "alpha");
	t_write_in(root, "alpha/ok.json", "{\"cases\": [{\"name\": \"one\"}, {\"name\": \"two\"}]}\n");
	t_write_in(root, "alpha/more.json", "{\"cases\": [{\"name\": \"three\"}]}\n");
	t_write_in(root, "alpha/notes.txt", "not a suite\n");
	t_mkdir_in(root, "extra");
	t_write_in(root, "extra/broken.json", "{\"cases\": [\n  {\"name\": }\n");
	t_write_in(root, "extra/shape.json", "[1, 2]\n");
}

static const json_t *by_key(const json_t *arr, const char *key, const char *value)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(json_object_get(v, key));

		if (s && !strcmp(s, value))
			return v;
	}
	return NULL;
}

static void test_list_json(void **state)
{
	char root[512], *out = NULL;
	json_t *doc;
	const json_t *v, *files;
	struct ph_err err;
	const char *prev = NULL;
	size_t i;

	(void)state;
	make_suites(root, "suites-json");
	setenv("PARITY_PLUGIN_PATH", TPD "/dup1:" TPD "/dup2", 1);
	assert_int_equal(run_list(&out, 7, "list", "--plugin-dir", TPD "/mixed", "--suites",
				  root, "--format", "json"),
			 0);
	assert_int_equal(ph_json_load_buffer("list output", out, strlen(out), &doc, &err), 0);

	/* loaded plugins, sorted by domain, with version and path */
	v = json_object_get(doc, "plugins");
	assert_non_null(by_key(v, "domain", "alpha"));
	assert_string_equal(json_string_value(json_object_get(by_key(v, "domain", "dup"),
							      "version")),
			    "1-first");
	assert_string_equal(json_string_value(json_object_get(by_key(v, "domain", "dup"),
							      "path")),
			    TPD "/dup1/dup.so");
	assert_null(by_key(v, "domain", "beta"));
	json_array_foreach(v, i, files)
	{
		const char *d = json_string_value(json_object_get(files, "domain"));

		assert_true(!prev || strcmp(prev, d) < 0);
		prev = d;
	}
	/* refused ones with their reasons */
	v = json_object_get(doc, "refused");
	assert_non_null(strstr(json_string_value(json_object_get(
				       by_key(v, "path", TPD "/mixed/beta.so"), "reason")),
			       "required hook missing"));
	assert_non_null(strstr(json_string_value(json_object_get(
				       by_key(v, "path", TPD "/dup2/dup.so"), "reason")),
			       "domain already loaded: 'dup' from [" TPD "/dup1/dup.so]"));

	/* suites: counts per file and per domain, errors listed, not fatal */
	v = by_key(json_object_get(doc, "domains"), "domain", "alpha");
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "plugin")),
			    TPD "/mixed/alpha.so");
	assert_int_equal(json_integer_value(json_object_get(v, "cases")), 3);
	files = json_object_get(v, "suites");
	assert_int_equal(json_array_size(files), 2); /* notes.txt is not a suite */
	assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "file")),
			    "more.json");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(files, 1), "cases")),
			 2);
	v = by_key(json_object_get(doc, "domains"), "domain", "extra");
	assert_non_null(v);
	assert_true(json_is_null(json_object_get(v, "plugin")));
	files = json_object_get(v, "suites");
	assert_int_equal(json_array_size(files), 2);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(files, 0),
								 "error")),
			       "/extra/broken.json:2:"));
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(files, 1),
								 "error")),
			       "/extra/shape.json: expected an object"));
	/* the nine known domains are listed even without plugin or suites */
	assert_non_null(by_key(json_object_get(doc, "domains"), "domain", "secrets"));
	json_decref(doc);
	free(out);
}

static void test_list_text_and_usage(void **state)
{
	char root[512], *out = NULL;

	(void)state;
	make_suites(root, "suites-text");
	setenv("PARITY_PLUGIN_PATH", TPD "/empty", 1);
	assert_int_equal(run_list(&out, 5, "list", "--plugin-dir", TPD "/mixed", "--suites",
				  root),
			 0);
	assert_contains(out, "plugins: 1 loaded\n");
	assert_contains(out, "alpha");
	assert_contains(out, TPD "/mixed/alpha.so");
	assert_contains(out, "  " TPD "/mixed/beta.so\n    required hook missing");
	assert_contains(out, "3 cases in 2 files");
	assert_contains(out, "ok.json");
	assert_contains(out, "broken.json");
	assert_contains(out, "error: ");
	assert_contains(out, TPD "/empty\n");
	free(out);
	/* a listing is stable: the same twice */
	{
		char *again = NULL;

		assert_int_equal(run_list(&again, 5, "list", "--plugin-dir", TPD "/mixed",
					  "--suites", root),
				 0);
		assert_int_equal(run_list(&out, 5, "list", "--plugin-dir", TPD "/mixed",
					  "--suites", root),
				 0);
		assert_string_equal(out, again);
		free(again);
		free(out);
	}
	assert_int_equal(run_list(&out, 3, "list", "--format", "xml"), PH_EXIT_USAGE);
	free(out);
	assert_int_equal(run_list(&out, 2, "list", "extra-arg"), PH_EXIT_USAGE);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_missing_file, setup),
		cmocka_unit_test_setup(test_not_a_shared_object, setup),
		cmocka_unit_test_setup(test_no_entry_point, setup),
		cmocka_unit_test_setup(test_entry_returns_null, setup),
		cmocka_unit_test_setup(test_abi_refusals, setup),
		cmocka_unit_test_setup(test_name_differs, setup),
		cmocka_unit_test_setup(test_run_missing, setup),
		cmocka_unit_test_setup(test_init_fails_without_fini, setup),
		cmocka_unit_test_setup(test_duplicate_domain, setup),
		cmocka_unit_test_setup(test_good_plugin, setup),
		cmocka_unit_test_setup(test_search_path_order, setup),
		cmocka_unit_test_setup(test_search_order_loads_first, setup),
		cmocka_unit_test_setup(test_first_found_wins_even_when_refused, setup),
		cmocka_unit_test_setup(test_load_all, setup),
		cmocka_unit_test_setup(test_list_json, setup),
		cmocka_unit_test_setup(test_list_text_and_usage, setup),
	};

	return cmocka_run_group_tests(tests, t_dir_setup, t_dir_teardown);
}
