/*
 * The one place that knows about libltdl: open a shared object, look up a symbol,
 * close it. The loader's logic (loader.c) depends only on this interface.
 */
#ifndef PARITY_DL_H
#define PARITY_DL_H

struct ph_dl; /* opaque handle */

/* Open path (with or without its extension); NULL with *why set (static text) on failure. */
struct ph_dl *ph_dl_open(const char *path, const char **why);

/* Look up symbol; NULL when absent. */
void *ph_dl_sym(struct ph_dl *dl, const char *symbol);

void ph_dl_close(struct ph_dl *dl);

#endif
