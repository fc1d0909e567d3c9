/*
 * Shadow-divergence log analysis: streams logs written by the TS daemon's in-process
 * shadow ({ts, path, method, primaryStatus, shadowStatus}) and by the Rust signet-shadow
 * proxy ({timestamp, endpoint, ..., divergences[]}), in any mix, plain or gzip, and
 * aggregates them per domain and per fingerprint. The upstream analyzer silently skips
 * every line it cannot parse as the Rust struct; here every line is either classified or
 * counted as malformed with its number and a message.
 */
#include "shadow/shadow.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "run/config.h"
#include "parity/jsonio.h"

#define CACHE_SLOTS 4096
#define ENDPOINT_MAX 1024

/* One remembered endpoint: the raw "METHOD path" and what the map made of it. */
struct cache_entry {
	char *key;
	const char *domain;
	char *tmpl;
};

struct ph_endpoint_cache {
	struct cache_entry slots[CACHE_SLOTS];
};

size_t ph_shadow_slot(const char *domain)
{
	size_t i;

	for (i = 0; i < ph_n_domains && i < PH_SHADOW_SLOTS - 1; i++)
		if (!strcmp(domain, ph_domains[i]))
			return i;
	return PH_SHADOW_SLOTS - 1;
}

const char *ph_shadow_slot_name(size_t slot)
{
	return slot < ph_n_domains && slot < PH_SHADOW_SLOTS - 1 ? ph_domains[slot]
								 : PH_DOMAIN_UNMAPPED;
}

void ph_shadow_init(struct ph_shadow *s, const struct ph_domain_map *map,
		    const struct ph_timing *timing)
{
	memset(s, 0, sizeof(*s));
	s->map = map;
	s->timing = timing ? *timing : PH_TIMING_DEFAULT;
	s->first_ms = INT64_MAX;
	s->last_ms = INT64_MIN;
}

