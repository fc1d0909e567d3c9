/*
 * Fuzz target: `parity compare` of two bodies under a rules file. The input is cut at
 * "\n%%\n" lines into: a header line "METHOD /path [status-a status-b [latency-a
 * latency-b]]", a rules document (empty: the built-in rules), body A and body B. Bodies
 * that are not JSON are compared as the CLI compares them (non-JSON, bytes mode). The
 * result is rendered as the CLI's --format json output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "fuzz.h"
#include "parity/jsonio.h"
#include "compare/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[4] = { 0 };
	size_t lens[4] = { 0 }, n;
	struct ph_rules *rules = NULL;
	struct ph_response a, b;
	struct ph_result res;
	struct ph_timing timing = PH_TIMING_DEFAULT;
	struct ph_err err;
	char *header, method[64] = "GET", path[512] = "/", *endpoint;
	long sa = 200, sb = 200;
	double la = -1, lb = -1;
	json_t *doc = NULL, *out;

	n = fz_split(data, size, parts, lens, 4);
	if (n < 4)
		return 0;
	header = fz_strndup(parts[0], lens[0] > 600 ? 600 : lens[0]);
	sscanf(header, "%63s %511s %ld %ld %lf %lf", method, path, &sa, &sb, &la, &lb);
	free(header);
	if (lens[1]) {
		if (ph_json_load_buffer("fuzz-rules.json", parts[1], lens[1], &doc, &err))
			return 0;
		if (ph_rules_from_json(&rules, doc, "fuzz-rules.json", &err)) {
			json_decref(doc);
			return 0;
		}
		json_decref(doc);
	} else if (!(rules = ph_rules_builtin())) {
		return 0;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.status = sa;
	b.status = sb;
	a.body = fz_strndup(parts[2], lens[2]);
	a.body_len = lens[2];
	b.body = fz_strndup(parts[3], lens[3]);
	b.body_len = lens[3];
	a.latency_ms = la;
	b.latency_ms = lb;
	endpoint = malloc(strlen(method) + strlen(path) + 2);
	if (!endpoint)
		abort();
	sprintf(endpoint, "%s %s", method, path);
	memset(&res, 0, sizeof(res));
	if (!ph_compare_responses(rules, endpoint, &a, &b, &timing, &res, &err)) {
		char *text;

		if (res.verdict < PH_PARITY || res.verdict > PH_ERROR)
			abort();
		out = ph_result_to_json(&res, endpoint);
		text = out ? json_dumps(out, JSON_COMPACT) : NULL;
		free(text);
		json_decref(out);
		/* a body compared with itself never diverges beyond timing */
		ph_result_release(&res);
		b.status = a.status;
		if (!ph_compare_responses(rules, endpoint, &a, &a, NULL, &res, &err) &&
		    res.verdict != PH_PARITY && res.verdict != PH_ERROR)
			abort();
	}
	ph_result_release(&res);
	free(endpoint);
	free(a.body);
	free(b.body);
	ph_rules_free(rules);
	return 0;
}
