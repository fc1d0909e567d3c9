/*
 * The canned-LLM server's request log (exchange.h): one JSON line per request, written
 * whole under the server's lock to the run's log and to the per-domain copy (tee), with
 * what was asked (model, request, the prompt as matched) and which entry answered, so a
 * plugin can compare what each runtime sent to its LLM.
 */
#include "llm/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A body that is not JSON, as a string; bytes that are not UTF-8 become '?'. */
static json_t *raw_text(const char *raw, size_t len)
{
	json_t *s = json_stringn(raw, len);
	char *copy;
	size_t i;

	if (s)
		return s;
	if (!(copy = malloc(len)))
		return json_string("");
	for (i = 0; i < len; i++)
		copy[i] = (unsigned char)raw[i] < 0x80 ? raw[i] : '?';
	s = json_stringn(copy, len);
	free(copy);
	return s;
}

void ph_llm_log_exchange(struct exchange *x)
{
	struct ph_llm_server *srv = x->srv;
	struct timespec ts;
	struct tm tm;
	char when[48];
	json_t *line, *request;
	char *text;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ", ts.tv_nsec / 1000000);
	if (x->req)
		request = json_incref(x->req);
	else if (x->raw_len)
		request = json_pack("{s:o}", "raw", raw_text(x->raw, x->raw_len));
	else
		request = json_null();
	line = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i}", "time", when, "runtime", srv->runtime,
	    "method", x->method, "endpoint", x->path, "model",
	    x->model ? json_string(x->model) : json_null(), "request", request, "prompt",
	    x->has_prompt ? json_stringn_nocheck(x->prompt, x->prompt_len) : json_null(), "entry",
	    x->entry ? json_string(x->entry) : json_null(), "status", (int)x->status);
	text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(line);
	pthread_mutex_lock(&srv->lock);
	srv->requests++;
	if (x->unmatched)
		srv->unmatched++;
	if (text) {
		FILE *f[2] = {srv->log, srv->tee};
		int i;

		for (i = 0; i < 2; i++) {
			if (!f[i])
				continue;
			fputs(text, f[i]);
			fputc('\n', f[i]);
			fflush(f[i]);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	free(text);
}
