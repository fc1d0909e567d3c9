/*
 * The secrets.enc files the runtimes wrote, judged without their values: "format" (the
 * same envelope shape, ciphertexts masked), "decrypts with derived key" (every entry opens
 * under the key of the runtime's machine id, side by side) and "values identical"
 * (plaintexts compared as keyed hashes by the host). A divergence that follows from
 * entries already found not to decrypt is filed under the decrypts row, its root cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/result.h"
#include "parity/row.h"
#include "secrets.h"

/*
 * A compared row of the files: no latencies. It shows what the API's stores and deletes
 * left: route coverage counts it for each of those requests at depth "state".
 */
static void secrets_record(struct ctx *c, const char *feature, const char *case_name,
			   const char *reference, const struct ph_result *res)
{
	struct ph_row row = {
	    .feature = feature,
	    .case_name = case_name,
	    .reference = reference,
	    .cls = PH_PARITY,
	    .result = res,
	    .latency_reference_ms = -1,
	    .latency_candidate_ms = -1,
	};
	json_t *routes;

	if (c->host->record(c->run, &row) || !json_array_size(c->store_routes))
		return;
	/* a copy: the core's host keeps what it is given */
	if ((routes = json_deep_copy(c->store_routes)))
		c->host->annotate(c->run, "route", routes);
	json_decref(routes);
	ph_row_annotate_route(c->host, c->run, NULL, "state");
}

char *secrets_store_of(struct ctx *c, enum ph_side side)
{
	const char *ws = c->host->workspace(c->run, side);
	size_t n = strlen(ws) + sizeof("/.secrets/secrets.enc");
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/.secrets/secrets.enc", ws);
	return p;
}

/* The file's JSON with every ciphertext replaced by a marker (values never compared). */
static json_t *envelope(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL), *e;
	const char *k;

	json_object_foreach(json_object_get(doc, "secrets"), k, e)
	{
		if (json_is_string(json_object_get(e, "ciphertext")))
			json_object_set_new(e, "ciphertext", json_string("<ciphertext>"));
	}
	return doc;
}

void secrets_format_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *a = envelope(pa), *b = envelope(pb);
	struct ph_result res = {0};
	struct ph_err e;
	char summary[64];

	if (!a) {
		ph_row_error(c->host, c->run, F_FORMAT, "secrets.enc envelope", "no readable file",
			     "the reference runtime left no readable .secrets/secrets.enc");
	} else if (!b) {
		ph_result_add(&res, PH_STRUCTURAL, "missing", "", json_string("secrets.enc"), NULL,
			"the candidate left no readable JSON .secrets/secrets.enc");
		secrets_record(c, F_FORMAT, "secrets.enc envelope", "JSON envelope", &res);
		ph_result_clear(&res);
	} else if (c->host->compare_json(c->run, "SECRETS /file", a, b, &res, &e)) {
		ph_row_error(c->host, c->run, F_FORMAT, "secrets.enc envelope", "JSON envelope",
			     e.msg);
	} else {
		snprintf(summary, sizeof(summary), "version %lld, %zu entries",
			 (long long)json_integer_value(json_object_get(a, "version")),
			 json_object_size(json_object_get(a, "secrets")));
		secrets_record(c, F_FORMAT, "secrets.enc envelope", summary, &res);
		c->host->result_release(&res);
	}
	json_decref(a);
	json_decref(b);
}

/* The status secrets_check gave name in report, or NULL when it has no such entry. */
static const char *status_of(const json_t *report, const char *name)
{
	const json_t *ent;
	size_t i;

	json_array_foreach(json_object_get(report, "entries"), i, ent)
	{
		if (!strcmp(json_string_value(json_object_get(ent, "name")), name))
			return json_string_value(json_object_get(ent, "status"));
	}
	return NULL;
}

/*
 * secrets_check of both files, entry by entry: what matters is that the candidate's
 * entries open as the reference's do. An entry that decrypts on one side and not on the
 * other is structural (the other runtime cannot read it); the same status on both sides
 * is parity, also when neither encrypts (two instances of a runtime that stores plain
 * base64 agree with each other). A reference entry that fails the MAC means the key is
 * not the runtime's: the configured machine id is wrong, and nothing can be judged. The
 * candidate's entries that fail where the reference's open are remembered.
 */
