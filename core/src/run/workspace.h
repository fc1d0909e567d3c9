/*
 * Temporary workspaces: a fresh copy of the fixture tree per runtime, with template files
 * (`name.in`) rendered through the runtime placeholders into `name`, and recursive removal
 * that never follows symbolic links out of the tree.
 */
#ifndef PARITY_WORKSPACE_H
#define PARITY_WORKSPACE_H

#include "parity/err.h"
#include "runtime/runtime.h"

/*
 * Copy the tree at src into dst (created; must not exist), keeping modes; regular files
 * ending in ".in" are rendered with ph_expand and written without the suffix. Symbolic
 * links are copied as links. Anything else (devices, sockets) is skipped.
 */
int ph_workspace_copy(const char *src, const char *dst, const struct ph_placeholders *ph,
		      struct ph_err *err);

/* Remove the tree at path (files, folders, links; links are not followed). */
int ph_tree_remove(const char *path, struct ph_err *err);

/* mkdir -p with mode 0755. */
int ph_mkdirs(const char *path, struct ph_err *err);

#endif
