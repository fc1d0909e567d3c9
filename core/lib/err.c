/*
 * Error codes, their names, and the helpers that fill a caller's struct ph_err.
 * Linked into the core and, as part of the small phutil library, into every plugin,
 * so a plugin reports errors the same way without linking back into the executable.
 */
#include "parity/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	"success",
	"out of memory",
	"input/output error",
	"parse error",
	"invalid input",
	"not found",
	"plugin error",
	"ABI mismatch",
	"runtime error",
	"HTTP error",
	"timed out",
	"database error",
	"bad usage",
	"unsupported",
	"crypto error",
	"interrupted",
};

const char *ph_strerror(int code)
{
	size_t i = code <= 0 ? (size_t)-code : (size_t)-1;

	if (i < sizeof(names) / sizeof(names[0]))
		return names[i];
	return "unknown error";
}

int ph_error(struct ph_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int ph_error_prefix(struct ph_err *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return PH_E_INVALID;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		size_t pl = strlen(prefix), ol = strlen(old), cap = sizeof(err->msg) - 1;

		if (pl > cap)
			pl = cap;
		memcpy(err->msg, prefix, pl);
		if (pl + 2 <= cap) {
			memcpy(err->msg + pl, ": ", 2);
			pl += 2;
		}
		if (ol > cap - pl)
			ol = cap - pl;
		memcpy(err->msg + pl, old, ol);
		err->msg[pl + ol] = '\0';
	}
	return err->code;
}

void ph_err_clear(struct ph_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
