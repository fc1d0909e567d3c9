/*
 * Labels: how a suite names, in a later step or case, an id a runtime generated in an
 * earlier one. The suite writes "{id:NAME}" in any string it sends (a path, a body value,
 * a tool argument), the same "{...}" placeholder form as the host's canonical names
 * ({port}, {workspace}); each side then gets the id it generated itself under NAME, so two
 * runtimes whose ids differ are asked the same question. What a NAME is, and when an id
 * is kept under it, is the domain's: the write domain keeps the id a step answered under
 * the step's name, the mcp domain the id a tool answered under the case's "save_id". Part
 * of phutil, so every domain reads the one syntax the same way.
 */
#ifndef PARITY_LABELS_H
#define PARITY_LABELS_H

#include <stddef.h>
#include <jansson.h>

/* What opens a label reference; it ends at the next '}'. */
#define PH_LABEL_OPEN "{id:"

/*
 * s with every "{id:NAME}" replaced by the string ids[NAME] (ids: an object NAME -> id
 * string, borrowed). An opening without a closing '}' is kept as it is. Returns a new
 * string (caller frees), or NULL with *missing set to the first NAME ids has no string
 * for (caller frees *missing; NULL too when out of memory).
 */
char *ph_labels_substitute(const char *s, const json_t *ids, char **missing);

/*
 * A deep copy of v with every string substituted as ph_labels_substitute does (object keys
 * are left alone). A new reference, or NULL with *missing as above.
 */
json_t *ph_labels_substitute_json(const json_t *v, const json_t *ids, char **missing);

/*
 * The reference to NAME as a suite writes it, "{id:NAME}", into buf (cut to fit); also
 * the name under which a domain has the host canonicalise that id (canon_add). Returns buf.
 */
char *ph_labels_ref(char *buf, size_t len, const char *name);

#endif
