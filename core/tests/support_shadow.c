/*
 * The shadow-log tests' endpoint map (support_shadow.h), loaded from the repo's
 * suites/domains.json for the program.
 */
#include "support_shadow.h"

#include <stdio.h>

#include "support.h"

struct ph_domain_map *t_map;

int t_map_setup(void **state)
{
	struct ph_err err;

	if (t_dir_setup(state))
		return -1;
	if (!ph_domain_map_load(&t_map, PARITY_TEST_DIR "/../../suites/domains.json", &err))
		return 0;
	fprintf(stderr, "%s\n", err.msg);
	return -1;
}

int t_map_teardown(void **state)
{
	ph_domain_map_free(t_map);
	return t_dir_teardown(state);
}
