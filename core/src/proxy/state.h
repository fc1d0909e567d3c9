/*
 * The state snapshot after a replayed write (`--state-db-primary F --state-db-shadow F`):
 * the `memories` row the write's answer named and its `memory_history` rows, read from
 * each side's database opened read-only right after that side answered, compared under the rules' default rule with
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
 * The rows of memory id in the database at path, read-only: a new {memories: row or null,
 * memory_history: [rows]}, ids dropped and timestamps masked. PH_E_IO when it cannot be
 * read. The primary's is read as soon as its answer has gone to the client (before the
 * next request on that connection), the shadow's once the shadow answered its replay, so
 * both show what the one write left.
 */
int ph_state_snapshot(const char *path, const char *id, json_t **out, struct ph_err *err);

/*
 * Compare two snapshots under the rules' default rule. Fills out (release with
 * ph_result_release); paths become "db.<table>.<column>".
 */
int ph_state_compare(const json_t *a, const json_t *b, struct ph_rules *rules,
		     struct ph_result *out, struct ph_err *err);

#endif
