/*
 * The live shadow proxy behind `parity shadow`: an HTTP server (libmicrohttpd, one
 * thread per connection) that answers every client from the primary alone, unchanged
 * and without waiting for the shadow, then hands {request, primary answer} to a bounded
 * queue. A few shadow workers replay each request to the shadow (libcurl, with a
 * timeout), compare the two answers with the engine and rules of `parity compare`
 * (timing by the fixed rule), optionally diff the rows a write touched in both
 * databases (state.h), and append one `parity-shadow/1` line per divergent exchange
 * (entry.h, logfile.h). Nothing the shadow does (hang, die, answer garbage) reaches the
 * primary path: the queue is try-pushed, overflow counted.
 */
#ifndef PARITY_PROXY_H
#define PARITY_PROXY_H

#include <stddef.h>

#include "parity/err.h"
#include "compare/rules.h"
#include "compare/timing.h"
#include "domain/endpoint_map.h"

/* What the proxy is started with; pointers are borrowed until ph_proxy_free. */
struct ph_proxy_config {
	const char *bind;		/* address to listen on (numeric IPv4 or IPv6) */
	int port;			/* 0: a free one (ph_proxy_port tells which) */
	const char *primary;		/* base URL, "http://127.0.0.1:3850" */
	const char *shadow;
	const char *log_path;
	struct ph_rules *rules;		/* used by the workers under the proxy's lock */
	const struct ph_domain_map *map;
	struct ph_timing timing;
	size_t queue;			/* shadow work items held at most */
	size_t max_body;		/* larger bodies are not compared ("too-large") */
	long primary_timeout_ms;
	long shadow_timeout_ms;
	long log_max_bytes;		/* rotate the log to <log>.1 past this; 0 never */
	long drain_ms;			/* at stop, how long the queue may take to drain */
	int shadow_writes;		/* the shadow has its own data: replay writes too */
	int workers;			/* shadow workers */
	const char *state_db_primary;	/* optional: the databases, opened read-only */
	const char *state_db_shadow;
	const char *const *same;	/* "PRIMARY=SHADOW" values of the instances (same.h) */
	size_t n_same;
};

/* The counters of the stop event. */
struct ph_proxy_stats {
	unsigned long forwarded;	/* requests answered from the primary */
	unsigned long primary_errors;	/* ... of which the primary gave no answer (502) */
	unsigned long replayed;		/* requests sent to the shadow */
	unsigned long compared;		/* answer pairs compared */
	unsigned long divergent;	/* entries written */
	unsigned long dropped;		/* shadow work refused by a full queue, or left at stop */
	unsigned long skipped_writes;	/* writes not replayed (no --shadow-writes) */
	unsigned long shadow_errors;	/* the shadow gave no comparable answer */
	int drained;			/* the queue was empty at stop */
};

struct ph_proxy;

/*
 * Open the log (writing the start event), start the workers and listen. Fails with
 * PH_E_IO when the log cannot be opened or the address not bound, PH_E_HTTP when the
 * primary does not accept a connection; the message says which.
 */
int ph_proxy_start(struct ph_proxy **out, const struct ph_proxy_config *cfg,
		   struct ph_err *err);

/* The port listened on. */
int ph_proxy_port(const struct ph_proxy *p);

/* Counters so far. */
void ph_proxy_stats(struct ph_proxy *p, struct ph_proxy_stats *out);

/*
 * Stop accepting, let the queue drain for at most drain_ms, stop the workers, write the
 * stop event and fill out (NULL: not wanted). Then ph_proxy_free.
 */
void ph_proxy_stop(struct ph_proxy *p, struct ph_proxy_stats *out);

void ph_proxy_free(struct ph_proxy *p);

/*
 * Is a request of method to path replayed to a shadow without its own data directory?
 * GET, HEAD, OPTIONS and the read-only POSTs (recall and search) are.
 */
int ph_proxy_replay_safe(const char *method, const char *path);

#endif
