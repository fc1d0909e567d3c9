/*
 * The seed phase: before any domain runs, each runtime is given the same known data
 * through its own database. Each side starts once on a fresh copy of the fixture (so
 * that the runtime itself creates and migrates its database), stops, gets the seed SQL
 * applied to that database in one transaction, starts again to be sent the seed's
 * requests (e.g. "embed what is missing") until the seed's readiness query holds, and
 * stops. The database files it leaves are then copied into every workspace the run
 * prepares for that side, so every domain starts from the same seeded state. Ids are
 * the seed's own, identical on both sides.
 */
#ifndef PARITY_SEED_H
#define PARITY_SEED_H

#include <jansson.h>

#include "parity/err.h"

struct ph_session;

/* The config's "seed" object, parsed. */
struct ph_seed_spec {
	char *sql;                   /* absolute path of the SQL file */
	json_t *requests;            /* array of {method, path, body?} sent after the restart */
	char *ready_sql;             /* a query whose first column must reach ready_min */
	long long ready_min;
	long timeout_ms;             /* for the requests and the readiness wait, per side */
};

/*
 * Parse cfg_doc's "seed" (absent: *spec zeroed, returns 0); paths resolved against
 * repo. Messages name source and the key.
 */
int ph_seed_spec_parse(struct ph_seed_spec *spec, const json_t *seed, const char *repo,
		       const char *source, struct ph_err *err);
void ph_seed_spec_release(struct ph_seed_spec *spec);

/*
 * Apply the SQL file at sql_path to the database at db_path in one transaction. A failing
 * statement rolls everything back and the message names the file and the line the
 * statement starts on.
 */
int ph_seed_apply_sql(const char *db_path, const char *sql_path, struct ph_err *err);

/*
 * Run the seed phase of the session's config (nothing when it has none). On success the
 * session remembers each side's seeded database; ph_seed_install copies it in.
 */
int ph_seed_run(struct ph_session *s, struct ph_err *err);

/* Copy side's seeded database files into workspace (nothing when there was no seed). */
int ph_seed_install(struct ph_session *s, int side, const char *workspace, struct ph_err *err);

#endif
