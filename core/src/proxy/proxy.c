/*
 * The live shadow proxy (proxy.h): starting the listener, the shadow workers and the
 * ph_px_monitor, stopping with the queue drained or counted, and the counters. The parts are in
 * primary.c, shadow_side.c and transfer.c (proxy_int.h).
 */
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parity/clock.h"
#include "proxy/entry.h"
#include "proxy/proxy_int.h"

/* Does base accept a TCP connection? */
static int reachable(const char *base, long timeout_ms, char *why, size_t n)
{
	CURL *c = curl_easy_init();
	CURLcode cc;

	if (!c) {
		snprintf(why, n, "out of memory");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, base);
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		snprintf(why, n, "%s", curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	return cc == CURLE_OK;
}

static int listen_addr(const struct ph_proxy_config *cfg, struct sockaddr_storage *ss,
		       int *v6)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->bind, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, cfg->bind, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->port);
		*v6 = 1;
		return 0;
	}
	return -1;
}

static void stop_threads(struct ph_proxy *p)
{
	int i;

	atomic_store(&p->stopping, 1);
	ph_queue_close(&p->queue);
	for (i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i], NULL);
	p->n_workers = 0;
	if (p->monitor_started)
		pthread_join(p->monitor, NULL);
	p->monitor_started = 0;
}

