/*
 * Reading files and JSON documents with messages that name the file, line and column.
 * Part of phutil, so plugins and the core load their inputs the same way.
 */
#ifndef PARITY_JSONIO_H
#define PARITY_JSONIO_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* Largest file ph_file_read accepts unless told otherwise (256 MiB). */
#define PH_FILE_MAX ((size_t)256 << 20)

/*
 * Read a whole file ("-" is stdin) into a new NUL-terminated buffer, at most max bytes
 * (0: PH_FILE_MAX). The caller frees *data.
 */
int ph_file_read(const char *path, size_t max, char **data, size_t *len, struct ph_err *err);

/*
 * Write data to path atomically (temporary file in the same folder, then rename),
 * with the given mode (e.g. 0644).
 */
int ph_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct ph_err *err);

/*
 * Parse a JSON document from a file. Duplicate keys are rejected. On failure the message
 * reads "<path>:<line>:<column>: <what>". *out is a new reference.
 */
int ph_json_load_file(const char *path, json_t **out, struct ph_err *err);

/* The same for a buffer; `source` names it in messages. */
int ph_json_load_buffer(const char *source, const char *data, size_t len, json_t **out,
			struct ph_err *err);

/* Dump JSON with sorted keys and two-space indent, ending in a newline; caller frees. */
char *ph_json_dump_pretty(const json_t *doc);

/* Write JSON pretty-printed to path atomically. */
int ph_json_write_file(const char *path, const json_t *doc, struct ph_err *err);

#endif
