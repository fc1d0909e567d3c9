/*
 * Error codes and the caller-owned error struct shared by the core and the plugins.
 * Functions return 0 for success and a negative PH_E_* code for failure; the message
 * goes into a struct ph_err the caller provides. The numbers are frozen: add new codes
 * at the end, never renumber.
 */
#ifndef PARITY_ERR_H
#define PARITY_ERR_H

#include <stddef.h>

enum ph_errcode {
	PH_OK = 0,
	PH_E_NOMEM = -1,       /* out of memory */
	PH_E_IO = -2,          /* a file or socket could not be read or written */
	PH_E_PARSE = -3,       /* input is not well-formed (JSON, SQL, YAML, ...) */
	PH_E_INVALID = -4,     /* input is well-formed but of the wrong shape */
	PH_E_NOTFOUND = -5,    /* a named thing does not exist */
	PH_E_PLUGIN = -6,      /* a plugin could not be loaded or refused itself */
	PH_E_ABI = -7,         /* ABI versions do not fit */
	PH_E_RUNTIME = -8,     /* a runtime process failed to start, died or misbehaved */
	PH_E_HTTP = -9,        /* an HTTP exchange could not complete */
	PH_E_TIMEOUT = -10,    /* a deadline passed */
	PH_E_DB = -11,         /* SQLite reported an error */
	PH_E_USAGE = -12,      /* bad command-line usage */
	PH_E_UNSUPPORTED = -13,/* the operation is not available here */
	PH_E_CRYPTO = -14,     /* encryption, decryption or key derivation failed */
	PH_E_INTERRUPTED = -15 /* the user or a signal stopped the operation */
};

/* Filled by a failing call; owned by the caller, usually on its stack. */
struct ph_err {
	int code;
	char msg[1024];
};

/* Name of an error code ("no memory", "parse error", ...); never NULL. */
const char *ph_strerror(int code);

/*
 * Fill err (may be NULL) with code and a printf-style message and return code, so a
 * failing path reads `return ph_error(err, PH_E_IO, "cannot open '%s'", path);`.
 */
int ph_error(struct ph_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "prefix: " in front of the message already in err; returns err->code. */
int ph_error_prefix(struct ph_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset err to "no error". */
void ph_err_clear(struct ph_err *err);

#endif
