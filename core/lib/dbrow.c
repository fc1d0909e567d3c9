/*
 * Time columns of database rows masked to set or null (parity/dbrow.h).
 */
#include "parity/dbrow.h"

#include <string.h>

int ph_dbrow_time_column(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && !strcmp(name + n - 3, "_at")) || !strcmp(name, "last_accessed");
}

void ph_dbrow_mask_times(json_t *row)
{
	const char *k;
	json_t *v;

	json_object_foreach(row, k, v)
		if (!json_is_null(v) && ph_dbrow_time_column(k))
			json_object_set_new(row, k, json_string("<set>"));
}
