/*
 * Placeholders in a runtime's command, env and cwd (runtime.h): "{name}" expanded to the
 * run's values for one side ({workspace} {home} {port} {llm_url} {repo} {shared}
 * {build}), "{{" a literal "{", any other "{" kept so JSON text passes through; and the
 * copy of those values a started runtime keeps, so a plugin can ask how it was started.
 */
#include "runtime/runtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/strbuf.h"
#include "runtime/internal.h"

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

char *ph_expand(const char *s, const struct ph_placeholders *ph, struct ph_err *err)
{
	struct ph_strbuf b = { 0 };
	const char *p = s;
	char *out;

	if (!s) {
		ph_error(err, PH_E_INVALID, "nothing to expand");
		return NULL;
	}
	while (*p) {
		const char *open = strchr(p, '{'), *q, *val = NULL;
		char num[16];
		size_t n;

		if (!open)
			open = p + strlen(p);
		ph_strbuf_addn(&b, p, (size_t)(open - p));
		if (!*open)
			break;
		if (open[1] == '{') { /* "{{" is a literal "{" */
			ph_strbuf_addc(&b, '{');
			p = open + 2;
			continue;
		}
		for (q = open + 1; is_name_char(*q); q++)
			;
		if (q == open + 1 || *q != '}') { /* not a placeholder: JSON and the like */
			ph_strbuf_addc(&b, '{');
			p = open + 1;
			continue;
		}
		n = (size_t)(q - open - 1);
#define IS(name) (n == sizeof(name) - 1 && !memcmp(open + 1, name, n))
		if (IS("workspace"))
			val = ph ? ph->workspace : NULL;
		else if (IS("home"))
			val = ph ? ph->home : NULL;
		else if (IS("llm_url"))
			val = ph ? ph->llm_url : NULL;
		else if (IS("repo"))
			val = ph ? ph->repo : NULL;
		else if (IS("shared"))
			val = ph ? ph->shared : NULL;
		else if (IS("build"))
			val = ph ? ph->build : NULL;
		else if (IS("port")) {
			if (ph && ph->port > 0) {
				snprintf(num, sizeof(num), "%d", ph->port);
				val = num;
			}
		} else {
			ph_error(err, PH_E_INVALID,
				 "unknown placeholder '{%.*s}' (known: {workspace} {home} {port} "
				 "{llm_url} {repo} {shared} {build}; '{{' is a literal '{')",
				 (int)(n > 64 ? 64 : n), open + 1);
			ph_strbuf_release(&b);
			return NULL;
		}
#undef IS
		if (!val) {
			ph_error(err, PH_E_INVALID, "placeholder '{%.*s}' has no value here", (int)n,
				 open + 1);
			ph_strbuf_release(&b);
			return NULL;
		}
		ph_strbuf_add(&b, val);
		p = q + 1;
	}
	if (!(out = ph_strbuf_take(&b)))
		ph_error(err, PH_E_NOMEM, "out of memory");
	return out;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}


int ph_placeholders_copy(struct ph_placeholders *dst, const struct ph_placeholders *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	dst->port = src->port;
	dst->workspace = xstrdup(src->workspace);
	dst->home = xstrdup(src->home);
	dst->llm_url = xstrdup(src->llm_url);
	dst->repo = xstrdup(src->repo);
	dst->shared = xstrdup(src->shared);
	dst->build = xstrdup(src->build);
	if ((src->workspace && !dst->workspace) || (src->home && !dst->home) ||
	    (src->llm_url && !dst->llm_url) || (src->repo && !dst->repo) ||
	    (src->shared && !dst->shared) || (src->build && !dst->build))
		return -1;
	return 0;
}

void ph_placeholders_free(struct ph_placeholders *p)
{
	free((char *)p->workspace);
	free((char *)p->home);
	free((char *)p->llm_url);
	free((char *)p->repo);
	free((char *)p->shared);
	free((char *)p->build);
	memset(p, 0, sizeof(*p));
}