void ph_shadow_release(struct ph_shadow *s)
{
	size_t i;

	for (i = 0; i < s->n_messages; i++)
		free(s->messages[i].text);
	for (i = 0; i < s->n_fp_slots; i++) {
		struct ph_shadow_fp *fp = s->fps[i];

		if (!fp)
			continue;
		free(fp->endpoint);
		free(fp->path);
		json_decref(fp->example);
		free(fp);
	}
	free(s->fps);
	if (s->cache) {
		for (i = 0; i < CACHE_SLOTS; i++) {
			free(s->cache->slots[i].key);
			free(s->cache->slots[i].tmpl);
		}
		free(s->cache);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- time ---------------------------------------------------------------------- */

int ph_shadow_parse_time(const char *t, long long *ms)
{
	return t ? ph_timestamp_parse_log(t, strlen(t), ms) : -1;
}

char *ph_shadow_format_ms(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int milli = (int)(ms - (long long)secs * 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, size, "invalid");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
	return buf;
}

double ph_shadow_span_days(const struct ph_shadow *s)
{
	if (s->first_ms > s->last_ms)
		return 0.0;
	return (double)(s->last_ms - s->first_ms) / 86400000.0;
}

/* ---- paths and fingerprints ----------------------------------------------------- */

char *ph_shadow_fold_path(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	const char *p = path ? path : "";

	if (!size)
		return buf;
	while (*p && n + 1 < size) {
		if (*p == '[') {
			const char *q = p + 1;

			while (isdigit((unsigned char)*q))
				q++;
			if (q > p + 1 && *q == ']') {
				if (n + 2 >= size)
					break;
				buf[n++] = '[';
				buf[n++] = ']';
				p = q + 1;
				continue;
			}
		}
		/* a whole dot segment of digits: start of path or after '.' */
		if ((p == path || p[-1] == '.') && isdigit((unsigned char)*p)) {
			const char *q = p;

			while (isdigit((unsigned char)*q))
				q++;
			if (*q == '.' || *q == '\0' || *q == '[') {
				buf[n++] = '*';
				p = q;
				continue;
			}
		}
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	return buf;
}

static unsigned long hash_str(unsigned long h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211UL;
	return (h ^ 0xff) * 1099511628211UL;
}

static unsigned long fp_hash(const char *domain, const char *endpoint, enum ph_class cls,
			     const char *path)
{
	unsigned long h = 1469598103934665603UL;

	h = hash_str(h, domain);
	h = hash_str(h, endpoint);
	h = (h ^ (unsigned long)cls) * 1099511628211UL;
	return hash_str(h, path);
}

static int fp_grow(struct ph_shadow *s)
{
	size_t ncap = s->n_fp_slots ? s->n_fp_slots * 2 : 256, i;
	struct ph_shadow_fp **nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return PH_E_NOMEM;
	for (i = 0; i < s->n_fp_slots; i++) {
		struct ph_shadow_fp *fp = s->fps[i];
		size_t j;

		if (!fp)
			continue;
		j = fp->hash & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = fp;
	}
	free(s->fps);
	s->fps = nt;
	s->n_fp_slots = ncap;
	return 0;
}

/* The slot holding the fingerprint with these keys, or the empty slot where it goes. */
static size_t fp_find(const struct ph_shadow *s, unsigned long h, const char *domain,
		      const char *endpoint, enum ph_class cls, const char *path)
{
	size_t j = h & (s->n_fp_slots - 1);
	const struct ph_shadow_fp *fp;

	while ((fp = s->fps[j])) {
		if (fp->hash == h && fp->cls == cls && fp->domain == domain &&
		    !strcmp(fp->endpoint, endpoint) && !strcmp(fp->path, path))
			return j;
		j = (j + 1) & (s->n_fp_slots - 1);
	}
	return j;
}

/*
 * Count one divergence into its fingerprint; the example is built only for a new
 * fingerprint, so that repeated divergences cost no allocation.
 */
static int fp_add(struct ph_shadow *s, const char *domain, const char *endpoint, enum ph_class cls,
		  const char *raw_path, long long ms, const char *source, struct ph_shadow_pos at,
		  const json_t *div)
{
	char path[512];
	unsigned long h;
	size_t j;
	struct ph_shadow_fp *fp;

	ph_shadow_fold_path(raw_path, path, sizeof(path));
	h = fp_hash(domain, endpoint, cls, path);
	if ((s->n_fps + 1) * 10 > s->n_fp_slots * 7 && fp_grow(s))
		return PH_E_NOMEM;
	j = fp_find(s, h, domain, endpoint, cls, path);
	if ((fp = s->fps[j])) {
		fp->count++;
		if (ms < fp->first_ms)
			fp->first_ms = ms;
		if (ms > fp->last_ms)
			fp->last_ms = ms;
		return 0;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return PH_E_NOMEM;
	fp->domain = domain;
	fp->endpoint = strdup(endpoint);
	fp->path = strdup(path);
	fp->cls = cls;
	fp->count = 1;
	fp->first_ms = fp->last_ms = ms;
	fp->hash = h;
	fp->example_at = at;
	fp->example = json_pack("{s:s, s:I, s:O?}", "source", source, "line", (json_int_t)at.line,
				"divergence", div);
	if (!fp->endpoint || !fp->path || !fp->example) {
		free(fp->endpoint);
		free(fp->path);
		json_decref(fp->example);
		free(fp);
		return PH_E_NOMEM;
	}
	s->fps[j] = fp;
	s->n_fps++;
	return 0;
}

/* ---- endpoints ------------------------------------------------------------------ */

/* Domain and template of "METHOD path", remembered in a bounded direct-mapped cache. */
static int lookup_endpoint(struct ph_shadow *s, const char *method, size_t mlen, const char *path,
			   const char **domain, const char **tmpl)
{
	char key[ENDPOINT_MAX], m[32], tbuf[ENDPOINT_MAX];
	size_t plen = strcspn(path, "?"), klen;
	unsigned long h;
	struct cache_entry *e;

	if (!s->cache) {
		s->cache = calloc(1, sizeof(*s->cache));
		if (!s->cache)
			return PH_E_NOMEM;
	}
	if (mlen >= sizeof(m))
		mlen = sizeof(m) - 1;
	memcpy(m, method, mlen);
	m[mlen] = '\0';
	if (mlen + 1 + plen >= sizeof(key))
		plen = sizeof(key) - mlen - 2;
	memcpy(key, m, mlen);
	key[mlen] = ' ';
	memcpy(key + mlen + 1, path, plen);
	klen = mlen + 1 + plen;
	key[klen] = '\0';
	h = hash_str(1469598103934665603UL, key);
	e = &s->cache->slots[h & (CACHE_SLOTS - 1)];
	if (!e->key || strcmp(e->key, key)) {
		char *k = strdup(key), *t;

		key[klen] = '\0';
		ph_domain_map_template(s->map, m, key + mlen + 1, tbuf, sizeof(tbuf));
		t = strdup(tbuf);
		if (!k || !t) {
			free(k);
			free(t);
			return PH_E_NOMEM;
		}
		free(e->key);
		free(e->tmpl);
		e->key = k;
		e->tmpl = t;
		e->domain = ph_domain_map_domain(s->map, m, key + mlen + 1);
	}
	*domain = e->domain;
	*tmpl = e->tmpl;
	return 0;
}

/* ---- classification ------------------------------------------------------------- */

static int starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* JSON type letter of a value given as (possibly truncated) JSON text. */
static char text_type(const json_t *v)
{
	const char *p;

	if (!v || json_is_null(v))
		return 'a'; /* absent */
	if (!json_is_string(v)) {
		switch (json_typeof(v)) {
		case JSON_OBJECT:
			return 'o';
		case JSON_ARRAY:
			return 'A';
		case JSON_INTEGER:
		case JSON_REAL:
			return 'n';
		case JSON_TRUE:
		case JSON_FALSE:
			return 'b';
		default:
			return 'z';
		}
	}
	p = json_string_value(v);
	while (isspace((unsigned char)*p))
		p++;
	switch (*p) {
	case '{':
		return 'o';
	case '[':
		return 'A';
	case '"':
		return 's';
	case 't':
	case 'f':
		return 'b';
	case 'n':
		return 'z';
	default:
		return (*p == '-' || isdigit((unsigned char)*p)) ? 'n' : '?';
	}
}

static enum ph_class classify(const json_t *div)
{
	const char *msg = json_string_value(json_object_get(div, "message"));
	const char *field = json_string_value(json_object_get(div, "field"));

	if (starts(msg, "shadow request failed"))
		return PH_ERROR;
	if (starts(msg, "status code mismatch") || (field && !strcmp(field, "statusCode")))
		return PH_STRUCTURAL;
	if (starts(msg, "field missing") || starts(msg, "extra field"))
		return PH_STRUCTURAL;
	if (starts(msg, "value mismatch")) {
		char a = text_type(json_object_get(div, "primaryValue"));
		char b = text_type(json_object_get(div, "shadowValue"));

		return a != b ? PH_STRUCTURAL : PH_SEMANTIC;
	}
	/* "array length mismatch" and messages this version does not know */
	return PH_SEMANTIC;
}

static void count_class(struct ph_shadow_counts *c, enum ph_class cls)
{
	switch (cls) {
	case PH_STRUCTURAL:
		c->structural++;
		break;
	case PH_SEMANTIC:
		c->semantic++;
		break;
	case PH_TIMING:
		c->timing++;
		break;
	case PH_ERROR:
		c->error++;
		break;
	case PH_PARITY:
		break;
	}
}

/* Lines of one aggregate arrive in order, so the first ones kept are the earliest. */
static int add_malformed(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
			 const char *what)
{
	s->malformed++;
	if (s->n_malformed_at < PH_SHADOW_MALFORMED_KEEP)
		s->malformed_at[s->n_malformed_at++] = at;
	if (s->n_messages < PH_SHADOW_MESSAGES_KEEP) {
		size_t n = strlen(source) + strlen(what) + 32;
		char *m = malloc(n);

		if (!m)
			return PH_E_NOMEM;
		snprintf(m, n, "%s:%lu: %s", source, at.line, what);
		s->messages[s->n_messages].at = at;
		s->messages[s->n_messages++].text = m;
	}
	return 0;
}

int ph_shadow_add_malformed(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
			    const char *what)
{
	return add_malformed(s, source, at, what);
}

static int get_status(const json_t *o, const char *key, long *out)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))) {
		*out = (long)json_real_value(v);
		return 0;
	}
	return -1;
}

