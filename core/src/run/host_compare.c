/*
 * The host's comparisons (parity/plugin.h compare, compare_json, canon_add): both sides'
 * answers or documents put in canonical form first, each side's run-specific values
 * (port, workspace, ids a plugin named) replaced by their names, then compared under the
 * run's rules.
 */
#include <stdlib.h>
#include <string.h>

#include "run/host_impl.h"
#include "run/session.h"

/*
 * The body in canonical form: a JSON body (parsed as the engine parses it) rewritten as a
 * document, so a replaced number stays a JSON value, then written out compactly in its
 * own key order; any other body, or any body under a "bytes" rule, rewritten as text.
 */
static char *canon_body(const struct ph_canon *c, const char *body, size_t len, int as_json,
			size_t *out_len)
{
	json_t *doc = as_json ? json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) :
				NULL, *cd;
	char *text;

	if (!doc)
		return ph_canon_text(c, body, len, out_len);
	cd = ph_canon_json(c, doc);
	json_decref(doc);
	text = cd ? json_dumps(cd, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
	json_decref(cd);
	if (text)
		*out_len = strlen(text);
	return text;
}

/*
 * A copy of what side answered for endpoint in canonical form (canon.h): body and header
 * values with the side's run-specific values replaced. Release with ph_response_release.
 */
static int canon_response(struct ph_run *run, enum ph_side side, const char *endpoint,
			  const struct ph_response *in, struct ph_response *out,
			  struct ph_err *err)
{
	struct ph_canon *c = ph_session_canon(run->s, side);
	const struct ph_rule *rule = ph_rules_lookup_endpoint(run->s->rules, endpoint);

	*out = *in;
	out->body = NULL;
	out->content_type = in->content_type ? strdup(in->content_type) : NULL;
	out->headers = in->headers ? ph_canon_json(c, in->headers) : NULL;
	out->error = in->error ? strdup(in->error) : NULL;
	out->body_len = 0;
	if (in->body)
		out->body = canon_body(c, in->body, in->body_len,
				       !rule || rule->mode == PH_MODE_JSON, &out->body_len);
	if ((in->body && !out->body) || (in->headers && !out->headers) ||
	    (in->content_type && !out->content_type) || (in->error && !out->error)) {
		ph_response_release(out);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	return 0;
}

/* Compare two responses after both are put in canonical form. */
static int compare_canonical(struct ph_run *run, const char *endpoint,
			     const struct ph_response *a, const struct ph_response *b,
			     struct ph_result *out, struct ph_err *err)
{
	struct ph_response ca, cb;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = canon_response(run, PH_REFERENCE, endpoint, a, &ca, err)))
		return rc;
	if ((rc = canon_response(run, PH_CANDIDATE, endpoint, b, &cb, err))) {
		ph_response_release(&ca);
		return rc;
	}
	rc = ph_compare_responses(run->s->rules, endpoint, &ca, &cb, &run->s->cfg.timing, out,
				  err);
	ph_response_release(&ca);
	ph_response_release(&cb);
	return rc;
}

int ph_host_compare(struct ph_run *run, const char *endpoint, const struct ph_response *a,
			const struct ph_response *b, struct ph_result *out, struct ph_err *err)
{
	return compare_canonical(run, endpoint, a, b, out, err);
}

int ph_host_compare_json(struct ph_run *run, const char *rule_key, const json_t *a,
			     const json_t *b, struct ph_result *out, struct ph_err *err)
{
	const struct ph_rule *rule = ph_rules_find(run->s->rules, rule_key);
	json_t *ca, *cb;
	int rc;

	if (!rule)
		rule = ph_rules_find(run->s->rules, "default");
	/* the engine reads a and b only; canon.h needs a reference to share unchanged parts */
	ca = a ? ph_canon_json(ph_session_canon(run->s, PH_REFERENCE), (json_t *)a) : NULL;
	cb = b ? ph_canon_json(ph_session_canon(run->s, PH_CANDIDATE), (json_t *)b) : NULL;
	if ((a && !ca) || (b && !cb)) {
		json_decref(ca);
		json_decref(cb);
		memset(out, 0, sizeof(*out));
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	rc = ph_compare_json_rule(rule, ca, cb, out, err);
	json_decref(ca);
	json_decref(cb);
	return rc;
}

int ph_host_canon_add(struct ph_run *run, enum ph_side side, const char *value,
			  const char *name, struct ph_err *err)
{
	struct ph_canon *c = ph_session_canon(run->s, side);

	if (!name || name[0] != '{' || name[strlen(name) - 1] != '}')
		return ph_error(err, PH_E_INVALID, "canon_add: name '%s' is not of the form {...}",
				name ? name : "(null)");
	if (!c)
		return ph_error(err, PH_E_INVALID, "canon_add: the %s runtime is not running",
				side ? "candidate" : "reference");
	return ph_canon_add(c, value, name, PH_CANON_SUBSTRING, err);
}
