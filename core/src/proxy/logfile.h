/*
 * The proxy's log file: JSON lines appended one at a time under a mutex, flushed after
 * each line, and rotated when the file would pass a size cap (the current file renamed
 * to <path>.1, replacing an older one: one generation, docs/shadow-format.md).
 */
#ifndef PARITY_PROXY_LOGFILE_H
#define PARITY_PROXY_LOGFILE_H

#include <pthread.h>
#include <stdio.h>
#include <jansson.h>

#include "parity/err.h"

struct ph_logfile {
	char *path;
	FILE *f;
	long size;     /* bytes in the current file */
	long max_size; /* rotate before a line would pass it; 0: never */
	unsigned long lines, rotations, failures;
	pthread_mutex_t lock;
};

/* Open path for appending (created 0600 when absent). 0 or PH_E_IO with the message. */
int ph_logfile_open(struct ph_logfile *lf, const char *path, long max_size, struct ph_err *err);

/* Write line as one compact JSON line and flush it: 0, or -1 (counted in failures). */
int ph_logfile_write(struct ph_logfile *lf, const json_t *line);

/* Close the file and free what lf owns. */
void ph_logfile_close(struct ph_logfile *lf);

#endif
