/*
 * Virtual tables as the schema model keeps them (vtab.c). Internal to core/src/schema.
 */
#ifndef PARITY_SCHEMA_VTAB_H
#define PARITY_SCHEMA_VTAB_H

/*
 * Module and normalised definition of a CREATE VIRTUAL TABLE statement: "module(arg,
 * ...)" with plain arguments (columns) in their order, then key=value options sorted
 * (both new strings). Returns 0, -1 when out of memory; when the statement does not
 * parse, the definition is the normalised statement and the module "".
 */
int ph_sql_vtab_parse(const char *sql, char **module, char **definition);

/* Does table `name` belong to virtual table `vt` of module `module` (its shadow)? */
int ph_schema_is_shadow(const char *vt, const char *module, const char *name);

#endif
