/*
 * Joining paths (parity/path.h).
 */
#include "parity/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ph_path_join(const char *dir, const char *rel)
{
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, rel);
	return p;
}
