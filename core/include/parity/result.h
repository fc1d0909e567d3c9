/*
 * Results a plugin builds itself: its own checks (a header the rules leave out, an effect
 * a runtime never showed) appended to what the host's comparison found, or a whole result
 * made of them. Part of phutil, so every plugin adds a divergence the same way.
 */
#ifndef PARITY_RESULT_H
#define PARITY_RESULT_H

#include "parity/plugin.h"

/*
 * Append one divergence to res and raise its verdict to cls when worse. kind is static;
 * path and message are copied; a and b (may be NULL) are stolen, also on failure.
 * Returns 0 or PH_E_NOMEM.
 */
int ph_result_add(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		  json_t *a, json_t *b, const char *message);

/* The same with a printf-style message. */
int ph_result_addf(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		   json_t *a, json_t *b, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/*
 * Remove the divergences drop(ctx, d) says to (freeing them) and recompute res's verdict
 * from the rest; for results the plugin built and results the host filled alike.
 */
void ph_result_drop(struct ph_result *res, int (*drop)(void *ctx, const struct ph_divergence *d),
		    void *ctx);

/*
 * Free the divergences of a result the plugin built (not one the host filled: that goes
 * back through the host's result_release) and leave it empty, verdict parity. res->rule is
 * neither read nor freed: a plugin's own result usually borrows it.
 */
void ph_result_clear(struct ph_result *res);

#endif
