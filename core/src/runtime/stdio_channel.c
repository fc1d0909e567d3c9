/*
 * The line channel of stdio_channel.h: a runtime spawned with pipes (spawn.c), the
 * write end of its stdin made non-blocking so a write waits in poll() under a deadline,
 * and a growing buffer of what its stdout has said that lines are cut from.
 */
#include "runtime/stdio_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"

#define READ_CHUNK 65536
#define EXIT_GRACE_MS 2000

struct ph_stdio {
	struct ph_runtime rt;
	int to_child, from_child;
	char *buf;        /* bytes read, not yet returned; buf[start..len) */
	size_t start, len, cap;
	size_t scanned;   /* buf[start..scanned) holds no newline */
	int eof;
};

/* err for a child that is gone: how it ended and the tail of its log. */
static int gone(struct ph_stdio *io, const char *what, struct ph_err *err)
{
	const struct ph_runtime_spec *spec = io->rt.spec;
	char how[96] = "closed its output";
	char *tail;

	/* it may still be on its way out */
	for (int i = 0; i < 20 && ph_runtime_alive(&io->rt); i++)
		ph_sleep_ms(10);
	if (io->rt.exited)
		ph_runtime_describe_exit(io->rt.exit_status, how, sizeof(how));
	tail = io->rt.log_path ? ph_log_tail(io->rt.log_path, 600) : NULL;
	ph_error(err, PH_E_RUNTIME, "%s runtime '%s' %s %s%s%s", spec->role, spec->name, how,
		 what, tail && *tail ? "; its log ends: " : "", tail ? tail : "");
	free(tail);
	return PH_E_RUNTIME;
}

int ph_stdio_open(struct ph_stdio **out, const struct ph_runtime_spec *spec,
		  const struct ph_placeholders *ph, const char *log_path, struct ph_err *err)
{
	struct ph_stdio *io = calloc(1, sizeof(*io));
	int rc;

	*out = NULL;
	if (!io)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	io->to_child = io->from_child = -1;
	rc = ph_runtime_spawn_piped(&io->rt, spec, ph, log_path, &io->to_child, &io->from_child,
				    err);
	if (rc) {
		free(io);
		return rc;
	}
	fcntl(io->to_child, F_SETFL, fcntl(io->to_child, F_GETFL) | O_NONBLOCK);
	*out = io;
	return 0;
}

int ph_stdio_send(struct ph_stdio *io, const char *line, size_t len, long timeout_ms,
		  struct ph_err *err)
{
	double deadline = ph_now_ms() + (double)timeout_ms;
	int part = 0;

	if (memchr(line, '\n', len))
		return ph_error(err, PH_E_INVALID, "a message sent over stdio holds a newline");
	while (part < 2) {
		const char *p = part ? "\n" : line;
		size_t n = part ? 1 : len;

		while (n) {
			ssize_t w = write(io->to_child, p, n);

			if (w > 0) {
				p += w;
				n -= (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				struct pollfd pfd = { io->to_child, POLLOUT, 0 };
				double left = deadline - ph_now_ms();

				if (left <= 0)
					return ph_error(err, PH_E_TIMEOUT,
							"%s runtime '%s' did not read its input "
							"within %ld ms",
							io->rt.spec->role, io->rt.spec->name,
							timeout_ms);
				poll(&pfd, 1, (int)left + 1);
				continue;
			}
			return gone(io, "before it read its input", err);
		}
		part++;
	}
	return 0;
}

/* A complete line in the buffer: returned and cut. */
static int cut_line(struct ph_stdio *io, const char **line, size_t *len)
{
	char *s, *nl;
	size_t n;

	if (!io->buf || io->len == io->start)
		return 0;
	if (io->scanned < io->start)
		io->scanned = io->start;
	s = io->buf + io->start;
	nl = memchr(io->buf + io->scanned, '\n', io->len - io->scanned);
	if (!nl) {
		io->scanned = io->len;
		return 0;
	}
	n = (size_t)(nl - s);
	*nl = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	io->start = (size_t)(nl - io->buf) + 1;
	*line = s;
	*len = n;
	return 1;
}

int ph_stdio_recv(struct ph_stdio *io, long timeout_ms, const char **line, size_t *len,
		  struct ph_err *err)
{
	double deadline = ph_now_ms() + (double)timeout_ms;

	*line = NULL;
	*len = 0;
	for (;;) {
		struct pollfd pfd = { io->from_child, POLLIN, 0 };
		double left;
		ssize_t r;

		if (cut_line(io, line, len))
			return 0;
		if (io->eof) {
			if (io->len > io->start) {
				/* the unterminated last line */
				*line = io->buf + io->start;
				*len = io->len - io->start;
				io->start = io->len;
				return 0;
			}
			return gone(io, "before it answered", err);
		}
		if (io->len - io->start > PH_STDIO_MAX_LINE)
			return ph_error(err, PH_E_INVALID,
					"%s runtime '%s' wrote a line longer than %u bytes",
					io->rt.spec->role, io->rt.spec->name, PH_STDIO_MAX_LINE);
		/* keep the unread part at the front, and room for a chunk and a NUL */
		if (io->start) {
			memmove(io->buf, io->buf + io->start, io->len - io->start);
			io->len -= io->start;
			io->scanned = io->scanned > io->start ? io->scanned - io->start : 0;
			io->start = 0;
		}
		if (io->cap - io->len < READ_CHUNK + 1) {
			size_t cap = io->cap ? io->cap * 2 : 2 * READ_CHUNK;
			char *b = realloc(io->buf, cap);

			if (!b)
				return ph_error(err, PH_E_NOMEM, "out of memory");
			io->buf = b;
			io->cap = cap;
		}
		left = deadline - ph_now_ms();
		if (left <= 0)
			return ph_error(err, PH_E_TIMEOUT,
					"%s runtime '%s' did not answer within %ld ms",
					io->rt.spec->role, io->rt.spec->name, timeout_ms);
		if (poll(&pfd, 1, (int)left + 1) <= 0)
			continue;
		r = read(io->from_child, io->buf + io->len, READ_CHUNK);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			io->eof = 1;
			continue;
		}
		io->len += (size_t)r;
		io->buf[io->len] = '\0';
	}
}

int ph_stdio_alive(struct ph_stdio *io)
{
	return io && ph_runtime_alive(&io->rt);
}

const char *ph_stdio_log_path(const struct ph_stdio *io)
{
	return io ? io->rt.log_path : NULL;
}

void ph_stdio_close(struct ph_stdio *io)
{
	if (!io)
		return;
	if (io->to_child >= 0)
		close(io->to_child);
	for (long waited = 0; waited < EXIT_GRACE_MS && ph_runtime_alive(&io->rt); waited += 10)
		ph_sleep_ms(10);
	ph_runtime_stop(&io->rt, 0, NULL);
	ph_runtime_release(&io->rt);
	if (io->from_child >= 0)
		close(io->from_child);
	free(io->buf);
	free(io);
}
