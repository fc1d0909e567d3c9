/*
 * Medians and the Mann-Whitney U test (stats.h). The exact null distribution of the rank
 * sum is counted over subsets of ranks (a small dynamic programme), used when both samples
 * have at most EXACT_MAX values and no two values tie; otherwise the normal approximation
 * with the tie correction of the variance and a continuity correction.
 */
#include "compare/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_MAX 30

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

double ph_median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct ranked {
	double v;
	int from_a;
};

static int cmp_ranked(const void *x, const void *y)
{
	return cmp_double(&((const struct ranked *)x)->v, &((const struct ranked *)y)->v);
}

/* P(U <= u) under the null for sizes na, nb without ties, by counting rank subsets. */
static double exact_cdf(size_t na, size_t nb, double u)
{
	size_t n = na + nb, max_sum = na * n, k, s, r;
	double *dp = calloc((na + 1) * (max_sum + 1), sizeof(double)), total = 0, below = 0;
	double min_sum = (double)na * (double)(na + 1) / 2;

	if (!dp)
		return 1;
	/* dp[k][s]: subsets of k ranks among those seen so far whose ranks add up to s */
	dp[0] = 1;
	for (r = 1; r <= n; r++)
		for (k = (r < na ? r : na); k >= 1; k--)
			for (s = max_sum; s >= r; s--)
				dp[k * (max_sum + 1) + s] += dp[(k - 1) * (max_sum + 1) + s - r];
	for (s = 0; s <= max_sum; s++) {
		double c = dp[na * (max_sum + 1) + s];

		total += c;
		if ((double)s - min_sum <= u + 1e-9)
			below += c;
	}
	free(dp);
	return total > 0 ? below / total : 1;
}

double ph_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb, i, j;
	struct ranked *all;
	double rank_a = 0, u, mu, tie_sum = 0, var, z, p;
	int ties = 0;

	if (!na || !nb)
		return 1;
	if (!(all = malloc(n * sizeof(*all))))
		return 1;
	for (i = 0; i < na; i++)
		all[i] = (struct ranked){ a[i], 1 };
	for (i = 0; i < nb; i++)
		all[na + i] = (struct ranked){ b[i], 0 };
	qsort(all, n, sizeof(*all), cmp_ranked);
	/* mid-ranks for runs of equal values */
	for (i = 0; i < n; i = j) {
		double mid, t;

		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		t = (double)(j - i);
		mid = ((double)(i + 1) + (double)j) / 2;
		if (t > 1) {
			ties = 1;
			tie_sum += t * t * t - t;
		}
		for (size_t k = i; k < j; k++)
			if (all[k].from_a)
				rank_a += mid;
	}
	free(all);
	u = rank_a - (double)na * (double)(na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	if (!ties && na <= EXACT_MAX && nb <= EXACT_MAX) {
		double lo = exact_cdf(na, nb, u), hi = 1 - exact_cdf(na, nb, u - 1);

		p = 2 * (lo < hi ? lo : hi);
		return p > 1 ? 1 : p;
	}
	var = (double)na * (double)nb / 12 *
	      ((double)(n + 1) - tie_sum / ((double)n * (double)(n - 1)));
	if (var <= 0)
		return 1;
	z = (fabs(u - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	p = erfc(z / sqrt(2.0));
	return p > 1 ? 1 : p;
}
