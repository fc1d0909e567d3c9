/*
 * The host's timing verdicts (parity/plugin.h timing_confirm, timing_samples): one slow
 * answer is never a timing divergence. A divergence of a request that may be sent again
 * is re-sampled in two batches and kept only when both show it and the Mann-Whitney test
 * rejects one distribution; latencies a domain observed several times are judged by
 * their medians and the same test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare/stats.h"
#include "parity/result.h"
#include "run/host_impl.h"
#include "run/session.h"

/* Most samples per side and batch taken to confirm a timing divergence; how many the
 * config says in "timing": {"samples": k} (config.h timing_samples, default 5). */
#define TIMING_SAMPLES_MAX 100

/*
 * Take k = timing.samples samples per side, interleaved, appending them to ja and jb and to
 * va/vb at *n. Returns 1 when the batch's medians diverge by the fixed timing rule, 0 when
 * they do not, -1 when a request failed. *ma and *mb get the batch's medians.
 */
static int timing_batch(struct ph_run *run, const struct ph_request *ra,
			const struct ph_request *rb, json_t *ja, json_t *jb, double *va,
			double *vb, size_t *n, double *ma, double *mb)
{
	double sa[TIMING_SAMPLES_MAX], sb[TIMING_SAMPLES_MAX];
	size_t i, k = (size_t)run->s->cfg.timing_samples;

	if (k > TIMING_SAMPLES_MAX)
		k = TIMING_SAMPLES_MAX;
	if (k == 0) /* "samples": 0: never re-measure, the first answer stands */
		return -1;
	for (i = 0; i < k; i++) {
		struct ph_response a, b;
		struct ph_err e;
		int ra_rc, rb_rc, ok;

		/* alternate who is asked first: on a busy machine the first is often slower;
		 * both are always asked, so both responses are filled and released */
		if (i % 2) {
			rb_rc = ph_host_http(run, PH_CANDIDATE, rb, &b, &e);
			ra_rc = ph_host_http(run, PH_REFERENCE, ra, &a, &e);
		} else {
			ra_rc = ph_host_http(run, PH_REFERENCE, ra, &a, &e);
			rb_rc = ph_host_http(run, PH_CANDIDATE, rb, &b, &e);
		}
		ok = !ra_rc && !rb_rc && a.latency_ms >= 0 && b.latency_ms >= 0;

		if (ok) {
			va[*n] = sa[i] = a.latency_ms;
			vb[*n] = sb[i] = b.latency_ms;
			(*n)++;
			json_array_append_new(ja, json_real(a.latency_ms));
			json_array_append_new(jb, json_real(b.latency_ms));
		}
		ph_response_release(&a);
		ph_response_release(&b);
		if (!ok)
			return -1;
	}
	*ma = ph_median(sa, k);
	*mb = ph_median(sb, k);
	return ph_timing_diverges(&run->s->cfg.timing, *ma, *mb);
}

/*
 * A single slow answer is not a timing divergence. Re-measure the request in two batches
 * of timing.samples per side, a short pause apart; confirm only when the medians of both
 * batches diverge by the fixed timing rule (a busy machine can slow one process for a
 * while, rarely twice) and the Mann-Whitney U test on all re-measured samples rejects, at
 * timing.alpha, that both sides' latencies come from one distribution (at alpha 0.01 that
 * takes at least 3 samples per batch). The raw samples, the first answer's included, go
 * into *samples (new object); *ma and *mb get the last batch's medians, *p the test's
 * p-value. Returns 1 confirmed, 0 not reproduced, -1 when a repeat failed (the first
 * answer stands).
 */
static int confirm_timing(struct ph_run *run, const struct ph_request *ra,
			  const struct ph_request *rb, double a0, double b0, json_t **samples,
			  double *ma, double *mb, double *p)
{
	double va[2 * TIMING_SAMPLES_MAX], vb[2 * TIMING_SAMPLES_MAX];
	json_t *ja = json_array(), *jb = json_array();
	size_t n = 0;
	int rc;

	json_array_append_new(ja, json_real(a0));
	json_array_append_new(jb, json_real(b0));
	rc = timing_batch(run, ra, rb, ja, jb, va, vb, &n, ma, mb);
	if (rc == 1) {
		struct timespec pause = { 0, 200 * 1000 * 1000 };

		nanosleep(&pause, NULL);
		rc = timing_batch(run, ra, rb, ja, jb, va, vb, &n, ma, mb);
	}
	if (rc == 1) {
		*p = ph_mann_whitney_p(va, n, vb, n);
		rc = *p < run->s->cfg.timing_alpha;
	}
	*samples = json_pack("{s:o, s:o}", "reference", ja, "candidate", jb);
	return rc;
}

