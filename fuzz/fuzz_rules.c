/*
 * Fuzz target: loading a rules file. The input is parsed as JSON the way
 * ph_rules_load does (duplicate keys refused), built into rules with
 * ph_rules_from_json, then exercised: lookups of fixed endpoints and of an endpoint
 * taken from the input, the unmatched-pattern report, and the names of the enums.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parity/jsonio.h"
#include "compare/rules.h"

static const char *const endpoints[] = {
	"GET /api/memories?limit=3", "GET /api/memory/mem-0001", "POST /api/memory/recall",
	"GET /raw", "DELETE /", "/api/x", "GET /a/b/c/d/e/f", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_rules *rules = NULL;
	struct ph_err err;
	json_t *doc = NULL, *un;
	size_t i;

	if (ph_json_load_buffer("fuzz-rules.json", (const char *)data, size, &doc, &err))
		return 0;
	if (!ph_rules_from_json(&rules, doc, "fuzz-rules.json", &err)) {
		for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
			const struct ph_rule *r = ph_rules_lookup_endpoint(rules, endpoints[i]);

			if (!r)
				abort(); /* a lookup always gives a rule, default at worst */
			ph_compare_mode_name(r->mode);
			ph_ts_precision_name(r->precision);
			ph_ordering_name(r->ordering);
		}
		/* every endpoint key must find itself */
		for (i = 0; i < rules->n_endpoints; i++)
			if (ph_rules_find(rules, rules->endpoints[i].key) != &rules->endpoints[i])
				abort();
		if (size < 256) {
			char *ep = fz_strndup((const char *)data, size);

			ph_rules_lookup_endpoint(rules, ep);
			free(ep);
		}
		un = ph_rules_unmatched(rules);
		json_decref(un);
		ph_rules_free(rules);
	}
	json_decref(doc);
	return 0;
}
