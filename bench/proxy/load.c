/*
 * The load loop of bench/proxy (run.py starts the processes): at a fixed rate, one GET
 * straight to the primary and the same GET through the proxy per tick, each on its own
 * keep-alive libcurl handle, so both paths see the same moment's machine. Prints p50,
 * p99 and p99.9 of both and the proxy's added latency, and the proxy's RSS (from
 * /proc/PID/status) at start, middle and end as one JSON object on stdout.
 *
 * usage: load --direct URL --proxy URL --rate N --requests N --pid PID
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d, (void)u;
	return s * n;
}

static long rss_kib(long pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

/* One GET; its latency in ms by our clock, or -1 on failure. */
static double get(CURL *c, const char *base, const char *path)
{
	char url[512];
	long status = 0;
	double t0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	t0 = now_ms();
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status == 200 ? now_ms() - t0 : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, long n, double q)
{
	long i = (long)(q * (double)n);

	return v[i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
	const char *direct = NULL, *proxy = NULL;
	static const char *const paths[] = { "/api/memories?limit=3", "/api/memory/mem-0001" };
	long rate = 1000, n = 20000, pid = 0, i, fails = 0, rss[3] = { -1, -1, -1 };
	double *ld, *lp, t0, late = 0;
	CURL *cd, *cp;
	int a;

	for (a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--direct"))
			direct = argv[a + 1];
		else if (!strcmp(argv[a], "--proxy"))
			proxy = argv[a + 1];
		else if (!strcmp(argv[a], "--rate"))
			rate = atol(argv[a + 1]);
		else if (!strcmp(argv[a], "--requests"))
			n = atol(argv[a + 1]);
		else if (!strcmp(argv[a], "--pid"))
			pid = atol(argv[a + 1]);
	}
	if (!direct || !proxy || rate <= 0 || n <= 0) {
		fprintf(stderr, "usage: load --direct URL --proxy URL --rate N --requests N --pid PID\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cd = curl_easy_init();
	cp = curl_easy_init();
	ld = calloc((size_t)n, sizeof(*ld));
	lp = calloc((size_t)n, sizeof(*lp));
	if (!cd || !cp || !ld || !lp)
		return 1;
	for (a = 0; a < 2; a++) {
		CURL *c = a ? cp : cd;

		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(c, CURLOPT_PROXY, "");
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	}
	for (i = 0; i < 200; i++) { /* warm up both paths and their connections */
		get(cd, direct, paths[i % 2]);
		get(cp, proxy, paths[i % 2]);
	}
	rss[0] = rss_kib(pid);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		double due = t0 + (double)i * 1000.0 / (double)rate, wait = due - now_ms();
		const char *path = paths[i % 2];

		if (wait > 0) {
			struct timespec ts = { (time_t)(wait / 1000), (long)(fmod(wait, 1000) * 1e6) };

			nanosleep(&ts, NULL);
		} else {
			late -= wait;
		}
		if (i % 2) { /* alternate which path goes first */
			lp[i] = get(cp, proxy, path);
			ld[i] = get(cd, direct, path);
		} else {
			ld[i] = get(cd, direct, path);
			lp[i] = get(cp, proxy, path);
		}
		if (ld[i] < 0 || lp[i] < 0)
			fails++;
		if (i == n / 2)
			rss[1] = rss_kib(pid);
	}
	rss[2] = rss_kib(pid);
	{
		double secs = (now_ms() - t0) / 1000.0;

		qsort(ld, (size_t)n, sizeof(*ld), cmp);
		qsort(lp, (size_t)n, sizeof(*lp), cmp);
		printf("{\"requests\": %ld, \"rate\": %ld, \"seconds\": %.1f, \"failures\": %ld, "
		       "\"direct_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f}, "
		       "\"proxy_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f}, "
		       "\"added_ms\": {\"p50\": %.3f, \"p99\": %.3f}, "
		       "\"rss_kib\": {\"start\": %ld, \"middle\": %ld, \"end\": %ld}, "
		       "\"behind_schedule_ms\": %.0f}\n",
		       n, rate, secs, fails, pct(ld, n, .5), pct(ld, n, .99), pct(ld, n, .999),
		       pct(lp, n, .5), pct(lp, n, .99), pct(lp, n, .999),
		       pct(lp, n, .5) - pct(ld, n, .5), pct(lp, n, .99) - pct(ld, n, .99), rss[0],
		       rss[1], rss[2], late);
	}
	curl_easy_cleanup(cd);
	curl_easy_cleanup(cp);
	free(ld);
	free(lp);
	curl_global_cleanup();
	return fails ? 1 : 0;
}
