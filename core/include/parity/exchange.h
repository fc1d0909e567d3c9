/*
 * The case exchange: one question put to both runtimes and their answers judged as one
 * matrix row. Every domain that asks over HTTP goes through it, so every such row is made
 * the same way: both sides asked (which one first alternates, since on a busy machine the
 * first answer after a pause is the slower), an error row when either did not answer, each
 * answer rewritten by the plugin (id labels, scrubbing, claims...), an error row when the
 * plugin finds the answers say nothing to judge (not evaluable), the pair compared under
 * the run's rules, a timing divergence confirmed by re-sampling when the request may be
 * sent again, the plugin's own checks, the row recorded and annotated (its timing notes,
 * and its "route": the reference's request "METHOD /path?query", which route coverage
 * counts whatever the row's feature says). Built only on the host table's entries, so it
 * runs the same over the core's table or a fake one in tests.
 * Part of phutil.
 */
#ifndef PARITY_EXCHANGE_H
#define PARITY_EXCHANGE_H

#include <stddef.h>

#include "parity/plugin.h"

/* What an evaluable hook returns for a pair both sides answered that cannot be judged. */
#define PH_EXCHANGE_NOT_EVALUABLE 1

/*
 * One exchange, filled by the caller (zero what it does not set); every pointer is borrowed
 * for the call. The fields under "what happened" are filled by ph_exchange().
 */
struct ph_exchange {
	/* ---- what to ask ---- */
	struct ph_request req[2];    /* per side; req[PH_CANDIDATE].method NULL: the same
					request as req[PH_REFERENCE] */
	const char *endpoint;        /* the rule key "METHOD /path"; NULL: req[0]'s method and
					path */
	const char *feature;         /* the row's feature; NULL: the rule the comparison matched */
	const char *case_name;
	int repeatable;              /* may be sent again: latencies are judged, and a timing
					divergence is re-sampled before it counts. Else one
					sample: latencies stay in the row, never judged */
	unsigned turn;               /* even: the reference is asked first; odd: the candidate
					(pass a counter of the domain's exchanges) */
	int keep;                    /* hand the (rewritten) answers back in resp */

	/* ---- the plugin's hooks: all optional, each given ctx ---- */
	void *ctx;
	/*
	 * Rewrite pair[side] before anything reads it (labels, scrubbing, a job waited for);
	 * pair[!side] is the other side's answer, to read. Called for the reference, then the
	 * candidate, also for an answer that failed (pair[side].error set). A negative return
	 * makes the answer a failure with err's message (an error row follows).
	 */
	int (*rewrite)(void *ctx, enum ph_side side, struct ph_response pair[2],
		       struct ph_err *err);
	/*
	 * After the comparison: add the plugin's own divergences to res (ph_result_add), or
	 * return negative with why filled to make the row an error row (res stays in it).
	 */
	int (*check)(void *ctx, const struct ph_response pair[2], struct ph_result *res,
		     struct ph_err *why);
	/* The row's reference summary from the reference's answer; default: its status. */
	void (*summary)(void *ctx, const struct ph_response *ref, char *buf, size_t cap);
	/*
	 * Before the comparison, when both sides answered (their answers rewritten): can the
	 * pair be evaluated at all? Return PH_EXCHANGE_NOT_EVALUABLE with why filled when
	 * the answers say nothing the comparison could judge (an MCP tool that could not
	 * reach its own daemon): the row is then an error row with why's message, the
	 * summary as its reference and the latencies measured; nothing is compared, checked
	 * or re-sampled. 0: judge the pair.
	 */
	int (*evaluable)(void *ctx, const struct ph_response pair[2], struct ph_err *why);

	/* ---- what happened ---- */
	struct ph_response resp[2];  /* the answers as rewritten, when keep; release with
					ph_exchange_release */
	enum ph_class cls;           /* the recorded row's class */
	int answered;                /* both runtimes answered */
};

/*
 * Run x: ask, judge and record its row. A runtime that did not answer, or a comparison that
 * could not be made, is an error row, not an error of the call. Returns 0 once the row is
 * recorded, or the negative code of host->record.
 */
int ph_exchange(const struct ph_host *host, struct ph_run *run, struct ph_exchange *x,
		struct ph_err *err);

/* Release the answers ph_exchange kept (keep); x may be reused after. */
void ph_exchange_release(const struct ph_host *host, struct ph_exchange *x);

/*
 * What a rewrite hook reads and writes: the body of answer r as JSON (a new reference;
 * NULL when there is none or it is not JSON), and r's body replaced by doc (borrowed)
 * serialised with json_dumps flags. Returns 0, or PH_E_NOMEM with the body left as it was.
 */
json_t *ph_exchange_body_json(const struct ph_response *r);
int ph_exchange_body_set(struct ph_response *r, const json_t *doc, size_t flags);

#endif