static int get_latency(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return *out >= 0 ? 0 : -1;
}

/* A status divergence as the Rust proxy writes it, for lines that carry none. */
static json_t *status_div(long a, long b)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "status code mismatch: primary=%ld, shadow=%ld", a, b);
	return json_pack("{s:s, s:s, s:s, s:I, s:I}", "severity", "critical", "field", "statusCode",
			 "message", msg, "primaryValue", (json_int_t)a, "shadowValue",
			 (json_int_t)b);
}

static int entry(struct ph_shadow *s, const json_t *o, const char *source, struct ph_shadow_pos at)
{
	const json_t *ep = json_object_get(o, "endpoint");
	const json_t *divs = NULL;
	const char *method, *path, *ts, *domain, *tmpl;
	size_t mlen, i;
	long pst, sst;
	long long ms;
	int rust = json_is_string(ep), rc, has_status = 0;
	struct ph_shadow_counts *c;

	if (rust) {
		const char *e = json_string_value(ep), *sp = strchr(e, ' ');

		if (!sp || sp == e || sp[1] != '/')
			return add_malformed(s, source, at, "'endpoint' is not \"METHOD /path\"");
		method = e;
		mlen = (size_t)(sp - e);
		path = sp + 1;
		ts = json_string_value(json_object_get(o, "timestamp"));
		if (!ts)
			return add_malformed(s, source, at, "'timestamp' missing or not a string");
		divs = json_object_get(o, "divergences");
		if (divs && !json_is_array(divs) && !json_is_null(divs))
			return add_malformed(s, source, at, "'divergences' is not an array");
	} else {
		method = json_string_value(json_object_get(o, "method"));
		path = json_string_value(json_object_get(o, "path"));
		if (!method || !path)
			return add_malformed(s, source, at,
					     "not a shadow log entry: no 'endpoint' (Rust proxy) "
					     "nor 'method' and 'path' (TS daemon)");
		if (!*method || path[0] != '/')
			return add_malformed(s, source, at, "'method' or 'path' is empty");
		mlen = strlen(method);
		ts = json_string_value(json_object_get(o, "ts"));
		if (!ts)
			return add_malformed(s, source, at, "'ts' missing or not a string");
	}
	if (ph_shadow_parse_time(ts, &ms))
		return add_malformed(s, source, at, "timestamp is not ISO-8601");
	if (get_status(o, "primaryStatus", &pst) || get_status(o, "shadowStatus", &sst))
		return add_malformed(s, source, at,
				     "'primaryStatus' or 'shadowStatus' is not an integer");
	rc = lookup_endpoint(s, method, mlen, path, &domain, &tmpl);
	if (rc)
		return rc;

	s->entries++;
	if (rust)
		s->rust_entries++;
	else
		s->ts_entries++;
	if (ms < s->first_ms)
		s->first_ms = ms;
	if (ms > s->last_ms)
		s->last_ms = ms;
	c = &s->domains[ph_shadow_slot(domain)];
	c->entries++;

	if (sst == 0) {
		/* The shadow did not answer: nothing else on this line is evidence. */
		const json_t *d = NULL;

		for (i = 0; divs && i < json_array_size(divs); i++)
			if (starts(json_string_value(
				       json_object_get(json_array_get(divs, i), "message")),
				   "shadow request failed"))
				d = json_array_get(divs, i);
		count_class(c, PH_ERROR);
		return fp_add(s, domain, tmpl, PH_ERROR, "connection", ms, source, at, d ? d : o);
	}
	for (i = 0; divs && i < json_array_size(divs); i++) {
		const json_t *d = json_array_get(divs, i);
		const char *field;
		enum ph_class cls;

		if (!json_is_object(d)) {
			char what[64];

			snprintf(what, sizeof(what), "divergences[%zu] is not an object", i);
			rc = add_malformed(s, source, at, what);
			if (rc)
				return rc;
			continue;
		}
		field = json_string_value(json_object_get(d, "field"));
		cls = classify(d);
		if (cls == PH_STRUCTURAL && field && !strcmp(field, "statusCode"))
			has_status = 1;
		count_class(c, cls);
		rc = fp_add(s, domain, tmpl, cls, field ? field : "", ms, source, at, d);
		if (rc)
			return rc;
	}
	if (pst != sst && !has_status) {
		json_t *d = status_div(pst, sst);

		if (!d)
			return PH_E_NOMEM;
		count_class(c, PH_STRUCTURAL);
		rc = fp_add(s, domain, tmpl, PH_STRUCTURAL, "statusCode", ms, source, at, d);
		json_decref(d);
		if (rc)
			return rc;
	}
	if (rust) {
		double la, lb;

		if (!get_latency(o, "primaryLatencyMs", &la) &&
		    !get_latency(o, "shadowLatencyMs", &lb) && ph_timing_diverges(&s->timing, la, lb)) {
			json_t *d =
			    json_pack("{s:f, s:f}", "primaryLatencyMs", la, "shadowLatencyMs", lb);

			if (!d)
				return PH_E_NOMEM;
			count_class(c, PH_TIMING);
			rc = fp_add(s, domain, tmpl, PH_TIMING, "latencyMs", ms, source, at, d);
			json_decref(d);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int ph_shadow_add_line(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
		       const char *line, size_t len)
{
	json_error_t jerr;
	json_t *o;
	size_t i;
	int rc;

	s->lines++;
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)line[i]))
			break;
	if (i == len)
		return 0;
	if (memchr(line, '\0', len))
		return add_malformed(s, source, at, "contains a NUL byte");
	o = json_loadb(line, len, 0, &jerr);
	if (!o) {
		char what[256];

		snprintf(what, sizeof(what), "not JSON: %s (column %d)", jerr.text, jerr.column);
		return add_malformed(s, source, at, what);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return add_malformed(s, source, at, "not a JSON object");
	}
	rc = entry(s, o, source, at);
	json_decref(o);
	return rc;
}

