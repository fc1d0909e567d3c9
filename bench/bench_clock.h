/*
 * The monotonic clock every benchmark reads (the sources in bench/<name> include it as
 * "../bench_clock.h"): seconds, or milliseconds, since an arbitrary start. Header-only,
 * so a benchmark stays one source file with no library of its own.
 */
#ifndef PARITY_BENCH_CLOCK_H
#define PARITY_BENCH_CLOCK_H

#include <time.h>

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
