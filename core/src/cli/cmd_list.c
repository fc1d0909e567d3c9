/*
 * `parity list`: what this installation would run. It loads every plugin along the search
 * path exactly as `parity run` checks them (so a plugin that `run` would refuse is shown
 * with the reason), and for each domain counts the cases in the .json files of
 * <repo>/suites/<domain>; a malformed suite file is listed with its error rather than
 * stopping the listing. Everything is gathered into one JSON document first, which is
 * printed as is for --format json and rendered as aligned text otherwise, so both formats
 * say the same thing in the same (sorted) order. Exit 0; 2 for bad usage.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "domain/list.h"
#include "domain/repo.h"
#include "run/host.h"
#include "plugin/loader.h"
#include "parity/jsonio.h"
#include "parity/path.h"
#include "parity/suite.h"

static const char usage_text[] =
    "usage: parity list [--plugin-dir DIR] [--suites DIR] [--format text|json]\n\n"
    "List the domain plugins found along the search path (loaded, or refused with\n"
    "the reason), and for each domain the suite files and their number of cases.\n\n"
    "  --plugin-dir DIR   look for plugins in DIR first, then PARITY_PLUGIN_PATH,\n"
    "                     plugins/ beside the executable, the install dir\n"
    "  --suites DIR       the suites folder (default: <repo>/suites)\n"
    "  --format F         text (default) or json\n\n"
    "exit: 0, or 2 for bad usage\n";

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_loaded(const void *a, const void *b)
{
	const struct ph_loaded *x = *(const struct ph_loaded *const *)a;
	const struct ph_loaded *y = *(const struct ph_loaded *const *)b;

	return strcmp(x->domain, y->domain);
}

static int cmp_refused(const void *a, const void *b)
{
	const struct ph_refused *x = *(const struct ph_refused *const *)a;
	const struct ph_refused *y = *(const struct ph_refused *const *)b;

	return strcmp(x->path, y->path);
}

/* The names in dir (sorted) that pass keep(dir, name); NULL-terminated, caller frees. */
static char **list_dir(const char *dir, int (*keep)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !keep(dir, de->d_name))
			continue;
		grown = realloc(names, (n + 2) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		names[++n] = NULL;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), cmp_str);
	return names;
}

static void free_names(char **names)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static int keep_subdir(const char *dir, const char *name)
{
	char *p = ph_path_join(dir, name);
	int ok = p && is_dir(p);

	free(p);
	return ok;
}

static int keep_json(const char *dir, const char *name)
{
	size_t n = strlen(name);
	char *p;
	int ok;

	if (n <= 5 || strcmp(name + n - 5, ".json"))
		return 0;
	p = ph_path_join(dir, name);
	ok = p && !is_dir(p);
	free(p);
	return ok;
}

/* One suite file: {file, path, cases} or {file, path, error}. */
static json_t *suite_file(const char *dir, const char *name, json_int_t *total)
{
	char *path = ph_path_join(dir, name);
	json_t *doc = NULL, *cases, *out;
	struct ph_err err;

	if (!path)
		return NULL;
	out = json_pack("{s:s, s:s}", "file", name, "path", path);
	if (ph_json_load_file(path, &doc, &err)) {
		json_object_set_new(out, "error", json_string(err.msg));
	} else if (!json_is_array(cases = json_object_get(doc, "cases"))) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s: expected an object {\"cases\": [...]}", path);
		json_object_set_new(out, "error", json_string(msg));
	} else {
		json_object_set_new(out, "cases", json_integer((json_int_t)json_array_size(cases)));
		*total += (json_int_t)json_array_size(cases);
	}
	json_decref(doc);
	free(path);
	return out;
}