/* ---- merging partial aggregates ----------------------------------------------- */

static int pos_cmp(const void *pa, const void *pb)
{
	const struct ph_shadow_pos *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int msg_cmp(const void *pa, const void *pb)
{
	return pos_cmp(&((const struct ph_shadow_message *)pa)->at,
		       &((const struct ph_shadow_message *)pb)->at);
}

int ph_shadow_merge(struct ph_shadow *s, struct ph_shadow *from)
{
	struct ph_shadow_pos pos[2 * PH_SHADOW_MALFORMED_KEEP];
	struct ph_shadow_message msgs[2 * PH_SHADOW_MESSAGES_KEEP];
	size_t i, n;

	s->lines += from->lines;
	s->entries += from->entries;
	s->ts_entries += from->ts_entries;
	s->rust_entries += from->rust_entries;
	s->malformed += from->malformed;
	if (from->first_ms < s->first_ms)
		s->first_ms = from->first_ms;
	if (from->last_ms > s->last_ms)
		s->last_ms = from->last_ms;
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		s->domains[i].entries += from->domains[i].entries;
		s->domains[i].structural += from->domains[i].structural;
		s->domains[i].semantic += from->domains[i].semantic;
		s->domains[i].timing += from->domains[i].timing;
		s->domains[i].error += from->domains[i].error;
	}
	/* the first malformed lines overall are among the first ones of each part */
	n = s->n_malformed_at;
	memcpy(pos, s->malformed_at, n * sizeof(pos[0]));
	memcpy(pos + n, from->malformed_at, from->n_malformed_at * sizeof(pos[0]));
	n += from->n_malformed_at;
	qsort(pos, n, sizeof(pos[0]), pos_cmp);
	s->n_malformed_at = n < PH_SHADOW_MALFORMED_KEEP ? n : PH_SHADOW_MALFORMED_KEEP;
	memcpy(s->malformed_at, pos, s->n_malformed_at * sizeof(pos[0]));
	from->n_malformed_at = 0;
	n = s->n_messages;
	memcpy(msgs, s->messages, n * sizeof(msgs[0]));
	memcpy(msgs + n, from->messages, from->n_messages * sizeof(msgs[0]));
	n += from->n_messages;
	qsort(msgs, n, sizeof(msgs[0]), msg_cmp);
	s->n_messages = n < PH_SHADOW_MESSAGES_KEEP ? n : PH_SHADOW_MESSAGES_KEEP;
	memcpy(s->messages, msgs, s->n_messages * sizeof(msgs[0]));
	for (i = s->n_messages; i < n; i++)
		free(msgs[i].text);
	from->n_messages = 0;
	/* fingerprints: add up, or move over */
	for (i = 0; i < from->n_fp_slots; i++) {
		struct ph_shadow_fp *fp = from->fps[i], *have;
		size_t j;

		if (!fp)
			continue;
		from->fps[i] = NULL;
		if ((s->n_fps + 1) * 10 > s->n_fp_slots * 7 && fp_grow(s)) {
			free(fp->endpoint);
			free(fp->path);
			json_decref(fp->example);
			free(fp);
			return PH_E_NOMEM;
		}
		j = fp_find(s, fp->hash, fp->domain, fp->endpoint, fp->cls, fp->path);
		have = s->fps[j];
		if (!have) {
			s->fps[j] = fp;
			s->n_fps++;
			continue;
		}
		have->count += fp->count;
		if (fp->first_ms < have->first_ms)
			have->first_ms = fp->first_ms;
		if (fp->last_ms > have->last_ms)
			have->last_ms = fp->last_ms;
		if (pos_cmp(&fp->example_at, &have->example_at) < 0) {
			json_t *t = have->example;

			have->example = fp->example;
			have->example_at = fp->example_at;
			fp->example = t;
		}
		free(fp->endpoint);
		free(fp->path);
		json_decref(fp->example);
		free(fp);
	}
	from->n_fps = 0;
	return 0;
}

