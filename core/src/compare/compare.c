/*
 * The comparison engine's entry points (DESIGN.md "Comparison"): two JSON documents
 * under one rule, or two responses under the rules of their endpoint: transport
 * errors, status codes, bodies (JSON walked by walk.c, anything else byte for byte) and
 * latencies under the timing rule, each difference classed structural (shape),
 * semantic (values) or timing (latency).
 */
#include "compare/compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/walk.h"

/* Start a walk under rule into out (zeroed); what names the work in messages. */
static int start(struct walk *c, const struct ph_rule *rule, struct ph_result *out,
		 const char *what, struct ph_err *err)
{
	out->rule = strdup(rule->key ? rule->key : "default");
	if (!out->rule)
		return ph_error(err, PH_E_NOMEM, "out of memory comparing %s", what);
	((struct ph_rule *)rule)->uses++; /* usage statistics live in the rules */
	walk_init(c, rule, out);
	return 0;
}

/* End the walk: the verdict, or no result at all when memory ran out. */
static int finish(struct walk *c, struct ph_result *out, const char *what, struct ph_err *err)
{
	walk_release(c);
	if (c->oom) {
		ph_result_release(out);
		return ph_error(err, PH_E_NOMEM, "out of memory comparing %s", what);
	}
	walk_verdict(out);
	return 0;
}

int ph_compare_json_rule(const struct ph_rule *rule, const json_t *a, const json_t *b,
			 struct ph_result *out, struct ph_err *err)
{
	struct walk c;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!rule || !a || !b)
		return ph_error(err, PH_E_INVALID, "compare: missing rule or document");
	if ((rc = start(&c, rule, out, "documents", err)))
		return rc;
	walk_root(&c, a, b);
	return finish(&c, out, "documents", err);
}

/* Bodies quoted in a divergence are cut to this many bytes: a report is not a dump. */
#define BODY_EXCERPT 4096

/*
 * A body as a JSON string for a divergence: at most BODY_EXCERPT bytes (cut at a UTF-8
 * boundary, then "... (N bytes in all)"), bytes that are not UTF-8 shown as '?'.
 */
static json_t *body_string(const char *body, size_t len)
{
	static const char more[] = " ... (%zu bytes in all)";
	size_t n = len, i;
	json_t *s = NULL;
	char *copy;

	if (!body)
		return json_string("");
	if (n > BODY_EXCERPT) {
		n = BODY_EXCERPT;
		while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
			n--;
	}
	copy = malloc(n + sizeof(more) + 24);
	if (!copy)
		return NULL;
	memcpy(copy, body, n);
	copy[n] = '\0';
	if (n < len)
		snprintf(copy + n, sizeof(more) + 24, more, len);
	s = json_stringn(copy, n + strlen(copy + n));
	if (!s) {
		for (i = 0; i < n; i++)
			if ((unsigned char)copy[i] >= 0x80 || !copy[i])
				copy[i] = '?';
		s = json_string(copy);
	}
	free(copy);
	return s;
}

static void compare_bytes(struct walk *c, const struct ph_response *a, const struct ph_response *b)
{
	size_t la = a->body ? a->body_len : 0, lb = b->body ? b->body_len : 0;
	json_t *ja, *jb;

	if (la == lb && (!la || !memcmp(a->body, b->body, la)))
		return;
	ja = body_string(a->body, la);
	jb = body_string(b->body, lb);
	walk_add(c, PH_SEMANTIC, "body", ja, jb, "bodies differ (%zu -> %zu bytes)", la, lb);
	json_decref(ja);
	json_decref(jb);
}

static json_t *parse_body(const struct ph_response *r, char *why, size_t size)
{
	json_error_t je;
	json_t *v;

	if (!r->body || !r->body_len) {
		snprintf(why, size, "empty body");
		return NULL;
	}
	v = json_loadb(r->body, r->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!v)
		snprintf(why, size, "line %d, column %d: %s", je.line, je.column, je.text);
	return v;
}

static void compare_bodies(struct walk *c, const struct ph_response *a, const struct ph_response *b)
{
	char wa[256] = "", wb[256] = "";
	json_t *ja, *jb, *sa, *sb;

	if ((!a->body || !a->body_len) && (!b->body || !b->body_len))
		return;
	ja = parse_body(a, wa, sizeof(wa));
	jb = parse_body(b, wb, sizeof(wb));
	if (ja && jb) {
		walk_root(c, ja, jb);
	} else if (ja || jb) {
		/* the JSON side is kept as a value unless it is too large to quote */
		sa = ja && a->body_len <= BODY_EXCERPT ? json_incref(ja) :
						    body_string(a->body, a->body ? a->body_len : 0);
		sb = jb && b->body_len <= BODY_EXCERPT ? json_incref(jb) :
						    body_string(b->body, b->body ? b->body_len : 0);
		if (ja)
			walk_add(c, PH_STRUCTURAL, "not-json", sa, sb,
				 "reference body is JSON, candidate body is not (%s)", wb);
		else
			walk_add(c, PH_STRUCTURAL, "not-json", sa, sb,
				 "candidate body is JSON, reference body is not (%s)", wa);
		json_decref(sa);
		json_decref(sb);
	} else {
		compare_bytes(c, a, b);
	}
	json_decref(ja);
	json_decref(jb);
}

int ph_compare_responses(struct ph_rules *rules, const char *endpoint, const struct ph_response *a,
			 const struct ph_response *b, const struct ph_timing *timing,
			 struct ph_result *out, struct ph_err *err)
{
	const struct ph_rule *rule;
	struct walk c;
	int is_error, rc;

	memset(out, 0, sizeof(*out));
	if (!rules || !a || !b)
		return ph_error(err, PH_E_INVALID, "compare: missing rules or response");
	rule = ph_rules_lookup_endpoint(rules, endpoint);
	if ((rc = start(&c, rule, out, "responses", err)))
		return rc;
	if (a->error || b->error) {
		walk_add(&c, PH_ERROR, "transport", NULL, NULL, "%s%s%s%s%s",
			 a->error ? "reference: " : "", a->error ? a->error : "",
			 a->error && b->error ? "; " : "", b->error ? "candidate: " : "",
			 b->error ? b->error : "");
		goto done;
	}
	if (rules->status_must_match && a->status != b->status) {
		json_t *sa = json_integer(a->status), *sb = json_integer(b->status);

		walk_add(&c, PH_STRUCTURAL, "status", sa, sb, "status %ld -> %ld", a->status,
			 b->status);
		json_decref(sa);
		json_decref(sb);
	}
	is_error = a->status >= 400 || b->status >= 400;
	if (is_error) {
		rules->error_uses++;
		/* error bodies: errorComparison's ignores, values compared everywhere else */
		c.ign = rules->error_ignore;
		c.n_ign = rules->n_error_ignore;
		c.det = NULL;
		c.n_det = 0;
		c.has_det = 0;
	}
	if (!is_error || rules->compare_error_body) {
		if (rule->mode == PH_MODE_BYTES)
			compare_bytes(&c, a, b);
		else
			compare_bodies(&c, a, b);
	}
	if (timing && a->latency_ms >= 0 && b->latency_ms >= 0) {
		if (ph_timing_diverges(timing, a->latency_ms, b->latency_ms)) {
			json_t *la = json_real(a->latency_ms), *lb = json_real(b->latency_ms);

			walk_add(&c, PH_TIMING, "latency", la, lb, "latency %.1f ms -> %.1f ms",
				 a->latency_ms, b->latency_ms);
			json_decref(la);
			json_decref(lb);
		}
	}
done:
	return finish(&c, out, "responses", err);
}
