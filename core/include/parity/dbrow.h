/*
 * Database rows as the domains compare them: a column written with the time of the
 * request (`*_at`, `last_accessed`) differs between two runs by the instant alone, so it
 * is compared as set or null. Part of phutil, so the write and replay domains and the
 * shadow proxy mask the same columns.
 */
#ifndef PARITY_DBROW_H
#define PARITY_DBROW_H

#include <jansson.h>

/* Is column name one whose value is the time it was written? */
int ph_dbrow_time_column(const char *name);

/* In row (an object: column -> value), every such column that is not null becomes "<set>". */
void ph_dbrow_mask_times(json_t *row);

#endif
