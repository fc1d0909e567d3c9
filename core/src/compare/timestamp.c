/*
 * Timestamp parsing (timestamp.h): a strict reader of the ISO-8601 forms both Signet
 * daemons write, with no locale and no libc time zone state, so it is the same on every
 * machine and safe in threads.
 */
#include "compare/timestamp.h"

/* Fraction digits the engine's timestamps may have: nanoseconds. */
#define MAX_FRACTION 9

static int num(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* The parser of both entry points; max_frac bounds the fraction's digits. */
static int parse(const char *s, size_t len, size_t max_frac, long long *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	size_t p;

	if (len < 10 || s[4] != '-' || s[7] != '-' || num(s, 4, &y) || num(s + 5, 2, &mo) ||
	    num(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	p = 10;
	if (len > 10) {
		if (len < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
		    s[16] != ':' || num(s + 11, 2, &h) || num(s + 14, 2, &mi) ||
		    num(s + 17, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		p = 19;
		if (p < len && (s[p] == '.' || s[p] == ',')) {
			size_t start = ++p;
			int scale = 100;

			while (p < len && s[p] >= '0' && s[p] <= '9') {
				if (scale) {
					frac += (s[p] - '0') * scale;
					scale /= 10;
				}
				p++;
			}
			if (p == start || p - start > max_frac)
				return -1;
		}
		if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
			p++;
		} else if (p < len && (s[p] == '+' || s[p] == '-')) {
			int oh, om = 0, sign = s[p] == '-' ? -1 : 1;

			if (len - p == 6 && s[p + 3] == ':') {
				if (num(s + p + 1, 2, &oh) || num(s + p + 4, 2, &om))
					return -1;
			} else if (len - p == 5) {
				if (num(s + p + 1, 2, &oh) || num(s + p + 3, 2, &om))
					return -1;
			} else if (len - p == 3) {
				if (num(s + p + 1, 2, &oh))
					return -1;
			} else {
				return -1;
			}
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
			p = len;
		}
	}
	if (p != len)
		return -1;
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL + mi * 60LL +
		sec - off * 60LL) *
	       1000LL) +
	      frac;
	return 0;
}

int ph_timestamp_parse(const char *s, size_t len, long long *ms)
{
	return parse(s, len, MAX_FRACTION, ms);
}

int ph_timestamp_parse_log(const char *s, size_t len, long long *ms)
{
	/* "yyyy-mm-ddThh:mm:ss" at least: a date alone does not date a line */
	return len < 19 ? -1 : parse(s, len, (size_t)-1, ms);
}

static long long floordiv(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int ph_timestamp_instant(const char *s, size_t len, enum ph_ts_precision p, long long *out)
{
	long long ms;

	/* a cheap test before the parser: "dddd-dd-dd..." */
	if (len < 10 || s[4] != '-' || s[0] < '0' || s[0] > '9' || s[7] != '-' ||
	    ph_timestamp_parse(s, len, &ms))
		return -1;
	switch (p) {
	case PH_TS_MILLISECOND:
		*out = ms;
		return 0;
	case PH_TS_MINUTE:
		*out = floordiv(ms, 60000);
		return 0;
	case PH_TS_SECOND:
		break;
	}
	*out = floordiv(ms, 1000);
	return 0;
}