static int is_timing(void *ctx, const struct ph_divergence *d)
{
	(void)ctx;
	return d->cls == PH_TIMING;
}

/* The first timing divergence of res, or NULL. */
static const struct ph_divergence *timing_of(const struct ph_result *res)
{
	size_t i;

	for (i = 0; i < res->count; i++)
		if (res->items[i].cls == PH_TIMING)
			return &res->items[i];
	return NULL;
}

int ph_host_timing_confirm(struct ph_run *run, const struct ph_request *ref_req,
			       const struct ph_request *cand_req, struct ph_result *res,
			       json_t **info, struct ph_err *err)
{
	const struct ph_divergence *d = timing_of(res);
	json_t *samples = NULL;
	double ma = 0, mb = 0, p = 1;
	int rc;

	(void)err;
	*info = NULL;
	if (!d || !json_is_number(d->a) || !json_is_number(d->b) ||
	    run->s->cfg.timing_samples <= 0)
		return 0;
	rc = confirm_timing(run, ref_req, cand_req ? cand_req : ref_req, json_number_value(d->a),
			    json_number_value(d->b), &samples, &ma, &mb, &p);
	*info = json_pack("{s:o}", "samples_ms", samples);
	if (rc == 0) {
		ph_result_drop(res, is_timing, NULL);
		json_object_set_new(*info, "flaky",
				    json_pack("{s:s, s:I}", "class", "timing", "retries",
					      (json_int_t)(json_array_size(json_object_get(
								   samples, "reference")) - 1)));
	} else if (rc == 1) {
		json_object_set_new(*info, "median_ms",
				    json_pack("{s:f, s:f}", "reference", ma, "candidate", mb));
		json_object_set_new(*info, "mann_whitney_p", json_real(p));
	}
	return 0;
}

int ph_host_timing_samples(struct ph_run *run, const double *a, size_t na, const double *b,
			       size_t nb, double min_delta_ms, struct ph_result *res,
			       json_t **info, struct ph_err *err)
{
	double *sa = NULL, *sb = NULL, ma, mb, p;
	json_t *ja = json_array(), *jb = json_array();
	size_t i;
	int rc = 0;

	if (info)
		*info = NULL;
	if (!na || !nb || !ja || !jb || !(sa = malloc(na * sizeof(*sa))) ||
	    !(sb = malloc(nb * sizeof(*sb)))) {
		json_decref(ja);
		json_decref(jb);
		free(sa);
		return na && nb ? ph_error(err, PH_E_NOMEM, "out of memory") : 0;
	}
	for (i = 0; i < na; i++)
		json_array_append_new(ja, json_real(sa[i] = a[i]));
	for (i = 0; i < nb; i++)
		json_array_append_new(jb, json_real(sb[i] = b[i]));
	ma = ph_median(sa, na);
	mb = ph_median(sb, nb);
	p = ph_mann_whitney_p(a, na, b, nb);
	if (ph_timing_diverges(&run->s->cfg.timing, ma, mb) && fabs(ma - mb) > min_delta_ms &&
	    p < run->s->cfg.timing_alpha) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "median %.1f ms -> %.1f ms over %zu and %zu samples (Mann-Whitney p %.3g)",
			 ma, mb, na, nb, p);
		rc = ph_result_add(res, PH_TIMING, "latency", "", json_real(ma), json_real(mb), msg);
	}
	if (info)
		*info = json_pack("{s:{s:o, s:o}, s:{s:f, s:f}, s:f}", "samples_ms", "reference", ja,
				  "candidate", jb, "median_ms", "reference", ma, "candidate", mb,
				  "mann_whitney_p", p);
	else {
		json_decref(ja);
		json_decref(jb);
	}
	free(sa);
	free(sb);
	return rc;
}
