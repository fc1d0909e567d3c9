/*
 * What the shadow-log tests (test_shadow.c, test_gate.c) share: the repo's endpoint ->
 * domain map (suites/domains.json), loaded once per program together with a fresh t_dir,
 * and a log line in the TS daemon's format.
 */
#ifndef PARITY_TEST_SUPPORT_SHADOW_H
#define PARITY_TEST_SUPPORT_SHADOW_H

#include "domain/endpoint_map.h"

/* The map, from t_map_setup until t_map_teardown. */
extern struct ph_domain_map *t_map;

/* cmocka group setup and teardown: t_dir_setup and the map loaded; both released. */
int t_map_setup(void **state);
int t_map_teardown(void **state);

/* A TS shadow-log line (newline included): time, method, path, both statuses. */
#define T_TS_LINE(ts, m, p, a, b)                                                                  \
	"{\"ts\":\"" ts "\",\"path\":\"" p "\",\"method\":\"" m "\",\"primaryStatus\":" #a         \
	",\"shadowStatus\":" #b "}\n"

#endif