int ph_proxy_start(struct ph_proxy **out, const struct ph_proxy_config *cfg, struct ph_err *err)
{
	struct ph_proxy *p;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	char why[256];
	json_t *ev;
	int v6 = 0, i, rc;

	*out = NULL;
	if (listen_addr(cfg, &ss, &v6))
		return ph_error(err, PH_E_INVALID, "--bind: '%s' is not a numeric address",
				cfg->bind);
	if (!reachable(cfg->primary, cfg->primary_timeout_ms < 2000 ? cfg->primary_timeout_ms : 2000,
		       why, sizeof(why)))
		return ph_error(err, PH_E_HTTP, "primary '%s' does not accept connections: %s",
				cfg->primary, why);
	if (!(p = calloc(1, sizeof(*p))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	p->cfg = *cfg;
	snprintf(p->id_prefix, sizeof(p->id_prefix), "%04x", (unsigned)getpid() & 0xffffu);
	pthread_mutex_init(&p->compare_lock, NULL);
	pthread_mutex_init(&p->pool_lock, NULL);
	pthread_mutex_init(&p->stop_lock, NULL);
	pthread_cond_init(&p->stop_cond, NULL);
	if (ph_same_init(&p->same) || (cfg->shadow_writes && !(p->ids = ph_id_map_new(ID_PAIRS))) ||
	    !(p->latency = ph_latency_windows_new(&cfg->timing,
						  PH_TIMING_CONFIRM_DEFAULT.alpha))) {
		ph_id_map_free(p->ids);
		ph_same_release(&p->same);
		free(p);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (size_t k = 0; k < cfg->n_same; k++)
		if (ph_same_add_spec(&p->same, cfg->same[k])) {
			ph_same_release(&p->same);
			ph_id_map_free(p->ids);
			ph_latency_windows_free(p->latency);
			free(p);
			return ph_error(err, PH_E_INVALID,
					"--same '%s': expected PRIMARY=SHADOW, two values of at "
					"least 3 bytes",
					cfg->same[k]);
		}
	if (ph_same_add_ports(&p->same, cfg->primary, cfg->shadow)) {
		ph_same_release(&p->same);
		ph_id_map_free(p->ids);
		ph_latency_windows_free(p->latency);
		free(p);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	p->cfg.same = NULL; /* copied */
	p->cfg.n_same = 0;
	if (ph_queue_init(&p->queue, cfg->queue ? cfg->queue : 1)) {
		ph_same_release(&p->same);
		ph_id_map_free(p->ids);
		ph_latency_windows_free(p->latency);
		free(p);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = ph_logfile_open(&p->log, cfg->log_path, cfg->log_max_bytes, err))) {
		ph_queue_release(&p->queue);
		ph_same_release(&p->same);
		ph_id_map_free(p->ids);
		ph_latency_windows_free(p->latency);
		free(p);
		return rc;
	}
	if ((ev = ph_shadow_event_new("start"))) {
		json_object_set_new(ev, "primary", json_string(cfg->primary));
		json_object_set_new(ev, "shadow", json_string(cfg->shadow));
		json_object_set_new(ev, "queue", json_integer((json_int_t)cfg->queue));
		ph_logfile_write(&p->log, ev);
		json_decref(ev);
	}
	p->workers_left = 0;
	for (i = 0; i < cfg->workers && i < MAX_WORKERS; i++) {
		if (pthread_create(&p->workers[i], NULL, ph_px_worker, p))
			break;
		p->n_workers++;
		p->workers_left++;
	}
	if (!pthread_create(&p->monitor, NULL, ph_px_monitor, p))
		p->monitor_started = 1;
	p->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
		(v6 ? MHD_USE_IPv6 : 0),
	    (uint16_t)cfg->port, NULL, NULL, ph_px_on_request, p, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, ph_px_on_uri, p,
	    MHD_OPTION_NOTIFY_COMPLETED, ph_px_on_completed, p, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!p->mhd) {
		int e = errno;

		stop_threads(p);
		ph_proxy_free(p);
		return ph_error(err, PH_E_IO, "cannot listen on %s port %d: %s", cfg->bind,
				cfg->port, e ? strerror(e) : "refused");
	}
	info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	p->port = cfg->port;
	if (info) {
		struct sockaddr_storage got;
		socklen_t len = sizeof(got);

		if (!getsockname(info->listen_fd, (struct sockaddr *)&got, &len))
			p->port = ntohs(got.ss_family == AF_INET6
					    ? ((struct sockaddr_in6 *)&got)->sin6_port
					    : ((struct sockaddr_in *)&got)->sin_port);
	}
	*out = p;
	return 0;
}

int ph_proxy_port(const struct ph_proxy *p)
{
	return p->port;
}

void ph_proxy_stats(struct ph_proxy *p, struct ph_proxy_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->forwarded = atomic_load(&p->forwarded);
	o->primary_errors = atomic_load(&p->primary_errors);
	o->replayed = atomic_load(&p->replayed);
	o->compared = atomic_load(&p->compared);
	o->divergent = atomic_load(&p->divergent);
	o->dropped = ph_queue_dropped(&p->queue) + atomic_load(&p->abandoned);
	o->skipped_writes = atomic_load(&p->skipped_writes);
	o->shadow_errors = atomic_load(&p->shadow_errors);
	o->drained = atomic_load(&p->abandoned) == 0;
}

void ph_proxy_stop(struct ph_proxy *p, struct ph_proxy_stats *out)
{
	struct ph_proxy_stats st;
	struct timespec deadline;
	json_t *ev;

	if (p->mhd) {
		MHD_stop_daemon(p->mhd); /* joins the connection threads */
		p->mhd = NULL;
	}
	atomic_store(&p->stopping, 1);
	ph_queue_close(&p->queue);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += p->cfg.drain_ms / 1000;
	deadline.tv_nsec += (p->cfg.drain_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->stop_lock);
	while (p->workers_left > 0 &&
	       pthread_cond_timedwait(&p->stop_cond, &p->stop_lock, &deadline) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&p->stop_lock);
	atomic_store(&p->aborting, 1); /* what is left is abandoned, transfers cut short */
	stop_threads(p);
	ph_proxy_stats(p, &st);
	if ((ev = ph_shadow_event_new("stop"))) {
		json_object_set_new(ev, "forwarded", json_integer((json_int_t)st.forwarded));
		json_object_set_new(ev, "replayed", json_integer((json_int_t)st.replayed));
		json_object_set_new(ev, "compared", json_integer((json_int_t)st.compared));
		json_object_set_new(ev, "divergent", json_integer((json_int_t)st.divergent));
		json_object_set_new(ev, "dropped", json_integer((json_int_t)st.dropped));
		json_object_set_new(ev, "skipped_writes",
				    json_integer((json_int_t)st.skipped_writes));
		json_object_set_new(ev, "shadow_errors",
				    json_integer((json_int_t)st.shadow_errors));
		json_object_set_new(ev, "drained", json_boolean(st.drained));
		ph_logfile_write(&p->log, ev);
		json_decref(ev);
	}
	if (out)
		*out = st;
}

void ph_proxy_free(struct ph_proxy *p)
{
	int i;

	if (!p)
		return;
	if (p->mhd)
		MHD_stop_daemon(p->mhd);
	stop_threads(p);
	for (;;) {
		struct task *t = ph_queue_pop(&p->queue, 0);

		if (!t)
			break;
		ph_px_task_free(t);
	}
	for (i = 0; i < p->n_pool; i++)
		curl_easy_cleanup(p->pool[i]);
	ph_queue_release(&p->queue);
	ph_logfile_close(&p->log);
	pthread_mutex_destroy(&p->compare_lock);
	pthread_mutex_destroy(&p->pool_lock);
	pthread_mutex_destroy(&p->stop_lock);
	pthread_cond_destroy(&p->stop_cond);
	ph_id_map_free(p->ids);
	ph_latency_windows_free(p->latency);
	ph_same_release(&p->same);
	free(p);
}

