/*
 * Unit tests of the timing statistics (core/src/compare/stats.c): medians, and Mann-Whitney
 * p-values checked against values computed by hand (the exact distribution of the rank
 * sum) and against the normal approximation for large or tied samples; samples from one
 * distribution must not be called different, samples apart must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "compare/stats.h"

#include "support.h"

static void test_median(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_float_equal(ph_median(odd, 3), 3, 1e-12);
	assert_float_equal(ph_median(even, 4), 2.5, 1e-12);
	assert_float_equal(ph_median(one, 1), 7, 1e-12);
}

static void test_exact_separated(void **state)
{
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	double a10[10], b10[10];

	(void)state;
	/* all of a below all of b: 2 of the C(10,5) = 252 orderings are as extreme */
	assert_float_equal(ph_mann_whitney_p(a, 5, b, 5), 2.0 / 252, 1e-12);
	assert_float_equal(ph_mann_whitney_p(b, 5, a, 5), 2.0 / 252, 1e-12);
	for (int i = 0; i < 10; i++) {
		a10[i] = 8 + i * 0.1;
		b10[i] = 18 + i * 0.1;
	}
	assert_float_equal(ph_mann_whitney_p(a10, 10, b10, 10), 2.0 / 184756, 1e-12);
}

static void test_exact_one_swap(void **state)
{
	/* U = 1: orderings with U <= 1 are 2 of 252 (U = 0 and U = 1), so p = 2 * 2/252 */
	double a[] = { 1, 2, 3, 4, 6 }, b[] = { 5, 7, 8, 9, 10 };

	(void)state;
	assert_float_equal(ph_mann_whitney_p(a, 5, b, 5), 4.0 / 252, 1e-12);
}

static void test_same_distribution(void **state)
{
	/* interleaved samples of two identical runtimes: far from significant */
	double a[] = { 8.1, 9.4, 8.8, 12.0, 8.3, 9.9, 8.6, 10.2 };
	double b[] = { 8.4, 9.1, 18.4, 8.2, 9.6, 8.9, 10.0, 8.5 };

	(void)state;
	assert_true(ph_mann_whitney_p(a, 8, b, 8) > 0.5);
}

static void test_normal_approximation(void **state)
{
	double a[40], b[40];

	(void)state;
	for (int i = 0; i < 40; i++) {
		a[i] = 10 + (i % 7);      /* ties: the normal approximation is used */
		b[i] = 30 + (i % 5);
	}
	assert_true(ph_mann_whitney_p(a, 40, b, 40) < 1e-10);
	for (int i = 0; i < 40; i++)
		b[i] = 10 + ((i + 3) % 7);
	assert_true(ph_mann_whitney_p(a, 40, b, 40) > 0.5);
}

static void test_degenerate(void **state)
{
	double a[] = { 3, 3, 3 }, b[] = { 3, 3, 3 };

	(void)state;
	assert_float_equal(ph_mann_whitney_p(a, 3, b, 3), 1, 1e-12);
	assert_float_equal(ph_mann_whitney_p(a, 0, b, 3), 1, 1e-12);
}

T_MAIN(NULL, NULL, cmocka_unit_test(test_median), cmocka_unit_test(test_exact_separated),
       cmocka_unit_test(test_exact_one_swap), cmocka_unit_test(test_same_distribution),
       cmocka_unit_test(test_normal_approximation), cmocka_unit_test(test_degenerate))
