/*
 * Benchmark input generator: writes N shadow-divergence log lines mixing both real
 * formats (CONTRACT.md section 10): TS daemon status lines and Rust proxy lines with 0-3
 * divergences, over endpoints of every domain, timestamps spread over 20 days. The output
 * is deterministic for a given N (fixed-seed generator), so runs compare like with like.
 *
 * usage: gen_shadow N FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (unsigned)(state % n);
}

static const char *const endpoints[][2] = {
    {"GET", "/api/memories"},
    {"POST", "/api/memory/recall"},
    {"GET", "/api/memory/mem-%04u"},
    {"POST", "/api/memory/remember"},
    {"DELETE", "/api/memory/%u"},
    {"GET", "/api/pipeline/status"},
    {"GET", "/api/auth/whoami"},
    {"GET", "/api/harnesses"},
    {"GET", "/api/git/status"},
    {"POST", "/mcp"},
    {"GET", "/api/secrets"},
    {"POST", "/api/repair/requeue-dead"},
    {"GET", "/health"},
    {"GET", "/api/unknown/thing"},
};

static const char *const divs[] = {
    "{\"severity\":\"critical\",\"field\":\"meta\",\"message\":\"field missing in shadow "
    "response\",\"primaryValue\":\"{\\\"hasSupplementary\\\":false,\\\"noHits\\\":false,"
    "\\\"totalReturned\\\":3}\",\"shadowValue\":null}",
    "{\"severity\":\"critical\",\"field\":\"results[%u].tags\",\"message\":\"value "
    "mismatch\",\"primaryValue\":\"\\\"a,b\\\"\",\"shadowValue\":\"\\\"[\\\\\\\"a\\\\\\\","
    "\\\\\\\"b\\\\\\\"]\\\"\"}",
    "{\"severity\":\"critical\",\"field\":\"memories[%u].pinned\",\"message\":\"value "
    "mismatch\",\"primaryValue\":\"0\",\"shadowValue\":\"false\"}",
    "{\"severity\":\"critical\",\"field\":\"results.length\",\"message\":\"array length "
    "mismatch: primary=%u, shadow=3\",\"primaryValue\":null,\"shadowValue\":null}",
    "{\"severity\":\"expected\",\"field\":\"status\",\"message\":\"extra field in shadow "
    "response\",\"primaryValue\":null,\"shadowValue\":\"\\\"ok\\\"\"}",
};

int main(int argc, char **argv)
{
	unsigned long n, i;
	FILE *f;
	time_t base = 1777636800; /* 2026-05-01T12:00:00Z */

	if (argc != 3) {
		fprintf(stderr, "usage: gen_shadow N FILE\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		unsigned e = rnd(sizeof(endpoints) / sizeof(endpoints[0]));
		char path[128], stamp[32];
		time_t t = base + (time_t)((double)i / (double)n * 20 * 86400);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(path, sizeof(path), endpoints[e][1], rnd(1000) + 1);
		if (rnd(2)) {
			unsigned st = rnd(20) ? 200 : 404;

			fprintf(f,
				"{\"ts\":\"%s.%03uZ\",\"path\":\"%s\",\"method\":\"%s\","
				"\"primaryStatus\":200,\"shadowStatus\":%u}\n",
				stamp, rnd(1000), path, endpoints[e][0], st);
		} else {
			unsigned k, nd = rnd(4), shadow = rnd(50) ? 200 : 0;

			fprintf(f,
				"{\"timestamp\":\"%s.%03u+00:00\",\"endpoint\":\"%s %s\","
				"\"primaryStatus\":200,\"shadowStatus\":%u,\"primaryLatencyMs\":%u,"
				"\"shadowLatencyMs\":%u,\"divergences\":[",
				stamp, rnd(1000), endpoints[e][0], path, shadow, rnd(60) + 1,
				rnd(60) + 1);
			for (k = 0; k < nd; k++) {
				if (k)
					fputc(',', f);
				fprintf(f, divs[rnd(sizeof(divs) / sizeof(divs[0]))], rnd(10));
			}
			fputs("]}\n", f);
		}
	}
	if (fclose(f)) {
		perror(argv[2]);
		return 2;
	}
	return 0;
}
