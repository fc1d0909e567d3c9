/*
 * Reading shadow logs: a file, or stdin, plain or gzip (zlib reads both), streamed in
 * blocks of whole lines. One thread reads and cuts, up to eight parse the blocks into
 * partial aggregates that are merged in the end, so the result does not depend on the
 * number of threads and memory does not grow with the log. A line longer than the limit
 * is counted as malformed where it ends, its bytes dropped as they arrive.
 */
#include "shadow/shadow_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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
			rc = ph_shadow_add_malformed(part, pp->source, at, "line too long");
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
			if (ph_shadow_add_malformed(rp, source,
						    (struct ph_shadow_pos){p->file, lineno},
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
		if (ph_shadow_add_malformed(rp, source, (struct ph_shadow_pos){p->file, lineno},
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