/* One domain: {domain, plugin, cases, suites: [...], error?}. */
static json_t *domain_entry(const struct ph_loader *ld, const char *suites, const char *domain)
{
	const struct ph_loaded *l = ph_loader_find(ld, domain);
	char *dir = ph_path_join(suites, domain);
	json_t *out, *files = json_array(), *all = NULL;
	json_int_t total = 0;
	char **names;
	size_t i;
	int bad = 0;

	if (!dir) {
		json_decref(files);
		return NULL;
	}
	names = list_dir(dir, keep_json);
	for (i = 0; names && names[i]; i++) {
		json_t *f = suite_file(dir, names[i], &total);

		bad |= !f || json_object_get(f, "error") != NULL;
		json_array_append_new(files, f);
	}
	free_names(names);
	out = json_pack("{s:s, s:o, s:o}", "domain", domain, "plugin",
			l ? json_string(l->path) : json_null(), "suites", files);
	json_object_set_new(out, "cases", json_integer(total));
	/* every file is well-formed: check the folder as `parity run` will read it */
	if (!bad && json_array_size(files)) {
		struct ph_err err;

		if (ph_suite_load_dir(dir, &all, &err))
			json_object_set_new(out, "error", json_string(err.msg));
		json_decref(all);
	}
	free(dir);
	return out;
}