void secrets_decrypts_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *ra = NULL, *rb = NULL, *ent;
	struct ph_result res = {0};
	struct ph_err e;
	char summary[160], msg[500], path[300];
	size_t i;

	if (c->host->secrets_check(c->run, pa, c->mid[PH_REFERENCE], &ra, &e)) {
		ph_row_error(c->host, c->run, F_DECRYPTS, "check", "not checked", e.msg);
		return;
	}
	json_array_foreach(json_object_get(ra, "entries"), i, ent)
	{
		if (!strcmp(json_string_value(json_object_get(ent, "status")),
			    "wrong key or corrupted (mac check failed)")) {
			ph_row_error(c->host, c->run, F_DECRYPTS, "check", "entries fail",
				     "the reference runtime's own secrets.enc does not decrypt with the "
				     "derived key: is its machine id the one configured "
				     "(SIGNET_MACHINE_ID)?");
			json_decref(ra);
			return;
		}
	}
	snprintf(summary, sizeof(summary), "%lld of %zu decrypt",
		 (long long)json_integer_value(json_object_get(ra, "n_ok")),
		 json_array_size(json_object_get(ra, "entries")));
	if (json_integer_value(json_object_get(ra, "n_failed")))
		snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary),
			 " (the others: %s)",
			 json_string_value(json_object_get(
				 json_array_get(json_object_get(ra, "entries"), 0), "status")));
	if (c->host->secrets_check(c->run, pb, c->mid[PH_CANDIDATE], &rb, &e)) {
		/* not a secrets file at all: the envelope row says what differs */
		ph_result_add(&res, PH_STRUCTURAL, "unreadable", "", NULL, NULL, e.msg);
	} else {
		json_array_foreach(json_object_get(rb, "entries"), i, ent)
		{
			const char *name = json_string_value(json_object_get(ent, "name"));
			const char *st = json_string_value(json_object_get(ent, "status"));
			const char *ref = status_of(ra, name);

			if (!ref || !strcmp(st, ref))
				continue; /* a missing entry is the values row's to report */
			snprintf(path, sizeof(path), "secrets.%s", name);
			if (!strcmp(ref, "ok")) {
				json_array_append_new(c->cand_failed, json_string(name));
				snprintf(msg, sizeof(msg),
					 "the candidate's entry does not decrypt with the derived "
					 "key: %s",
					 st);
			} else {
				snprintf(msg, sizeof(msg),
					 "the entries are stored differently: the reference's %s, the "
					 "candidate's %s",
					 ref, st);
			}
			ph_result_add(&res, PH_STRUCTURAL, "decrypt", path, json_string(ref),
				json_string(st), msg);
		}
	}
	c->failed_b = json_array_size(c->cand_failed) > 0;
	secrets_record(c, F_DECRYPTS, "check", summary, &res);
	ph_result_clear(&res);
	json_decref(ra);
	json_decref(rb);
}

void secrets_values_row(struct ctx *c, const char *pa, const char *pb)
{
	json_t *rep = NULL, *d;
	struct ph_result res = {0};
	struct ph_err e;
	char summary[160], path[300], msg[400];
	size_t i, skipped = 0;

	if (c->host->secrets_verify(c->run, pa, pb, c->mid[PH_REFERENCE], c->mid[PH_CANDIDATE],
				    &rep, &e)) {
		ph_row_error(c->host, c->run, F_VALUES, "verify", "not compared", e.msg);
		return;
	}
	json_array_foreach(json_object_get(rep, "diffs"), i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *kind = json_string_value(json_object_get(d, "kind"));

		snprintf(path, sizeof(path), "secrets.%s", name);
		if (!strcmp(kind, "does not decrypt in b") ||
		    !strcmp(kind, "does not decrypt in a")) {
			/* filed under "decrypts with derived key" */
			skipped++;
		} else if (!strcmp(kind, "only in a")) {
			ph_result_add(&res, PH_STRUCTURAL, "missing", path, json_string(name), NULL,
				"the candidate's store lost this secret");
		} else if (!strcmp(kind, "only in b")) {
			ph_result_add(&res, PH_STRUCTURAL, "extra", path, NULL, json_string(name),
				"the candidate's store holds a secret the reference's does not");
		} else {
			snprintf(msg, sizeof(msg),
				 "the plaintexts differ (compared as keyed hashes)");
			ph_result_add(&res, PH_SEMANTIC, "value", path, NULL, NULL, msg);
		}
	}
	snprintf(summary, sizeof(summary), "%lld identical%s",
		 (long long)json_integer_value(json_object_get(rep, "n_same")),
		 skipped ? ", some not comparable (see decrypts with derived key)" : "");
	secrets_record(c, F_VALUES, "verify", summary, &res);
	ph_result_clear(&res);
	json_decref(rep);
}
