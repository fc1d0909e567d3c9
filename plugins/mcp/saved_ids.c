/*
 * The ids MCP cases saved (mcp.h): a case's "save_id" keeps, per runtime, the id its tool
 * answer reports under a label; later cases name it "{id:label}" (parity/labels.h) and
 * answers show it as "$label", so two runtimes' generated ids compare as references.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "parity/labels.h"

int ph_mcp_labels_init(struct ph_mcp_labels *l)
{
	for (int s = 0; s < 2; s++) {
		l->by_label[s] = json_object();
		l->by_id[s] = json_object();
		if (!l->by_label[s] || !l->by_id[s]) {
			ph_mcp_labels_release(l);
			return PH_E_NOMEM;
		}
	}
	return 0;
}

const char *ph_mcp_labels_save(struct ph_mcp_labels *l, const char *label,
			       const json_t *const doc[2], const int answered[2])
{
	const char *problem = NULL;

	for (int s = 0; s < 2; s++) {
		char *id = answered[s] ? ph_mcp_result_id(doc[s]) : NULL;
		/* a failed call (a tool error, or a JSON-RPC error) has no id to give */
		int tool_error = json_is_true(json_object_get(json_object_get(doc[s], "result"),
							      "isError")) ||
				 json_object_get(doc[s], "error") != NULL;

		if (id) {
			ph_mcp_labels_set(l, s, label, id);
		} else {
			char self[256];

			/* the tool failed (or never answered): later uses of the label send it as
			 * it is, so both sides are asked the same and the answers still compare */
			snprintf(self, sizeof(self), "$%s", label);
			json_object_set_new(l->by_label[s], label, json_string(self));
			if (s == 0 && answered[s] && !tool_error)
				problem = "the reference answer reports no id to save: the suite or "
					  "fixture is wrong";
		}
		free(id);
	}
	return problem;
}

void ph_mcp_labels_canon(const struct ph_host *host, struct ph_run *run,
			 const struct ph_mcp_labels *l, const char *label)
{
	char name[260], self[260];

	if (!PH_HOST_HAS(host, canon_add))
		return;
	ph_labels_ref(name, sizeof(name), label);
	snprintf(self, sizeof(self), "$%s", label);
	for (int s = 0; s < 2; s++) {
		const char *id = json_string_value(json_object_get(l->by_label[s], label));
		struct ph_err err;

		if (id && strcmp(id, self))
			host->canon_add(run, (enum ph_side)s, id, name, &err);
	}
}

void ph_mcp_labels_release(struct ph_mcp_labels *l)
{
	for (int s = 0; s < 2; s++) {
		json_decref(l->by_label[s]);
		json_decref(l->by_id[s]);
		l->by_label[s] = l->by_id[s] = NULL;
	}
}

int ph_mcp_labels_set(struct ph_mcp_labels *l, int side, const char *label, const char *id)
{
	char tag[256];

	snprintf(tag, sizeof(tag), "$%s", label);
	if (json_object_set_new(l->by_label[side], label, json_string(id)) ||
	    json_object_set_new(l->by_id[side], id, json_string(tag)))
		return PH_E_NOMEM;
	return 0;
}
