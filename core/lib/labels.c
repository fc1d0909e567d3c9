/*
 * Label references in suites (parity/labels.h): "{id:NAME}" replaced by the id one side
 * generated under NAME. Recursion walks parsed json_t values only, whose depth jansson's
 * parser already caps.
 */
#include "parity/labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ph_labels_substitute(const char *s, const json_t *ids, char **missing)
{
	const size_t open = strlen(PH_LABEL_OPEN);
	size_t cap = strlen(s) + 1, len = 0;
	char *out = malloc(cap);

	*missing = NULL;
	if (!out)
		return NULL;
	while (*s) {
		const char *end, *rep = NULL;
		size_t rlen, skip = 1;

		if (!strncmp(s, PH_LABEL_OPEN, open) && (end = strchr(s + open, '}'))) {
			char *name = strndup(s + open, (size_t)(end - s) - open);

			rep = name ? json_string_value(json_object_get(ids, name)) : NULL;
			if (!rep) {
				*missing = name;
				free(out);
				return NULL;
			}
			free(name);
			skip = (size_t)(end - s) + 1;
		}
		rlen = rep ? strlen(rep) : 1;
		if (len + rlen + 1 > cap) {
			char *n;

			cap = (len + rlen + 1) * 2;
			if (!(n = realloc(out, cap))) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + len, rep ? rep : s, rlen);
		len += rlen;
		s += skip;
	}
	out[len] = '\0';
	return out;
}

json_t *ph_labels_substitute_json(const json_t *v, const json_t *ids, char **missing)
{
	const char *k;
	json_t *out, *child, *c;
	size_t i;

	*missing = NULL;
	if (json_is_string(v)) {
		char *s = ph_labels_substitute(json_string_value(v), ids, missing);

		out = s ? json_string(s) : NULL;
		free(s);
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, child)
		{
			if (!out || !(c = ph_labels_substitute_json(child, ids, missing)) ||
			    json_object_set_new(out, k, c))
				goto fail;
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, child)
		{
			if (!out || !(c = ph_labels_substitute_json(child, ids, missing)) ||
			    json_array_append_new(out, c))
				goto fail;
		}
		return out;
	}
	return json_deep_copy(v);
fail:
	json_decref(out);
	return NULL;
}

char *ph_labels_ref(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, PH_LABEL_OPEN "%s}", name);
	return buf;
}