static int has_name(const char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* The domains worth a line: those of the domain list, with a plugin, or with suites. */
static json_t *domains(const struct ph_loader *ld, const char *suites)
{
	const struct ph_domain_list *listed = ph_domains();
	char **sub = list_dir(suites, keep_subdir);
	size_t n_sub = 0, n = 0, k;
	const char **names;
	json_t *arr = json_array();

	while (sub && sub[n_sub])
		n_sub++;
	names = calloc(listed->n + ld->n_loaded + n_sub + 1, sizeof(*names));
	if (!names) {
		free_names(sub);
		return arr;
	}
	for (k = 0; k < listed->n; k++)
		if (!has_name(names, n, listed->names[k]))
			names[n++] = listed->names[k];
	for (k = 0; k < ld->n_loaded; k++)
		if (!has_name(names, n, ld->loaded[k].domain))
			names[n++] = ld->loaded[k].domain;
	for (k = 0; k < n_sub; k++)
		if (!has_name(names, n, sub[k]))
			names[n++] = sub[k];
	qsort(names, n, sizeof(*names), cmp_str);
	for (k = 0; k < n; k++)
		json_array_append_new(arr, domain_entry(ld, suites, names[k]));
	free(names);
	free_names(sub);
	return arr;
}

static json_t *gather(const struct ph_loader *ld, const char *suites)
{
	json_t *doc = json_object(), *arr;
	const struct ph_loaded **pl = calloc(ld->n_loaded + 1, sizeof(*pl));
	const struct ph_refused **pr = calloc(ld->n_refused + 1, sizeof(*pr));
	size_t i;

	if (!pl || !pr) {
		free(pl);
		free(pr);
		return doc;
	}
	arr = json_array();
	for (i = 0; i < ld->n_dirs; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b}", "dir", ld->dirs[i], "exists",
						     is_dir(ld->dirs[i])));
	json_object_set_new(doc, "search_path", arr);
	json_object_set_new(doc, "suites_dir", json_string(suites));

	for (i = 0; i < ld->n_loaded; i++)
		pl[i] = &ld->loaded[i];
	qsort(pl, ld->n_loaded, sizeof(*pl), cmp_loaded);
	arr = json_array();
	for (i = 0; i < ld->n_loaded; i++) {
		const struct ph_plugin *p = pl[i]->plugin;
		char abi[32];

		snprintf(abi, sizeof(abi), "%u.%u", p->abi_major, p->abi_minor);
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "domain", pl[i]->domain,
				       "version", p->version ? p->version : "",
				       "description", p->description ? p->description : "",
				       "path", pl[i]->path, "abi", abi));
	}
	json_object_set_new(doc, "plugins", arr);

	for (i = 0; i < ld->n_refused; i++)
		pr[i] = &ld->refused[i];
	qsort(pr, ld->n_refused, sizeof(*pr), cmp_refused);
	arr = json_array();
	for (i = 0; i < ld->n_refused; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "path", pr[i]->path,
						     "reason", pr[i]->reason, "error",
						     ph_strerror(pr[i]->code)));
	json_object_set_new(doc, "refused", arr);
	json_object_set_new(doc, "domains", domains(ld, suites));
	free(pl);
	free(pr);
	return doc;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void print_text(FILE *f, const json_t *doc)
{
	const json_t *arr, *v, *s;
	size_t i, j;

	arr = json_object_get(doc, "plugins");
	fprintf(f, "plugins: %zu loaded\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		fprintf(f, "  %-10s %-10s %s\n", str(v, "domain"), str(v, "version"),
			str(v, "description"));
		fprintf(f, "  %-10s %-10s %s\n", "", "", str(v, "path"));
	}
	arr = json_object_get(doc, "refused");
	fprintf(f, "\nrefused: %zu\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
		fprintf(f, "  %s\n    %s\n", str(v, "path"), str(v, "reason"));

	fprintf(f, "\nsuites in %s:\n", str(doc, "suites_dir"));
	json_array_foreach(json_object_get(doc, "domains"), i, v)
	{
		const json_t *files = json_object_get(v, "suites");
		const char *plugin = json_string_value(json_object_get(v, "plugin"));
		const char *base = plugin ? strrchr(plugin, '/') : NULL;

		json_int_t n = json_integer_value(json_object_get(v, "cases"));

		fprintf(f, "  %-10s %-14s %" JSON_INTEGER_FORMAT " case%s in %zu file%s\n",
			str(v, "domain"), plugin ? (base ? base + 1 : plugin) : "(no plugin)", n,
			n == 1 ? "" : "s", json_array_size(files),
			json_array_size(files) == 1 ? "" : "s");
		json_array_foreach(files, j, s)
		{
			if (json_object_get(s, "error"))
				fprintf(f, "    %-24s error: %s\n", str(s, "file"), str(s, "error"));
			else
				fprintf(f, "    %-24s %" JSON_INTEGER_FORMAT " case%s\n",
					str(s, "file"),
					json_integer_value(json_object_get(s, "cases")),
					json_integer_value(json_object_get(s, "cases")) == 1 ? ""
											   : "s");
		}
		if (json_object_get(v, "error"))
			fprintf(f, "    error: %s\n", str(v, "error"));
	}

	fprintf(f, "\nsearch path:\n");
	json_array_foreach(json_object_get(doc, "search_path"), i, v)
		fprintf(f, "  %s%s\n", str(v, "dir"),
			json_is_true(json_object_get(v, "exists")) ? "" : " (absent)");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "suites", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ph_cli_getopt g = { .cmd = "list", .argc = argc, .argv = argv,
				   .shortopts = "p:s:f:h", .longopts = opts, .usage = usage_text };
	const char *plugin_dir = NULL, *suites = NULL, *format = "text";
	char *default_suites = NULL;
	struct ph_loader ld;
	struct ph_err err;
	json_t *doc;
	int c, rc;

	while ((c = ph_cli_getopt(&g)) > 0) {
		switch (c) {
		case 'p': plugin_dir = optarg; break;
		case 's': suites = optarg; break;
		case 'f': format = optarg; break;
		}
	}
	if (c < 0)
		return ph_cli_exit(c);
	if (optind < argc)
		return ph_cli_usage("list", "unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "text") && strcmp(format, "json"))
		return ph_cli_usage("list", "unknown format '%s' (text or json)", format);
	if (!suites) {
		default_suites = ph_repo_path("suites");
		if (!default_suites)
			return PH_EXIT_NOEVAL;
		suites = default_suites;
	}
	rc = ph_loader_init(&ld, plugin_dir, ph_argv0, ph_host_table(), &err);
	if (rc) {
		ph_loader_release(&ld);
		free(default_suites);
		return ph_cli_fail(&err);
	}
	ph_loader_load_all(&ld);
	doc = gather(&ld, suites);
	if (!strcmp(format, "json"))
		ph_cli_print_json(doc);
	else
		print_text(stdout, doc);
	json_decref(doc);
	/* fini runs after the listing, so a plugin's noise on exit does not split it */
	ph_loader_release(&ld);
	free(default_suites);
	return PH_EXIT_OK;
}