/* ---- reading -------------------------------------------------------------------- */

#define BLOCK_SIZE ((size_t)1 << 20)
#define MAX_THREADS 8

/* A run of whole lines handed from the reader to a parser. */
struct block {
	char *data;
	size_t cap, len;
	unsigned long first_line; /* number of its first line */
	struct block *next;
};

/* The reader and the parsers share a queue of full blocks and a pool of empty ones. */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t work, spare;
	struct block *head, *tail; /* full blocks, oldest first */
	struct block *pool;	   /* empty blocks */
	int done;		   /* the reader has queued its last block */
	int failed;		   /* a parser ran out of memory */
	const char *source;
	unsigned file;
	size_t max;		      /* longest line parsed */
	struct parser *inline_parser; /* no threads: queue_block parses at once */
};

struct parser {
	struct pipe *p;
	struct ph_shadow part;
	pthread_t tid;
	int rc;
};

static int parse_block(struct ph_shadow *part, const struct pipe *pp, const struct block *b)
{
	const char *p = b->data, *end = b->data + b->len;
	struct ph_shadow_pos at;
	int rc;

	at.file = pp->file;
	at.line = b->first_line;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		if (len && p[len - 1] == '\r')
			len--;
		if (len > pp->max) {
			part->lines++;
			rc = add_malformed(part, pp->source, at, "line too long");
		} else {
			rc = ph_shadow_add_line(part, pp->source, at, p, len);
		}
		if (rc)
			return rc;
		at.line++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static void *parser_main(void *arg)
{
	struct parser *w = arg;
	struct pipe *p = w->p;

	for (;;) {
		struct block *b;
		int rc;

		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->done)
			pthread_cond_wait(&p->work, &p->mu);
		b = p->head;
		if (!b) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = b->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);

		rc = w->rc ? 0 : parse_block(&w->part, p, b);

		pthread_mutex_lock(&p->mu);
		b->next = p->pool;
		p->pool = b;
		if (rc) {
			w->rc = rc;
			p->failed = 1;
		}
		pthread_cond_broadcast(&p->spare);
		pthread_mutex_unlock(&p->mu);
	}
}

/* An empty block of at least min bytes from the pool (waits for one), NULL on failure. */
static struct block *take_block(struct pipe *p, size_t min)
{
	struct block *b;

	pthread_mutex_lock(&p->mu);
	while (!p->pool && !p->failed)
		pthread_cond_wait(&p->spare, &p->mu);
	b = p->failed ? NULL : p->pool;
	if (b)
		p->pool = b->next;
	pthread_mutex_unlock(&p->mu);
	if (b && b->cap < min) {
		char *nd = realloc(b->data, min);

		if (!nd) {
			free(b->data);
			free(b);
			return NULL;
		}
		b->data = nd;
		b->cap = min;
	}
	if (b) {
		b->len = 0;
		b->next = NULL;
	}
	return b;
}

