/*
 * The cross-runtime roundtrip: the reference's secrets file given to the candidate, and
 * the candidate's to both, and each runtime must list and resolve every secret. Resolving
 * runs secrets-probe, which prints a keyed digest of the variable, never the value; the
 * reference's digest is checked against the value the suite stored. With `parity run
 * --secrets-file F --machine-id ID` the roundtrip also runs on a copy of F.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/row.h"
#include "secrets.h"

/* The value the stores should hold under name, or NULL. */
struct known *secrets_known_find(struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_k; i++)
		if (c->k[i].live && !strcmp(c->k[i].name, name))
			return &c->k[i];
	return NULL;
}

static int cand_failed(const struct ctx *c, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(c->cand_failed, i, v)
	{
		if (!strcmp(json_string_value(v), name))
			return 1;
	}
	return 0;
}

/* Stop side, copy src (under src_mid) to its store (under its machine id), start it. */
static int give(struct ctx *c, enum ph_side side, const char *src, const char *src_mid,
		struct ph_err *err)
{
	char *dst = secrets_store_of(c, side);
	int rc;

	if (!dst)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = c->host->runtime_stop(c->run, side, 0, err);
	if (!rc)
		rc = c->host->secrets_copy(c->run, src, src_mid, dst, c->mid[side], err);
	if (!rc)
		rc = c->host->runtime_restart(c->run, side, NULL, err);
	free(dst);
	return rc;
}

/* The probe's line for a value, as the runtimes should print it. */
static void expected_probe(const struct ctx *c, const char *value, char *out, size_t cap)
{
	unsigned char d[32];
	char hex[65];

	crypto_generichash(d, sizeof(d), (const unsigned char *)value, strlen(value), c->key,
			   sizeof(c->key));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	snprintf(out, cap, "set digest=%s\n", hex);
}

/*
 * What the reference printed for a probe (the answer's stdout, or its job's result.stdout),
 * or NULL; scrubbed; caller frees.
 */
static char *probe_stdout(const struct ph_response *r)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *s = json_string_value(json_object_get(doc, "stdout"));

	if (!s)
		s = json_string_value(json_object_get(json_object_get(doc, "result"), "stdout"));
	char *out = s ? strdup(s) : NULL;

	json_decref(doc);
	return out;
}

/* "200, resolved": whether the reference's probe printed a digest. */
static void resolve_summary(void *ctx, const struct ph_response *a, char *buf, size_t cap)
{
	char *got = a->status == 200 || a->status == 202 ? probe_stdout(a) : NULL;

	(void)ctx;
	snprintf(buf, cap, "%ld, %s", a->status,
		 got && !strncmp(got, "set ", 4) ? "resolved" : "not resolved");
	free(got);
}

/* A value the suite stored must come back from the reference's probe as its digest. */
static int resolve_check(void *ctx, const struct ph_response pair[2], struct ph_result *res,
			 struct ph_err *why)
{
	struct secrets_x *sx = ctx;
	const struct ph_response *a = &pair[PH_REFERENCE];
	char want[128], *got;
	int rc = 0;

	(void)res;
	if (!sx->k || !sx->k->live)
		return 0;
	got = a->status == 200 || a->status == 202 ? probe_stdout(a) : NULL;
	expected_probe(sx->c, sx->k->value, want, sizeof(want));
	if (!got || strcmp(got, want))
		rc = ph_error(why, PH_E_INVALID,
			      "the reference runtime does not resolve the value the suite stored "
			      "under this name");
	free(got);
	return rc;
}

/* Resolve name on both runtimes through the probe: one row. */
static void resolve_row(struct ctx *c, const char *feature, const char *name, int known,
			int attribute)
{
	struct secrets_x sx;
	struct ph_err e;
	char *body, case_name[300], command[1200];
	json_t *bj;

	snprintf(command, sizeof(command), "%s %s %s", c->probe, PROBE_VAR, c->keyfile);
	bj = json_pack("{s:s, s:{s:s}}", "command", command, "secrets", PROBE_VAR, name);
	body = bj ? json_dumps(bj, JSON_COMPACT) : NULL;
	json_decref(bj);
	if (!body)
		return;
	secrets_x_init(&sx, c, "POST", "/api/secrets/exec", body, NULL);
	sx.k = known ? secrets_known_find(c, name) : NULL;
	snprintf(case_name, sizeof(case_name), "resolve %s", name);
	sx.x.feature = feature;
	if (attribute && cand_failed(c, name)) {
		/* the candidate's entry was found not to decrypt, and the reference cannot be
		 * expected to resolve it */
		sx.x.feature = F_DECRYPTS;
		sx.k = NULL;
		snprintf(case_name, sizeof(case_name), "%s: resolve %s", feature, name);
	}
	sx.x.case_name = case_name;
	sx.x.summary = resolve_summary;
	sx.x.check = resolve_check;
	ph_exchange(c->host, c->run, &sx.x, &e);
	free(body);
}

