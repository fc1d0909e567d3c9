/*
 * Where the repo's data lives: the root this binary works in ($PARITY_REPO, else the
 * source tree it was built from) and the data files below it. The domain folder is the
 * lowest of the core and reads its own data (suites/domains.json), so no folder above
 * has to hand it paths.
 */
#ifndef PARITY_REPO_H
#define PARITY_REPO_H

/* The repo root this binary works in: $PARITY_REPO, else the source dir it was built from. */
const char *ph_repo_root(void);

/* <root>/<rel> as a new string (NULL when out of memory). */
char *ph_repo_path(const char *rel);

/*
 * The data file rel of this repo: <root>/<rel> when it exists, else the one of the source
 * tree this binary was built with (a $PARITY_REPO holding only some files, e.g. a test's
 * private suites, still has the domain data). A new string, NULL when out of memory.
 */
char *ph_repo_data_path(const char *rel);

#endif
