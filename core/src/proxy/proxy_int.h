/*
 * The proxy's parts and what they share (proxy.h is the outside view): the headers and the
 * one libcurl transfer both paths use (transfer.c), the primary path in libmicrohttpd's
 * connection threads (primary.c), the shadow workers and the overflow monitor
 * (shadow_side.c), starting and stopping (proxy.c). Not for use outside core/src/proxy.
 */
#ifndef PARITY_PROXY_INT_H
#define PARITY_PROXY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "parity/strbuf.h"
#include "proxy/ids.h"
#include "proxy/latency.h"
#include "proxy/logfile.h"
#include "proxy/proxy.h"
#include "proxy/queue.h"
#include "proxy/same.h"

#define MAX_WORKERS 16
#define POOL_MAX 64			   /* idle primary handles kept */
#define HARD_MAX_BODY ((size_t)256 << 20) /* past this even the primary path gives up */
#define ID_PAIRS 65536			   /* generated ids remembered per side (ids.h) */


/* One header line "Name: value", as libcurl takes it. */
struct hdrs {
	char **v;
	size_t n, cap;
};

/* One request on its way through the primary path. */
struct task;

struct req {
	char *uri; /* raw, with its query string */
	int started;
	struct ph_strbuf body;
	int body_too_big; /* over HARD_MAX_BODY */
	struct task *task; /* built when the answer is queued, handed over once it is sent */
};

/* One exchange handed to the shadow workers. */
struct task {
	char method[16];
	char *uri;
	struct hdrs headers;
	char *body;
	size_t body_len;
	long status;	   /* the primary's */
	char *pbody;	   /* the primary's answer */
	size_t pbody_len;
	double platency;
	int too_large;
	char ts[32];
	char request_id[32];
	json_t *pstate; /* the primary's rows after a write, with --state-db-* (state.h) */
	double answered_ms; /* ph_now_ms() when the primary's answer was queued */
};

struct ph_proxy {
	struct ph_proxy_config cfg;
	struct MHD_Daemon *mhd;
	int port;
	struct ph_queue queue;
	struct ph_logfile log;
	pthread_t workers[MAX_WORKERS];
	int n_workers;
	pthread_t monitor;
	int monitor_started;
	pthread_mutex_t compare_lock; /* the rules count their pattern hits */
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	int n_pool;
	atomic_int aborting; /* drain time is over: abandon transfers */
	atomic_int stopping;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int workers_left;
	atomic_ulong forwarded, primary_errors, replayed, compared, divergent, skipped_writes,
	    shadow_errors, seq, abandoned;
	unsigned long dropped_logged;
	char id_prefix[16];
	struct ph_id_map *ids; /* with shadow_writes: the ids each side made, paired */
	struct ph_latency_windows *latency; /* timing judged over windows (latency.h) */
	struct ph_same same;	/* the instances' own values: ports, --same (same.h) */
};


/* What a transfer collects. */
struct sink {
	struct ph_strbuf body;
	size_t max;
	int overflow;
	struct hdrs headers; /* response headers, hop-by-hop ones dropped (primary only) */
	int want_headers;
	struct ph_proxy *p;  /* abort when p->aborting (shadow only) */
};

/* ---- transfer.c ---- */
int ph_px_hdrs_add(struct hdrs *h, const char *name, size_t nn, const char *value, size_t vn);
void ph_px_hdrs_clear(struct hdrs *h);
enum MHD_Result ph_px_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value);
CURLcode ph_px_transfer(CURL *c, const char *base, const char *method, const char *uri,
			const struct hdrs *h, const char *body, size_t body_len, long timeout_ms,
			struct sink *s, long *status, double *latency_ms);
const char *ph_px_shadow_error(CURLcode cc, const struct sink *s);

/* ---- primary.c ---- */
enum MHD_Result ph_px_on_request(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *data,
				 size_t *size, void **con_cls);
void *ph_px_on_uri(void *cls, const char *uri, struct MHD_Connection *c);
void ph_px_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			enum MHD_RequestTerminationCode toe);
void ph_px_task_free(struct task *t);

/* ---- shadow_side.c ---- */
/* The "id" of a JSON answer (a string or integer), copied into buf; 0 when none. */
int ph_px_answer_id(const char *body, size_t len, char *buf, size_t size);
void *ph_px_worker(void *arg);
void *ph_px_monitor(void *arg);

#endif
