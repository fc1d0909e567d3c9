/*
 * The one place that knows about libltdl: open a shared object, look up a symbol,
 * close it. The loader's logic (loader.c) depends only on this interface.
 */
#ifndef PARITY_DL_H
#define PARITY_DL_H

struct ph_dl; /* opaque handle */

/*
 * Open path (with or without its extension), its symbols kept local. Returns a handle the
 * caller closes with ph_dl_close, or NULL with *why (why may be NULL) set to static text
 * that stays valid until the next failed open.
 */
struct ph_dl *ph_dl_open(const char *path, const char **why);

/* Look up symbol in an open handle (borrowed); NULL when absent. */
void *ph_dl_sym(struct ph_dl *dl, const char *symbol);

/* Close a handle from ph_dl_open and free it; NULL is ignored. */
void ph_dl_close(struct ph_dl *dl);

#endif
