/*
 * File paths inside a runtime's workspace or HOME, as domains build them: one join, so a
 * path is never cut short by a fixed buffer. Part of phutil.
 */
#ifndef PARITY_PATH_H
#define PARITY_PATH_H

/* "<dir>/<rel>" in a new string the caller frees, or NULL when out of memory. */
char *ph_path_join(const char *dir, const char *rel);

#endif
