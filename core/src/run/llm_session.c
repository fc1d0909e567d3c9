/*
 * The canned-LLM servers of a `parity run` (session.h): when the config has llm.dir, the
 * set is loaded and one server per runtime started before any workspace is rendered, so
 * {llm_url} is each side's own server and the runtimes' preflight finds it up. Every
 * request goes to <out>/llm/<role>.jsonl (the whole run) and to
 * <out>/llm/<domain>/<role>.jsonl (the domain being run, what host->llm_log returns), and
 * the request counts per side go into the matrix metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/session.h"
#include "run/workspace.h"

static const char *const roles[] = {"reference", "candidate"};

static char *join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
	return p;
}

int ph_session_llm_start(struct ph_session *s, struct ph_err *err)
{
	char *dir, *log;
	int i, rc;

	if (!s->cfg.llm_dir)
		return 0;
	if ((rc = ph_llm_set_load(s->cfg.llm_dir, &s->llm_set, err)))
		return rc;
	if (!(dir = join(s->out, "llm", NULL)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_mkdirs(dir, err);
	for (i = 0; i < 2 && !rc; i++) {
		struct ph_side_state *st = &s->side[i];
		char name[32];

		snprintf(name, sizeof(name), "%s.jsonl", roles[i]);
		if (!(log = join(dir, name, NULL))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		rc = ph_llm_server_start(&st->llm, s->llm_set, roles[i], 0, log, err);
		free(log);
		if (rc)
			break;
		free(st->llm_url);
		if (!(st->llm_url = strdup(ph_llm_server_url(st->llm))))
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		else
			ph_session_log(s, "%s: canned LLM (%s) on %s", roles[i], s->cfg.llm_dir,
				       st->llm_url);
	}
	free(dir);
	return rc;
}

int ph_session_llm_domain(struct ph_session *s, const char *domain, struct ph_err *err)
{
	char *dir;
	int i, rc;

	if (!s->llm_set)
		return 0;
	if (!(dir = join(s->out, "llm", domain)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_mkdirs(dir, err);
	for (i = 0; i < 2 && !rc; i++) {
		struct ph_side_state *st = &s->side[i];
		char name[32];

		snprintf(name, sizeof(name), "%s.jsonl", roles[i]);
		free(st->llm_log);
		if (!(st->llm_log = join(dir, name, NULL)))
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		else
			rc = ph_llm_server_tee(st->llm, st->llm_log, err);
	}
	free(dir);
	return rc;
}

void ph_session_llm_metrics(struct ph_session *s)
{
	json_t *metrics = json_object_get(s->matrix, "metrics"), *llm;
	int i;

	if (!s->llm_set || !json_is_object(metrics))
		return;
	llm = json_object();
	for (i = 0; i < 2; i++) {
		long requests = 0, unmatched = 0;

		if (!s->side[i].llm)
			continue;
		ph_llm_server_counts(s->side[i].llm, &requests, &unmatched);
		json_object_set_new(llm, roles[i],
				    json_pack("{s:I, s:I}", "requests", (json_int_t)requests,
					      "unmatched", (json_int_t)unmatched));
	}
	json_object_set_new(metrics, "llm", llm);
}

void ph_session_llm_stop(struct ph_session *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		ph_llm_server_stop(s->side[i].llm);
		s->side[i].llm = NULL;
		free(s->side[i].llm_log);
		s->side[i].llm_log = NULL;
	}
	ph_llm_set_free(s->llm_set);
	s->llm_set = NULL;
}
