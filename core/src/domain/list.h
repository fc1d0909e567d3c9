/*
 * The domains a run knows, in their order. One data file names them: the "domains" array
 * of suites/domains.json, in the order readers expect (matrices, merges, gate reasons and
 * shadow reports follow it); a domain whose plugin is found but which the file does not
 * list is known too and comes after the listed ones, alphabetically. The core itself
 * names no domain. The same file's "defaults" object holds the defaults of config keys
 * that are domain knowledge (e.g. "database", the runtime's database file).
 *
 * File shape: {"schema": "parity-domains/1", "domains": ["<name>", ...], "defaults":
 * {"database": "..."}, "routes": [...]} (routes: endpoint_map.h).
 */
#ifndef PARITY_DOMAIN_LIST_H
#define PARITY_DOMAIN_LIST_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* Where the list is read from, relative to the repo (repo.h). */
#define PH_DOMAINS_FILE "suites/domains.json"

struct ph_domain_list {
	char *source;                /* the data file, or NULL for a list built in memory */
	char **names;                /* the listed ones in file order, then found ones sorted */
	size_t n;
	size_t n_listed;             /* names[0 .. n_listed) come from the file */
	json_t *defaults;            /* the file's "defaults" object; an empty one when absent */
};

/* An empty list (no source, no names, empty defaults). Returns 0 or PH_E_NOMEM. */
int ph_domain_list_init(struct ph_domain_list *l, struct ph_err *err);

/*
 * Read the list from a parsed data file (borrowed); source names it in messages
 * ("domains.json: domains[2]: expected a domain name (letters, digits, '-', '_')").
 * A file without "domains" lists none. l is released with ph_domain_list_release, also
 * when this fails.
 */
int ph_domain_list_from_json(struct ph_domain_list *l, const json_t *doc, const char *source,
			     struct ph_err *err);

/* The same from the file at path: PH_E_IO, PH_E_PARSE or PH_E_INVALID naming it. */
int ph_domain_list_load(struct ph_domain_list *l, const char *path, struct ph_err *err);

/* A copy of src into dst (released with ph_domain_list_release, also on failure). */
int ph_domain_list_copy(struct ph_domain_list *dst, const struct ph_domain_list *src,
			struct ph_err *err);

/*
 * Know name as a found domain (its plugin exists): placed after the listed ones among
 * the found ones alphabetically; nothing when it is known already. PH_E_INVALID for a
 * name that cannot be a domain, PH_E_NOMEM.
 */
int ph_domain_list_add(struct ph_domain_list *l, const char *name, struct ph_err *err);

/*
 * Know the domain of every plugin file `<domain>.so` in the folders dirs[0 .. n) (those
 * that do not exist are skipped); the files are not opened.
 */
int ph_domain_list_add_plugins(struct ph_domain_list *l, char *const *dirs, size_t n,
			       struct ph_err *err);

/* Position of name in l, or l->n when l does not know it. */
size_t ph_domain_list_index(const struct ph_domain_list *l, const char *name);

/* Does l know name? */
int ph_domain_list_has(const struct ph_domain_list *l, const char *name);

/* The names joined by single spaces, for messages ("schema read ..."); new string. */
char *ph_domain_list_text(const struct ph_domain_list *l);

void ph_domain_list_release(struct ph_domain_list *l);

/*
 * The repo's list: PH_DOMAINS_FILE of the repo (repo.h ph_repo_data_path), read once per
 * process and kept; *out is borrowed for the process's life. When the file cannot be read
 * every call returns the same error, naming the file.
 */
int ph_domains_repo(const struct ph_domain_list **out, struct ph_err *err);

/* The repo's list, or an empty one when it cannot be read; never NULL. */
const struct ph_domain_list *ph_domains(void);

/* Is name a domain of the repo's list? */
int ph_domain_known(const char *name);

/*
 * Order of two domain names as readers expect it: the repo's list first, in its order,
 * then every other name alphabetically. NULL sorts last.
 */
int ph_domain_cmp(const char *a, const char *b);

#endif
