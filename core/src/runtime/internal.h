/*
 * What the files of core/src/runtime share and nothing else uses: the monotonic clock,
 * the table of process groups to kill on the way out (groups.c), copies of placeholder
 * values (placeholders.c), string vectors, the runtime's owned fields (spawn.c) and the
 * log tail quoted in messages (log_tail.c). Callers outside the folder use runtime.h.
 */
#ifndef PARITY_RUNTIME_INTERNAL_H
#define PARITY_RUNTIME_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "runtime/runtime.h"

/* Milliseconds on the monotonic clock. */
static inline double ph_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Sleep ms milliseconds, a signal notwithstanding. */
static inline void ph_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Note pgid for ph_runtime_kill_all; -1 when the table is full (groups.c). */
int ph_group_register(pid_t pgid);
void ph_group_unregister(pid_t pgid);

/* The most process groups noted at once. */
#define PH_MAX_GROUPS 64

/*
 * Copy src's strings into dst (src NULL: all empty); -1 when out of memory, then dst
 * holds what was copied. Free with ph_placeholders_free.
 */
int ph_placeholders_copy(struct ph_placeholders *dst, const struct ph_placeholders *src);
void ph_placeholders_free(struct ph_placeholders *p);

/* Free a NULL-terminated vector of strings and the strings; NULL is fine. */
void ph_strv_free(char **v);

/* Free what a spawn allocated in rt but the outcome fields read after a failed start. */
void ph_runtime_clear_owned(struct ph_runtime *rt);

/*
 * The last 2 KB of the log at path, cut to fit `room` bytes, starting at a line boundary
 * when it was cut, with control bytes other than newline and tab shown as '?' (a new
 * string, or NULL).
 */
char *ph_log_tail_for_message(const char *path, size_t room);

#endif
