/*
 * The plugin loader: builds the search path, finds `<domain>.so` files along it, and
 * admits a plugin only after checking it in a fixed order (open, entry symbol, entry
 * result, ABI major, ABI minor, descriptor size, name against the file stem, required
 * hooks, duplicate domain, init). The order matters: each check may only read what the
 * previous ones proved is there, e.g. the name is read only once the descriptor is known
 * to be long enough to hold it. Every refusal closes the file, is kept in ld->refused and
 * says what failed, naming the file in brackets as SQLite does
 * ("no entry point [ph_read_plugin] in plugin [/path/read.so]"). Opening goes through
 * dl.h; this file never sees libltdl.
 */
#include "plugin/loader.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parity/path.h"
#include "parity/strbuf.h"
#include "plugin/dl.h"

#ifndef PARITY_PLUGIN_INSTALL_DIR
#define PARITY_PLUGIN_INSTALL_DIR "/usr/local/lib/parity/plugins"
#endif

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* The file stem: the base name without a trailing ".so" (or ".la"). New string. */
static char *stem_of(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 3 && (!strcmp(base + n - 3, ".so") || !strcmp(base + n - 3, ".la")))
		n -= 3;
	return dup_n(base, n);
}

/* Does the directory entry name look like a plugin file ("x.so", not ".so")? */
static int is_so_name(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && !strcmp(name + n - 3, ".so");
}

static int is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Add a refusal to ld->refused; memory trouble only loses the record, not the error. */
static void remember_refusal(struct ph_loader *ld, const char *path, const char *reason,
			     int code)
{
	struct ph_refused *r;

	r = realloc(ld->refused, (ld->n_refused + 1) * sizeof(*r));
	if (!r)
		return;
	ld->refused = r;
	r = &ld->refused[ld->n_refused];
	r->path = strdup(path);
	r->reason = strdup(reason);
	r->code = code;
	if (!r->path || !r->reason) {
		free(r->path);
		free(r->reason);
		return;
	}
	ld->n_refused++;
}

/* Fill err, remember the refusal, and return code. */
static int refuse(struct ph_loader *ld, const char *path, struct ph_err *err, int code,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int refuse(struct ph_loader *ld, const char *path, struct ph_err *err, int code,
		  const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	remember_refusal(ld, path, err->msg, code);
	return code;
}

/* The same directory twice in the search path would only produce duplicates. */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (!strcmp(a, b))
		return 1;
	if (!realpath(a, ra) || !realpath(b, rb))
		return 0;
	return !strcmp(ra, rb);
}

static int add_dir(struct ph_loader *ld, const char *dir, size_t len, struct ph_err *err)
{
	char **dirs;
	char *copy;
	size_t i;

	if (!dir || !len)
		return 0;
	copy = dup_n(dir, len);
	if (!copy)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < ld->n_dirs; i++) {
		if (same_dir(ld->dirs[i], copy)) {
			free(copy);
			return 0;
		}
	}
	dirs = realloc(ld->dirs, (ld->n_dirs + 1) * sizeof(*dirs));
	if (!dirs) {
		free(copy);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	ld->dirs = dirs;
	ld->dirs[ld->n_dirs++] = copy;
	return 0;
}

/* `plugins/` beside the executable: /proc/self/exe, else argv0's folder. */
static int add_exe_dir(struct ph_loader *ld, const char *argv0, struct ph_err *err)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *slash;
	char *dir;
	int rc;

	if (n > 0) {
		exe[n] = '\0';
	} else if (argv0 && strchr(argv0, '/')) {
		snprintf(exe, sizeof(exe), "%s", argv0);
	} else {
		return 0; /* found through PATH: no folder to speak of */
	}
	slash = strrchr(exe, '/');
	if (slash == exe)
		dir = strdup("/plugins");
	else {
		exe[slash - exe] = '\0';
		dir = ph_path_join(exe, "plugins");
	}
	if (!dir)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = add_dir(ld, dir, strlen(dir), err);
	free(dir);
	return rc;
}

int ph_loader_init(struct ph_loader *ld, const char *plugin_dir, const char *argv0,
		   const struct ph_host *host, struct ph_err *err)
{
	const char *env = getenv("PARITY_PLUGIN_PATH");
	int rc;

	memset(ld, 0, sizeof(*ld));
	ld->host = host;
	if (plugin_dir && (rc = add_dir(ld, plugin_dir, strlen(plugin_dir), err)))
		return rc;
	while (env && *env) {
		const char *colon = strchr(env, ':');
		size_t len = colon ? (size_t)(colon - env) : strlen(env);

		if ((rc = add_dir(ld, env, len, err)))
			return rc;
		env = colon ? colon + 1 : NULL;
	}
	if ((rc = add_exe_dir(ld, argv0, err)))
		return rc;
	return add_dir(ld, PARITY_PLUGIN_INSTALL_DIR, strlen(PARITY_PLUGIN_INSTALL_DIR), err);
}

