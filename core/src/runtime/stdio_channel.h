/*
 * A line channel to a child process over its stdin and stdout: what a stdio companion
 * of a runtime speaks (one JSON-RPC message per line). The child is a runtime process like any other
 * (its own process group, registered for the kill-all on the way out, stderr in a log
 * file); the channel adds bounded waits for writing and reading, so a child that stops
 * reading or answering costs a timeout, never a hang.
 */
#ifndef PARITY_STDIO_CHANNEL_H
#define PARITY_STDIO_CHANNEL_H

#include <stddef.h>

#include "parity/err.h"
#include "runtime/runtime.h"

/* A line longer than this is refused (the child is misbehaving). */
#define PH_STDIO_MAX_LINE (64u * 1024 * 1024)

struct ph_stdio;

/*
 * Start spec's command with placeholders ph, stderr appended to log_path. Call from the
 * main thread (see ph_runtime_spawn). *out is released with ph_stdio_close. Returns 0, or
 * < 0 with err naming the runtime and the problem (an exec failure shows on the first
 * read or write as the child's exit).
 */
int ph_stdio_open(struct ph_stdio **out, const struct ph_runtime_spec *spec,
		  const struct ph_placeholders *ph, const char *log_path, struct ph_err *err);

/*
 * Write line (len bytes, no newline in it) and a newline, waiting at most timeout_ms for
 * the child to take it. PH_E_INVALID for a line with a newline; PH_E_TIMEOUT; PH_E_RUNTIME
 * when the child is gone (err says how it ended and quotes its log).
 */
int ph_stdio_send(struct ph_stdio *io, const char *line, size_t len, long timeout_ms,
		  struct ph_err *err);

/*
 * The next line the child wrote, without its newline (and a '\r' before it), waiting at
 * most timeout_ms. *line is NUL-terminated and borrowed until the next call on io.
 * PH_E_TIMEOUT when nothing complete came in time; PH_E_RUNTIME when the child closed
 * its stdout (an unterminated last line is returned first); PH_E_INVALID for a line
 * longer than PH_STDIO_MAX_LINE.
 */
int ph_stdio_recv(struct ph_stdio *io, long timeout_ms, const char **line, size_t *len,
		  struct ph_err *err);

/* Is the child still running? */
int ph_stdio_alive(struct ph_stdio *io);

/* The child's log file (its stderr); borrowed. */
const char *ph_stdio_log_path(const struct ph_stdio *io);

/*
 * Close its stdin (a stdio server ends on end of input), give it a moment to exit, then
 * stop it as a runtime (SIGTERM, SIGKILL after the stop timeout); free everything. NULL
 * is fine.
 */
void ph_stdio_close(struct ph_stdio *io);

#endif
