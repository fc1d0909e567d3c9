/*
 * The statistics behind a timing verdict: medians, and the Mann-Whitney U test (Wilcoxon
 * rank-sum) that says whether two sets of latency samples come from one distribution.
 * Latency samples are skewed and noisy, so the test is on ranks, not means: exact for
 * small samples without ties, the normal approximation with tie and continuity
 * corrections otherwise.
 */
#ifndef PARITY_STATS_H
#define PARITY_STATS_H

#include <stddef.h>

/* Median of n values (n >= 1); v is sorted in place. */
double ph_median(double *v, size_t n);

/*
 * Two-sided p-value of the Mann-Whitney U test for samples a[0..na) and b[0..nb) (both
 * at least 1; copied, not modified): the probability, were both drawn from the same
 * distribution, of ranks at least this far apart. Returns 1 when either is empty or
 * out of memory.
 */
double ph_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

#endif
