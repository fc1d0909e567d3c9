/*
 * The secrets plugin's shared state and the seams between its files: secrets.c runs the
 * phases and collects the suite's values; secrets_exchange.c sends an API request to both
 * runtimes through the shared case exchange (exec jobs waited for, answers scrubbed of the
 * stored values); secrets_files.c judges the secrets.enc files the runtimes wrote;
 * secrets_roundtrip.c gives one runtime's file to the other and resolves every secret.
 */
#ifndef SECRETS_SECRETS_H
#define SECRETS_SECRETS_H

#include <sodium.h>

#include "parity/exchange.h"
#include "parity/plugin.h"

#define F_FORMAT "format"
#define F_DECRYPTS "decrypts with derived key"
#define F_VALUES "values identical"
#define F_RT_REF "roundtrip reference -> candidate"
#define F_RT_CAND "roundtrip candidate -> reference"
#define F_RT_REAL "roundtrip real secrets file"
#define PROBE_VAR "PARITY_SECRET"

/* A secret value the suite stores; what the stores should hold is tracked in `live`. */
struct known {
	char *name;
	char *value;
	int live; /* currently stored (by the reference's answers) */
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	struct known *k;
	size_t n_k;
	const char *mid[2]; /* the runtimes' machine ids; NULL: this machine's */
	char tmp[64];	    /* mkdtemp folder: key file, saved stores */
	char keyfile[128];
	unsigned char key[crypto_generichash_KEYBYTES];
	const char *probe;
	int failed_b;	     /* the candidate's file had entries that do not decrypt */
	json_t *cand_failed; /* names whose candidate entries do not decrypt */
	unsigned turns;	     /* exchanges so far: who is asked first */
	json_t *store_routes; /* the API requests that stored or deleted a secret, each once
				 ("METHOD /api/secrets/NAME"): what the file rows show */
};

/* secrets_exchange.c */
/*
 * One API request to both runtimes through the shared case exchange, with the domain's
 * hooks: exec jobs waited for, both answers scrubbed of the stored values, the reference
 * summary "<status>[, job <state>]" or, with count_key, "<status>, <n> <key>". One
 * sample: a store is an fsync, an exec a spawn; latencies are kept, never judged.
 */
struct secrets_x {
	struct ph_exchange x;        /* x.ctx is this struct; a caller may set more hooks */
	struct ph_header hdr;
	struct ctx *c;
	const char *count_key;
	const struct known *k;       /* for a caller's check: a value to expect, or NULL */
};
void secrets_x_init(struct secrets_x *sx, struct ctx *c, const char *method, const char *path,
		    const char *body, const char *count_key);
/*
 * One step: the request sent to both runtimes and its row recorded under feature (NULL:
 * the matched rule). Returns the reference's status (0 when either side did not answer).
 */
long secrets_step(struct ctx *c, const char *feature, const char *case_name, const char *method,
		  const char *path, const char *body, const char *count_key);

/* secrets_files.c: the rows of the two stores pa (reference) and pb (candidate). */
char *secrets_store_of(struct ctx *c, enum ph_side side);
void secrets_format_row(struct ctx *c, const char *pa, const char *pb);
void secrets_decrypts_row(struct ctx *c, const char *pa, const char *pb);
void secrets_values_row(struct ctx *c, const char *pa, const char *pb);

/* secrets_roundtrip.c */
/* Each runtime given the other's file, then every secret listed and resolved. */
void secrets_roundtrip(struct ctx *c, const char *pa, const char *pb);
/* --secrets-file F --machine-id ID: a copy of a real store given to both runtimes. */
void secrets_real_file(struct ctx *c, const char *file, const char *mid);
/* The value the stores should hold under name, or NULL. */
struct known *secrets_known_find(struct ctx *c, const char *name);

#endif