static void queue_block(struct pipe *p, struct block *b)
{
	if (p->inline_parser) {
		struct parser *w = p->inline_parser;

		if (!w->rc)
			w->rc = parse_block(&w->part, p, b);
		if (w->rc)
			p->failed = 1;
		b->next = p->pool;
		p->pool = b;
		return;
	}
	pthread_mutex_lock(&p->mu);
	b->next = NULL;
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

static char *last_newline(char *d, size_t n)
{
	while (n > 0)
		if (d[--n] == '\n')
			return d + n;
	return NULL;
}

static unsigned long count_lines(const char *d, size_t n)
{
	unsigned long k = 0;
	const char *e = d + n;

	while (d < e && (d = memchr(d, '\n', (size_t)(e - d)))) {
		k++;
		d++;
	}
	return k;
}

static unsigned thread_count(const struct ph_shadow *s)
{
	long n = s->threads ? (long)s->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static gzFile open_log(const char *path)
{
	gzFile g;

	errno = 0;
	if (strcmp(path, "-"))
		return gzopen(path, "rb");
	{
		int fd = dup(STDIN_FILENO);

		g = fd >= 0 ? gzdopen(fd, "rb") : NULL;
		if (!g && fd >= 0)
			close(fd);
	}
	return g;
}

/*
 * The reader: cuts the stream into blocks of whole lines and queues them. Lines longer
 * than the limit are dropped here and recorded in rp. Returns 0, or an error with err.
 */
static int read_blocks(gzFile g, struct pipe *p, struct ph_shadow *rp, const char *path, size_t max,
		       struct ph_err *err)
{
	const char *source = p->source;
	unsigned long lineno = 0;
	struct block *cur = take_block(p, BLOCK_SIZE);
	int skipping = 0, first = 1;

	if (!cur)
		return ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", source);
	for (;;) {
		int got, zerr;
		char *nl;

		if (cur->len == cur->cap) {
			if (cur->cap > max) {
				/* longer than allowed: drop its bytes, count it at its newline */
				skipping = 1;
				cur->len = 0;
			} else {
				size_t ncap = cur->cap * 2 > max + 1 ? max + 1 : cur->cap * 2;
				char *nd = realloc(cur->data, ncap);

				if (!nd)
					goto nomem;
				cur->data = nd;
				cur->cap = ncap;
			}
		}
		got = gzread(g, cur->data + cur->len,
			     (unsigned)(cur->cap - cur->len > (1u << 30) ? (1u << 30)
									 : cur->cap - cur->len));
		if (got < 0 || (got == 0 && !gzeof(g))) {
			const char *msg = gzerror(g, &zerr);

			ph_error(err, zerr == Z_ERRNO ? PH_E_IO : PH_E_PARSE,
				 "cannot read '%s': %s", source,
				 zerr == Z_ERRNO ? strerror(errno) : msg);
			goto fail;
		}
		if (first && got > 0) {
			first = 0;
			if (ends_with(path, ".gz") && gzdirect(g)) {
				ph_error(err, PH_E_PARSE, "cannot read '%s': not gzip data",
					 source);
				goto fail;
			}
		}
		if (got == 0)
			break;
		if (skipping) {
			size_t old = cur->len;

			nl = memchr(cur->data + old, '\n', (size_t)got);
			cur->len += (size_t)got;
			if (!nl)
				continue;
			skipping = 0;
			lineno++;
			rp->lines++;
			if (add_malformed(rp, source, (struct ph_shadow_pos){p->file, lineno},
					  "line too long"))
				goto nomem;
			cur->len -= (size_t)(nl + 1 - cur->data);
			memmove(cur->data, nl + 1, cur->len);
		} else {
			cur->len += (size_t)got;
		}
		/* queue everything up to the last newline; keep the tail */
		nl = last_newline(cur->data, cur->len);
		if (nl) {
			size_t keep = cur->len - (size_t)(nl + 1 - cur->data);
			struct block *next = take_block(p, keep + BLOCK_SIZE);

			if (!next)
				goto nomem;
			memcpy(next->data, nl + 1, keep);
			next->len = keep;
			cur->len -= keep;
			cur->first_line = lineno + 1;
			lineno += count_lines(cur->data, cur->len);
			queue_block(p, cur);
			cur = next;
		}
	}
	{
		int zerr;
		const char *msg = gzerror(g, &zerr);

		if (zerr != Z_OK && zerr != Z_STREAM_END) {
			ph_error(err, PH_E_PARSE, "cannot read '%s': %s", source, msg);
			goto fail;
		}
	}
	if (skipping) {
		lineno++;
		rp->lines++;
		if (add_malformed(rp, source, (struct ph_shadow_pos){p->file, lineno},
				  "line too long"))
			goto nomem;
		cur->len = 0;
	}
	if (cur->len) {
		cur->first_line = lineno + 1;
		queue_block(p, cur);
	} else {
		free(cur->data);
		free(cur);
	}
	return 0;
nomem:
	ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", source);
fail:
	free(cur->data);
	free(cur);
	return err ? err->code : PH_E_IO;
}

int ph_shadow_read_file(struct ph_shadow *s, const char *path, struct ph_err *err)
{
	size_t max = s->max_line ? s->max_line : PH_SHADOW_MAX_LINE;
	unsigned n = thread_count(s), i, started = 0;
	struct parser w[MAX_THREADS];
	struct ph_shadow rp;
	struct pipe p;
	int rc = 0;
	gzFile g;

	memset(&p, 0, sizeof(p));
	p.max = max;
	p.source = strcmp(path, "-") ? path : "<stdin>";
	p.file = s->files;
	g = open_log(path);
	if (!g)
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", p.source,
				errno ? strerror(errno) : "out of memory");
	gzbuffer(g, 1 << 17);
	json_object_seed(0); /* before threads create objects */
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.spare, NULL);
	for (i = 0; i < 2 * n + 2; i++) {
		struct block *b = calloc(1, sizeof(*b));

		if (!b || !(b->data = malloc(BLOCK_SIZE))) {
			free(b);
			break;
		}
		b->cap = BLOCK_SIZE;
		b->next = p.pool;
		p.pool = b;
	}
	ph_shadow_init(&rp, s->map, &s->timing);
	for (i = 0; i < n; i++) {
		w[i].p = &p;
		w[i].rc = 0;
		ph_shadow_init(&w[i].part, s->map, &s->timing);
	}
	for (i = 0; i < n && n > 1; i++) {
		if (pthread_create(&w[i].tid, NULL, parser_main, &w[i]))
			break;
		started++;
	}
	if (!p.pool) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", p.source);
	} else if (n > 1 && !started) {
		rc = ph_error(err, PH_E_NOMEM, "cannot start a parsing thread");
	} else {
		/* without threads the reader parses each block itself as it is queued */
		if (!started)
			p.inline_parser = &w[0];
		rc = read_blocks(g, &p, &rp, path, max, err);
	}
	pthread_mutex_lock(&p.mu);
	p.done = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	for (i = 0; i < n && !rc; i++)
		if (w[i].rc)
			rc = ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", p.source);
	if (!rc)
		rc = ph_shadow_merge(s, &rp);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = ph_shadow_merge(s, &w[i].part);
		ph_shadow_release(&w[i].part);
	}
	ph_shadow_release(&rp);
	while (p.head) {
		struct block *b = p.head;

		p.head = b->next;
		free(b->data);
		free(b);
	}
	while (p.pool) {
		struct block *b = p.pool;

		p.pool = b->next;
		free(b->data);
		free(b);
	}
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.spare);
	pthread_mutex_destroy(&p.mu);
	if (gzclose(g) != Z_OK && !rc)
		rc = ph_error(err, PH_E_PARSE, "cannot read '%s': corrupt compressed data",
			      p.source);
	if (!rc)
		s->files++;
	if (rc == PH_E_NOMEM && !(err && err->msg[0]))
		rc = ph_error(err, PH_E_NOMEM, "out of memory reading '%s'", p.source);
	return rc;
}

