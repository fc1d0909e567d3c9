/*
 * The repo root and its data files (repo.h): one place decides where $PARITY_REPO or the
 * source tree is, so every data file of the core is found the same way.
 */
#include "domain/repo.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/path.h"

const char *ph_repo_root(void)
{
	const char *r = getenv("PARITY_REPO");

	return r && *r ? r : PARITY_SOURCE_DIR;
}

char *ph_repo_path(const char *rel)
{
	return ph_path_join(ph_repo_root(), rel);
}

char *ph_repo_data_path(const char *rel)
{
	char *p = ph_repo_path(rel);

	if (!p || !access(p, F_OK) || !strcmp(ph_repo_root(), PARITY_SOURCE_DIR))
		return p;
	free(p);
	return ph_path_join(PARITY_SOURCE_DIR, rel);
}