const struct ph_loaded *ph_loader_find(const struct ph_loader *ld, const char *domain)
{
	size_t i;

	for (i = 0; i < ld->n_loaded; i++)
		if (!strcmp(ld->loaded[i].domain, domain))
			return &ld->loaded[i];
	return NULL;
}

/*
 * The checks that need only the descriptor, in their fixed order (ABI major, minor, size,
 * name, hooks). Returns 0 or the refusal's code with err filled.
 */
static int check_descriptor(struct ph_loader *ld, const char *path, const char *stem,
			    const struct ph_plugin *pl, struct ph_err *err)
{
	if (pl->abi_major != PH_ABI_MAJOR)
		return refuse(ld, path, err, PH_E_ABI,
			      "abi major differs: plugin [%s] has abi major %u, host has %u", path,
			      pl->abi_major, (unsigned)PH_ABI_MAJOR);
	if (pl->abi_minor > PH_ABI_MINOR)
		return refuse(ld, path, err, PH_E_ABI,
			      "abi minor newer than host: plugin [%s] has abi minor %u, host has %u",
			      path, pl->abi_minor, (unsigned)PH_ABI_MINOR);
	if (pl->size < PH_LOADER_MIN_SIZE)
		return refuse(ld, path, err, PH_E_ABI,
			      "descriptor too short: plugin [%s] has %zu bytes, host needs %zu",
			      path, pl->size, (size_t)PH_LOADER_MIN_SIZE);
	if (!pl->name || strcmp(pl->name, stem))
		return refuse(ld, path, err, PH_E_PLUGIN,
			      "name differs from file stem: plugin [%s] is named '%s', file stem "
			      "is '%s'",
			      path, pl->name ? pl->name : "(none)", stem);
	if (!pl->run)
		return refuse(ld, path, err, PH_E_PLUGIN,
			      "required hook missing: plugin [%s] has no 'run' hook", path);
	return 0;
}