int ph_shadow_timing_from_config(const char *path, struct ph_timing *t, struct ph_err *err)
{
	json_t *doc;
	int rc;

	rc = ph_json_load_file(path, &doc, err);
	if (rc)
		return rc;
	/* one latency per side in a log: nothing to re-measure, "samples" is not ours */
	rc = ph_timing_parse(doc, path, t, NULL, err);
	json_decref(doc);
	return rc;
}

/* ---- reports -------------------------------------------------------------------- */

struct ph_shadow_counts ph_shadow_totals(const struct ph_shadow *s)
{
	struct ph_shadow_counts t = {0, 0, 0, 0, 0};
	size_t i;

	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		t.entries += s->domains[i].entries;
		t.structural += s->domains[i].structural;
		t.semantic += s->domains[i].semantic;
		t.timing += s->domains[i].timing;
		t.error += s->domains[i].error;
	}
	return t;
}

static int fp_cmp(const void *pa, const void *pb)
{
	const struct ph_shadow_fp *a = *(const struct ph_shadow_fp *const *)pa;
	const struct ph_shadow_fp *b = *(const struct ph_shadow_fp *const *)pb;
	int c;

	if (a->cls != b->cls)
		return a->cls == PH_ERROR ? 1 : b->cls == PH_ERROR ? -1 : (int)b->cls - (int)a->cls;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if ((c = strcmp(a->domain, b->domain)))
		return c;
	if ((c = strcmp(a->endpoint, b->endpoint)))
		return c;
	return strcmp(a->path, b->path);
}

const struct ph_shadow_fp **ph_shadow_sorted(const struct ph_shadow *s, size_t *n)
{
	const struct ph_shadow_fp **v = malloc((s->n_fps + 1) * sizeof(*v));
	size_t i, k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < s->n_fp_slots; i++)
		if (s->fps[i])
			v[k++] = s->fps[i];
	qsort(v, k, sizeof(*v), fp_cmp);
	*n = k;
	return v;
}

static json_t *time_json(long long ms, int valid)
{
	char b[48];

	return valid ? json_string(ph_shadow_format_ms(ms, b, sizeof(b))) : json_null();
}

json_t *ph_shadow_to_json(const struct ph_shadow *s)
{
	json_t *doc, *lines, *msgs, *domains, *fps, *totals;
	const struct ph_shadow_fp **v;
	struct ph_shadow_counts t = ph_shadow_totals(s);
	int have = s->first_ms <= s->last_ms;
	size_t i, n;

	lines = json_array();
	msgs = json_array();
	domains = json_object();
	fps = json_array();
	for (i = 0; i < s->n_malformed_at; i++)
		json_array_append_new(lines, json_integer((json_int_t)s->malformed_at[i].line));
	for (i = 0; i < s->n_messages; i++)
		json_array_append_new(msgs, json_string(s->messages[i].text));
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		const struct ph_shadow_counts *c = &s->domains[i];

		if (i == PH_SHADOW_SLOTS - 1 && !c->entries)
			continue;
		json_object_set_new(
		    domains, ph_shadow_slot_name(i),
		    json_pack("{s:I, s:I, s:I, s:I, s:I}", "entries", (json_int_t)c->entries,
			      "structural", (json_int_t)c->structural, "semantic",
			      (json_int_t)c->semantic, "timing", (json_int_t)c->timing, "error",
			      (json_int_t)c->error));
	}
	v = ph_shadow_sorted(s, &n);
	for (i = 0; v && i < n; i++)
		json_array_append_new(
		    fps,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:O}", "domain", v[i]->domain,
			      "endpoint", v[i]->endpoint, "class", ph_class_name(v[i]->cls), "path",
			      v[i]->path, "count", (json_int_t)v[i]->count, "first_seen",
			      time_json(v[i]->first_ms, 1), "last_seen",
			      time_json(v[i]->last_ms, 1), "example", v[i]->example));
	free(v);
	totals = json_pack("{s:I, s:I, s:I, s:I}", "structural", (json_int_t)t.structural,
			   "semantic", (json_int_t)t.semantic, "timing", (json_int_t)t.timing,
			   "error", (json_int_t)t.error);
	doc = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:o, s:b, s:o}, s:f, s:o, s:o, s:o, "
	    "s:o, s:o}",
	    "files", (json_int_t)s->files, "lines", (json_int_t)s->lines, "entries",
	    (json_int_t)s->entries, "ts_entries", (json_int_t)s->ts_entries, "rust_entries",
	    (json_int_t)s->rust_entries, "malformed", "count", (json_int_t)s->malformed, "lines",
	    lines, "truncated", s->malformed > s->n_malformed_at, "messages", msgs, "span_days",
	    ph_shadow_span_days(s), "first_seen", time_json(s->first_ms, have), "last_seen",
	    time_json(s->last_ms, have), "totals", totals, "domains", domains, "fingerprints", fps);
	return doc;
}

