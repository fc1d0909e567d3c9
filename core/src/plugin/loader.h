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

/*
 * The descriptor size the host needs: every field up to and including `fini`. A plugin
 * whose `size` is smaller was built against an older, shorter struct and is refused.
 */
#define PH_LOADER_MIN_SIZE \
	(offsetof(struct ph_plugin, fini) + sizeof(((struct ph_plugin *)0)->fini))

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
 * Prepare a loader (ld is caller-allocated; release it with ph_loader_release even when
 * this fails). The search path is plugin_dir (may be NULL), then the entries of
 * PARITY_PLUGIN_PATH (colon-separated, empty entries skipped), then `plugins/` beside
 * the executable (/proc/self/exe, else argv0's folder), then the install dir; a folder
 * named twice is kept once. host is borrowed for the loader's life and passed to every
 * plugin's init. Returns 0 or PH_E_NOMEM.
 */
int ph_loader_init(struct ph_loader *ld, const char *plugin_dir, const char *argv0,
		   const struct ph_host *host, struct ph_err *err);

/*
 * Load the one plugin file at path and check it in the fixed order, calling init with
 * ld->host. Returns 0 when admitted (ld->loaded grows), else PH_E_PLUGIN or PH_E_ABI
 * with err (may be NULL) naming the file; the refusal is also recorded in ld->refused
 * and the file closed. A refused init is never followed by fini.
 */
int ph_loader_load_file(struct ph_loader *ld, const char *path, struct ph_err *err);

/*
 * Find `<domain>.so` along the search path and load it: the first folder that has the
 * file wins, even when that file is refused. Returns 0 at once when domain is already
 * loaded, PH_E_NOTFOUND (err lists the folders searched) when no folder has it, else
 * as ph_loader_load_file.
 */
int ph_loader_load_domain(struct ph_loader *ld, const char *domain, struct ph_err *err);

/*
 * Load every `*.so` along the search path, folders in order, files sorted by name (for
 * `parity list`). A file whose domain was already tried in an earlier folder is not
 * opened: it is recorded as refused, "domain already loaded" or "domain shadowed".
 */
void ph_loader_load_all(struct ph_loader *ld);

/* The loaded plugin for domain, or NULL; borrowed until the next load or the release. */
const struct ph_loaded *ph_loader_find(const struct ph_loader *ld, const char *domain);

/* Call fini on admitted plugins (last loaded first), close them, free everything. */
void ph_loader_release(struct ph_loader *ld);

#endif
