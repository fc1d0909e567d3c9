/*
 * The plugin loader: finds `<domain>.so` files along a search path, checks each against
 * the ABI in a fixed order (open, entry symbol, ABI major, minor, descriptor size, name,
 * required hooks, duplicate domain, init) and keeps the accepted ones. Every refusal
 * says what failed and names the file.
 *
 * Search order: --plugin-dir, PARITY_PLUGIN_PATH (colon-separated), the `plugins/`
 * folder beside the executable, the install dir (PARITY_PLUGIN_INSTALL_DIR).
 */
#ifndef PARITY_LOADER_H
#define PARITY_LOADER_H

#include <stddef.h>

#include "parity/err.h"
#include "parity/plugin.h"

struct ph_dl;

struct ph_loaded {
	char *path;
	char *domain;                /* file stem */
	struct ph_dl *dl;
	const struct ph_plugin *plugin;
	void *state;                 /* from init */
	int initialised;
};

struct ph_refused {
	char *path;
	char *reason;                /* the full message, naming the file */
	int code;
};

struct ph_loader {
	char **dirs;                 /* search path, in order */
	size_t n_dirs;
	struct ph_loaded *loaded;
	size_t n_loaded;
	struct ph_refused *refused;
	size_t n_refused;
	const struct ph_host *host;
};

/*
 * Prepare a loader. plugin_dir (may be NULL) comes first; then PARITY_PLUGIN_PATH,
 * then `plugins/` beside argv0's executable, then the install dir. host is borrowed
 * for the loader's life.
 */
int ph_loader_init(struct ph_loader *ld, const char *plugin_dir, const char *argv0,
		   const struct ph_host *host, struct ph_err *err);

/*
 * Load the one plugin file at path and check it. On refusal returns < 0 with err
 * naming the file, and also records it in ld->refused.
 */
int ph_loader_load_file(struct ph_loader *ld, const char *path, struct ph_err *err);

/* Find `<domain>.so` along the search path and load it; PH_E_NOTFOUND when absent. */
int ph_loader_load_domain(struct ph_loader *ld, const char *domain, struct ph_err *err);

/* Load every `*.so` found along the search path (for `parity list`). */
void ph_loader_load_all(struct ph_loader *ld);

/* The loaded plugin for domain, or NULL. */
const struct ph_loaded *ph_loader_find(const struct ph_loader *ld, const char *domain);

/* Call fini on initialised plugins, close them, free everything. */
void ph_loader_release(struct ph_loader *ld);

#endif
