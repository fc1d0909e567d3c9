/*
 * The canned-LLM servers of a `parity run` (session.h): when the config has llm.dir, the
 * set is loaded and one server per runtime started before any workspace is rendered, so
 * {llm_url} is each side's own server and the runtimes' preflight finds it up. Every
 * request goes to <out>/llm/<role>.jsonl (the whole run) and to
 * <out>/llm/<domain>/<role>.jsonl (the domain being run, what host->llm_log returns), and
 * the request counts per side go into the matrix metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "parity/path.h"
#include "parity/strbuf.h"
#include "run/session.h"
#include "run/workspace.h"

static const char *const roles[] = {"reference", "candidate"};

/*
 * The request logs of role i in <out>/llm (domain NULL) or <out>/llm/<domain>, the folder
 * created: logs[i] is <folder>/<role>.jsonl, a new string each.
 */
static int log_paths(const struct ph_session *s, const char *domain, char *logs[2],
		     struct ph_err *err)
{
	char *dir = domain ? ph_strdup_printf("%s/llm/%s", s->out, domain)
			   : ph_path_join(s->out, "llm");
	int i, rc;

	logs[0] = logs[1] = NULL;
	if (!dir)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_mkdirs(dir, err);
	for (i = 0; i < 2 && !rc; i++)
		if (!(logs[i] = ph_strdup_printf("%s/%s.jsonl", dir, roles[i])))
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
	free(dir);
	return rc;
}

int ph_session_llm_start(struct ph_session *s, struct ph_err *err)
{
	char *logs[2];
	int i, rc;

	if (!s->cfg.llm_dir)
		return 0;
	if ((rc = ph_llm_set_load(s->cfg.llm_dir, &s->llm_set, err)))
		return rc;
	rc = log_paths(s, NULL, logs, err);
	for (i = 0; i < 2 && !rc; i++) {
		struct ph_side_state *st = &s->side[i];

		if ((rc = ph_llm_server_start(&st->llm, s->llm_set, roles[i], 0, logs[i], err)))
			break;
		free(st->llm_url);
		if (!(st->llm_url = strdup(ph_llm_server_url(st->llm))))
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		else
			ph_session_log(s, "%s: canned LLM (%s) on %s", roles[i], s->cfg.llm_dir,
				       st->llm_url);
	}
	free(logs[0]);
	free(logs[1]);
	return rc;
}

int ph_session_llm_domain(struct ph_session *s, const char *domain, struct ph_err *err)
{
	char *logs[2];
	int i, rc;

	if (!s->llm_set)
		return 0;
	rc = log_paths(s, domain, logs, err);
	for (i = 0; i < 2 && !rc; i++) {
		free(s->side[i].llm_log);
		s->side[i].llm_log = logs[i];
		logs[i] = NULL;
		rc = ph_llm_server_tee(s->side[i].llm, s->side[i].llm_log, err);
	}
	free(logs[0]);
	free(logs[1]);
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
