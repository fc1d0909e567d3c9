/*
 * The host table's entries that live outside host.c, one file per service: host_compare.c
 * (comparisons in canonical form), host_timing.c (timing verdicts), host_db.c
 * (databases and schemas), host_secrets.c (secrets files), host_stdio.c (stdio
 * companions). host.c assembles the table from them; nothing else calls them: plugins and
 * the lib reach them through the table.
 */
#ifndef PARITY_HOST_IMPL_H
#define PARITY_HOST_IMPL_H

#include "parity/plugin.h"

/* host.c: HTTP to one runtime, noting a runtime that died (also used to re-sample). */
int ph_host_http(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		 struct ph_response *resp, struct ph_err *err);

/* host_compare.c */
int ph_host_compare(struct ph_run *run, const char *endpoint, const struct ph_response *a,
		    const struct ph_response *b, struct ph_result *out, struct ph_err *err);
int ph_host_compare_json(struct ph_run *run, const char *rule_key, const json_t *a,
			 const json_t *b, struct ph_result *out, struct ph_err *err);
int ph_host_canon_add(struct ph_run *run, enum ph_side side, const char *value,
		      const char *name, struct ph_err *err);

/* host_timing.c */
int ph_host_timing_confirm(struct ph_run *run, const struct ph_request *ref_req,
			   const struct ph_request *cand_req, struct ph_result *res,
			   json_t **info, struct ph_err *err);
int ph_host_timing_samples(struct ph_run *run, const double *a, size_t na, const double *b,
			   size_t nb, double min_delta_ms, struct ph_result *res, json_t **info,
			   struct ph_err *err);

/* host_db.c */
int ph_host_db_query(struct ph_run *run, enum ph_side side, const char *sql, json_t **rows,
		     struct ph_err *err);
int ph_host_verify_schema(struct ph_run *run, const char *a, const char *b,
			  json_t **differences, struct ph_err *err);

/* host_secrets.c */
int ph_host_secrets_check(struct ph_run *run, const char *path, const char *machine_id,
			  json_t **report, struct ph_err *err);
int ph_host_secrets_verify(struct ph_run *run, const char *a, const char *b,
			   const char *machine_id_a, const char *machine_id_b, json_t **report,
			   struct ph_err *err);
int ph_host_secrets_copy(struct ph_run *run, const char *src, const char *src_machine_id,
			 const char *dst, const char *dst_machine_id, struct ph_err *err);

/* host_stdio.c */
int ph_host_stdio_open(struct ph_run *run, enum ph_side side, const char *key,
		       struct ph_stdio **io, struct ph_err *err);
void ph_host_stdio_close(struct ph_stdio *io);

#endif