/*
 * Both runtimes now run on the same file: list on both, then resolve every name the
 * reference lists on both through the probe. known: the suite's values apply (check the
 * reference's digests against them).
 */
static void roundtrip_rows(struct ctx *c, const char *feature, int known, int attribute)
{
	struct secrets_x list;
	struct ph_err e;
	json_t *doc = NULL, *nv;
	size_t i;

	secrets_x_init(&list, c, "GET", "/api/secrets", NULL, "secrets");
	list.x.feature = feature;
	list.x.case_name = "list";
	list.x.keep = 1;
	ph_exchange(c->host, c->run, &list.x, &e);
	if (!list.x.resp[PH_REFERENCE].error)
		doc = json_loadb(list.x.resp[PH_REFERENCE].body ? list.x.resp[PH_REFERENCE].body :
								   "",
				 list.x.resp[PH_REFERENCE].body_len, 0, NULL);
	ph_exchange_release(c->host, &list.x);
	json_array_foreach(json_object_get(doc, "secrets"), i, nv)
	{
		if (json_string_value(nv))
			resolve_row(c, feature, json_string_value(nv), known, attribute);
	}
	json_decref(doc);
}

static int copy_file(struct ctx *c, const char *src, const char *dst, const char *mid,
		     struct ph_err *err)
{
	return c->host->secrets_copy(c->run, src, mid, dst, mid, err);
}

void secrets_roundtrip(struct ctx *c, const char *pa, const char *pb)
{
	char saved_a[128], saved_b[128];
	struct ph_err e;

	snprintf(saved_a, sizeof(saved_a), "%s/reference.enc", c->tmp);
	snprintf(saved_b, sizeof(saved_b), "%s/candidate.enc", c->tmp);
	if (copy_file(c, pa, saved_a, c->mid[PH_REFERENCE], &e) ||
	    copy_file(c, pb, saved_b, c->mid[PH_CANDIDATE], &e)) {
		ph_row_error(c->host, c->run, F_RT_REF, "setup", "not run", e.msg);
		return;
	}
	/* the reference's file to the candidate: both now read what the reference wrote */
	if (give(c, PH_CANDIDATE, saved_a, c->mid[PH_REFERENCE], &e))
		ph_row_error(c->host, c->run, F_RT_REF, "setup", "not run", e.msg);
	else
		roundtrip_rows(c, F_RT_REF, 1, 0);
	/* and the reverse: both read what the candidate wrote */
	if (give(c, PH_REFERENCE, saved_b, c->mid[PH_CANDIDATE], &e) ||
	    give(c, PH_CANDIDATE, saved_b, c->mid[PH_CANDIDATE], &e))
		ph_row_error(c->host, c->run, F_RT_CAND, "setup", "not run", e.msg);
	else
		roundtrip_rows(c, F_RT_CAND, 1, 1);
	unlink(saved_a);
	unlink(saved_b);
}

/* --secrets-file F --machine-id ID: a copy of a real store given to both runtimes. */
void secrets_real_file(struct ctx *c, const char *file, const char *mid)
{
	json_t *rep = NULL;
	struct ph_err e;
	char summary[128];

	if (c->host->secrets_check(c->run, file, mid, &rep, &e)) {
		ph_row_error(c->host, c->run, F_RT_REAL, "check", "not run", e.msg);
		return;
	}
	snprintf(summary, sizeof(summary), "%lld of %zu decrypt",
		 (long long)json_integer_value(json_object_get(rep, "n_ok")),
		 json_array_size(json_object_get(rep, "entries")));
	if (json_integer_value(json_object_get(rep, "n_failed")))
		ph_row_error(c->host, c->run, F_RT_REAL, "check", summary,
			     "entries of the given secrets file do not decrypt under the given machine "
			     "id (parity secrets check says which and why)");
	json_decref(rep);
	/* the file is only read: secrets_copy writes the runtimes' stores */
	if (give(c, PH_REFERENCE, file, mid, &e) || give(c, PH_CANDIDATE, file, mid, &e)) {
		ph_row_error(c->host, c->run, F_RT_REAL, "setup", "not run", e.msg);
		return;
	}
	roundtrip_rows(c, F_RT_REAL, 0, 0);
}
