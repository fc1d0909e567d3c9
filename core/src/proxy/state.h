/*
 * The state snapshot after a replayed write (`--state-db-primary F --state-db-shadow F`):
 * the `memories` row the write's answer named and its `memory_history` rows, read from
 * each side's database opened read-only, compared under the rules' default rule with
 * ids dropped and timestamps masked to set/unset (as the write domain does). Divergences
 * come back with paths "db.<table>.<column>" ("db.<table>" when a row is missing on one
 * side) for the entry to write as kind "state".
 */
#ifndef PARITY_PROXY_STATE_H
#define PARITY_PROXY_STATE_H

#include "parity/err.h"
#include "parity/plugin.h"
#include "compare/rules.h"

/*
 * Compare the rows of memory id_a in db_a with those of id_b in db_b. Fills out (release
 * with ph_result_release). Returns 0, or PH_E_IO when a database cannot be read.
 */
int ph_state_diff(const char *db_a, const char *db_b, const char *id_a, const char *id_b,
		  struct ph_rules *rules, struct ph_result *out, struct ph_err *err);

#endif