static int admit(struct ph_loader *ld, const char *path, char *stem, struct ph_dl *dl,
		 const struct ph_plugin *pl, void *state, struct ph_err *err)
{
	struct ph_loaded *l = realloc(ld->loaded, (ld->n_loaded + 1) * sizeof(*l));

	if (!l)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	ld->loaded = l;
	l = &ld->loaded[ld->n_loaded];
	memset(l, 0, sizeof(*l));
	l->path = strdup(path);
	if (!l->path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	l->domain = stem;
	l->dl = dl;
	l->plugin = pl;
	l->state = state;
	l->initialised = 1;
	ld->n_loaded++;
	return 0;
}

int ph_loader_load_file(struct ph_loader *ld, const char *path, struct ph_err *err)
{
	struct ph_err local, perr;
	const struct ph_plugin *pl;
	const struct ph_loaded *other;
	ph_plugin_entry_fn entry;
	struct ph_dl *dl;
	const char *why = NULL;
	char *stem, *symbol;
	void *sym, *state = NULL;
	int rc;

	if (!err)
		err = &local;
	ph_err_clear(err);
	stem = stem_of(path);
	if (!stem)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	symbol = malloc(strlen(stem) + sizeof("ph__plugin"));
	if (!symbol) {
		free(stem);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	sprintf(symbol, "ph_%s_plugin", stem);

	dl = ph_dl_open(path, &why);
	if (!dl) {
		rc = refuse(ld, path, err, PH_E_PLUGIN, "cannot open plugin [%s]: %s", path,
			    why ? why : "unknown error");
		goto fail;
	}
	sym = ph_dl_sym(dl, symbol);
	if (!sym) {
		rc = refuse(ld, path, err, PH_E_PLUGIN, "no entry point [%s] in plugin [%s]",
			    symbol, path);
		goto fail;
	}
	/* POSIX guarantees a data pointer from dlsym can hold a function pointer */
	memcpy(&entry, &sym, sizeof(entry));
	pl = entry();
	if (!pl) {
		rc = refuse(ld, path, err, PH_E_PLUGIN,
			    "entry point [%s] in plugin [%s] returned NULL", symbol, path);
		goto fail;
	}
	rc = check_descriptor(ld, path, stem, pl, err);
	if (rc)
		goto fail;
	other = ph_loader_find(ld, stem);
	if (other) {
		rc = refuse(ld, path, err, PH_E_PLUGIN,
			    "domain already loaded: '%s' from [%s], refusing plugin [%s]", stem,
			    other->path, path);
		goto fail;
	}
	if (pl->init) {
		ph_err_clear(&perr);
		rc = pl->init(ld->host, &state, &perr);
		if (rc) {
			rc = refuse(ld, path, err, PH_E_PLUGIN, "init failed: plugin [%s]: %s",
				    path, perr.msg[0] ? perr.msg : ph_strerror(rc));
			goto fail;
		}
	}
	rc = admit(ld, path, stem, dl, pl, state, err);
	if (rc) {
		if (pl->fini)
			pl->fini(state);
		goto fail;
	}
	free(symbol);
	return 0;
fail:
	ph_dl_close(dl);
	free(stem);
	free(symbol);
	return rc;
}

int ph_loader_load_domain(struct ph_loader *ld, const char *domain, struct ph_err *err)
{
	char searched[768] = "";
	size_t i, used = 0;

	if (!domain || !*domain || strchr(domain, '/'))
		return ph_error(err, PH_E_INVALID, "invalid domain name '%s'",
				domain ? domain : "");
	if (ph_loader_find(ld, domain))
		return 0;
	for (i = 0; i < ld->n_dirs; i++) {
		char *path = ph_strdup_printf("%s/%s.so", ld->dirs[i], domain);
		int rc;

		if (!path)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		if (is_regular_file(path)) {
			rc = ph_loader_load_file(ld, path, err);
			free(path);
			return rc;
		}
		free(path);
		if (used < sizeof(searched))
			used += (size_t)snprintf(searched + used, sizeof(searched) - used, "%s%s",
						 i ? ", " : "", ld->dirs[i]);
	}
	return ph_error(err, PH_E_NOTFOUND, "no plugin '%s.so' found (searched: %s)", domain,
			ld->n_dirs ? searched : "nothing");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first refusal of a file with this stem, or NULL. */
static const struct ph_refused *find_refused(const struct ph_loader *ld, const char *stem)
{
	size_t i;

	for (i = 0; i < ld->n_refused; i++) {
		char *s = stem_of(ld->refused[i].path);
		int same = s && !strcmp(s, stem);

		free(s);
		if (same)
			return &ld->refused[i];
	}
	return NULL;
}

/*
 * Load one file found by a directory scan. A later file of a domain already tried is
 * shadowed, as `parity run` would never reach it: it is recorded without being opened.
 */
static void load_scanned(struct ph_loader *ld, const char *path)
{
	const struct ph_loaded *l;
	const struct ph_refused *r;
	struct ph_err err;
	char *stem = stem_of(path);

	if (!stem)
		return;
	l = ph_loader_find(ld, stem);
	r = l ? NULL : find_refused(ld, stem);
	if (l && strcmp(l->path, path))
		refuse(ld, path, &err, PH_E_PLUGIN,
		       "domain already loaded: '%s' from [%s], refusing plugin [%s]", stem,
		       l->path, path);
	else if (r && strcmp(r->path, path))
		refuse(ld, path, &err, PH_E_PLUGIN,
		       "domain shadowed: plugin [%s] is hidden by [%s], which was refused", path,
		       r->path);
	else if (!l && !r)
		ph_loader_load_file(ld, path, &err);
	free(stem);
}

void ph_loader_load_all(struct ph_loader *ld)
{
	size_t i, j;

	for (i = 0; i < ld->n_dirs; i++) {
		DIR *d = opendir(ld->dirs[i]);
		struct dirent *de;
		char **paths = NULL, **grown;
		size_t n = 0;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			char *path;

			if (!is_so_name(de->d_name))
				continue;
			path = ph_path_join(ld->dirs[i], de->d_name);
			if (!path)
				break;
			if (!is_regular_file(path)) {
				free(path);
				continue;
			}
			grown = realloc(paths, (n + 1) * sizeof(*paths));
			if (!grown) {
				free(path);
				break;
			}
			paths = grown;
			paths[n++] = path;
		}
		closedir(d);
		if (n)
			qsort(paths, n, sizeof(*paths), cmp_str);
		for (j = 0; j < n; j++) {
			load_scanned(ld, paths[j]);
			free(paths[j]);
		}
		free(paths);
	}
}

void ph_loader_release(struct ph_loader *ld)
{
	size_t i;

	if (!ld)
		return;
	for (i = ld->n_loaded; i-- > 0;) {
		struct ph_loaded *l = &ld->loaded[i];

		if (l->initialised && l->plugin->fini)
			l->plugin->fini(l->state);
		ph_dl_close(l->dl);
		free(l->path);
		free(l->domain);
	}
	free(ld->loaded);
	for (i = 0; i < ld->n_refused; i++) {
		free(ld->refused[i].path);
		free(ld->refused[i].reason);
	}
	free(ld->refused);
	for (i = 0; i < ld->n_dirs; i++)
		free(ld->dirs[i]);
	free(ld->dirs);
	memset(ld, 0, sizeof(*ld));
}