static void header(const struct ph_shadow *s, FILE *f, const char *bullet)
{
	char a[48], b[48];

	fprintf(f, "%s%lu lines in %u file%s: %lu entries (%lu TS, %lu Rust), %lu malformed\n",
		bullet, s->lines, s->files, s->files == 1 ? "" : "s", s->entries, s->ts_entries,
		s->rust_entries, s->malformed);
	if (s->first_ms <= s->last_ms)
		fprintf(f, "%sspan: %s to %s (%.2f days)\n", bullet,
			ph_shadow_format_ms(s->first_ms, a, sizeof(a)),
			ph_shadow_format_ms(s->last_ms, b, sizeof(b)), ph_shadow_span_days(s));
	else
		fprintf(f, "%sspan: no entries\n", bullet);
}

void ph_shadow_write_text(const struct ph_shadow *s, FILE *f, size_t top)
{
	struct ph_shadow_counts t = ph_shadow_totals(s);
	const struct ph_shadow_fp **v;
	size_t i, n, d;

	if (!top)
		top = 5;
	fprintf(f, "shadow report\n");
	header(s, f, "  ");
	if (s->malformed) {
		fprintf(f, "  malformed lines (first %zu):\n", s->n_messages);
		for (i = 0; i < s->n_messages; i++)
			fprintf(f, "    %s\n", s->messages[i].text);
	}
	fprintf(f, "\n  %-10s %9s %11s %9s %9s %9s\n", "domain", "entries", "structural",
		"semantic", "timing", "error");
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		const struct ph_shadow_counts *c = &s->domains[i];

		if (i == PH_SHADOW_SLOTS - 1 && !c->entries)
			continue;
		fprintf(f, "  %-10s %9lu %11lu %9lu %9lu %9lu\n", ph_shadow_slot_name(i),
			c->entries, c->structural, c->semantic, c->timing, c->error);
	}
	fprintf(f, "  %-10s %9lu %11lu %9lu %9lu %9lu\n", "total", t.entries, t.structural,
		t.semantic, t.timing, t.error);
	v = ph_shadow_sorted(s, &n);
	for (d = 0; v && d < PH_SHADOW_SLOTS; d++) {
		size_t shown = 0;

		for (i = 0; i < n && shown < top; i++) {
			char a[48], b[48];

			if (strcmp(v[i]->domain, ph_shadow_slot_name(d)))
				continue;
			if (!shown++)
				fprintf(f, "\n  %s: top fingerprints\n", ph_shadow_slot_name(d));
			fprintf(f, "    %-10s %8lux  %s  %s  (%s .. %s)\n",
				ph_class_name(v[i]->cls), v[i]->count, v[i]->endpoint,
				*v[i]->path ? v[i]->path : "(body)",
				ph_shadow_format_ms(v[i]->first_ms, a, sizeof(a)),
				ph_shadow_format_ms(v[i]->last_ms, b, sizeof(b)));
		}
	}
	free(v);
	fprintf(f, "\nresult: %s\n",
		t.structural ? "structural divergences present" : "no structural divergence");
}

/* Markdown cells must not break the table. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

void ph_shadow_write_md(const struct ph_shadow *s, FILE *f, size_t top)
{
	struct ph_shadow_counts t = ph_shadow_totals(s);
	const struct ph_shadow_fp **v;
	size_t i, n, d;

	if (!top)
		top = 5;
	fprintf(f, "# Shadow report\n\n");
	header(s, f, "- ");
	if (s->malformed) {
		fprintf(f, "- malformed lines (first %zu):\n", s->n_messages);
		for (i = 0; i < s->n_messages; i++) {
			fprintf(f, "  - `");
			md_cell(f, s->messages[i].text);
			fprintf(f, "`\n");
		}
	}
	fprintf(f, "\n| domain | entries | structural | semantic | timing | error |\n"
		   "|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		const struct ph_shadow_counts *c = &s->domains[i];

		if (i == PH_SHADOW_SLOTS - 1 && !c->entries)
			continue;
		fprintf(f, "| %s | %lu | %lu | %lu | %lu | %lu |\n", ph_shadow_slot_name(i),
			c->entries, c->structural, c->semantic, c->timing, c->error);
	}
	fprintf(f, "| **total** | %lu | %lu | %lu | %lu | %lu |\n", t.entries, t.structural,
		t.semantic, t.timing, t.error);
	v = ph_shadow_sorted(s, &n);
	for (d = 0; v && d < PH_SHADOW_SLOTS; d++) {
		size_t shown = 0;

		for (i = 0; i < n && shown < top; i++) {
			char a[48], b[48];

			if (strcmp(v[i]->domain, ph_shadow_slot_name(d)))
				continue;
			if (!shown++)
				fprintf(f,
					"\n## %s: top fingerprints\n\n| class | count | endpoint | "
					"path | first seen | last seen |\n"
					"|---|---:|---|---|---|---|\n",
					ph_shadow_slot_name(d));
			fprintf(f, "| %s | %lu | `", ph_class_name(v[i]->cls), v[i]->count);
			md_cell(f, v[i]->endpoint);
			fprintf(f, "` | `");
			md_cell(f, *v[i]->path ? v[i]->path : "(body)");
			fprintf(f, "` | %s | %s |\n",
				ph_shadow_format_ms(v[i]->first_ms, a, sizeof(a)),
				ph_shadow_format_ms(v[i]->last_ms, b, sizeof(b)));
		}
	}
	free(v);
	fprintf(f, "\n**Result:** %s\n",
		t.structural ? "structural divergences present" : "no structural divergence");
}
