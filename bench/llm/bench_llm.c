/*
 * Benchmark of the canned-LLM server: can it ever cause a timing divergence? The parent
 * process loads canned-llm/default, starts one server on loopback with its request log
 * on (as during a run) and tells a forked second process the port; that process drives
 * it with a libcurl multi client, CONNECTIONS requests in flight on keep-alive
 * connections, REQUESTS in all (a mix of matched /api/generate, /api/chat and
 * /api/embeddings of 768 floats, as the pipeline sends them), timing each request from
 * send to last byte. Prints requests per second and the p50, p99 and max latency, and
 * p99 against the timing class floor (5 ms, DESIGN.md "Comparison"): exit 1 when p99 is
 * not at least 2.5 times below the floor (2 ms), or when any request failed. Eight
 * connections on loopback is already more than a run produces: each runtime has its own
 * server and its pipeline worker sends one request at a time.
 * Usage: bench_llm [CONNECTIONS [REQUESTS]]; BENCH_LLM_ONLY=K sends only request kind K
 * (0 generate, 1 decision, 2 chat, 3 embeddings), to see what costs what.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm_server.h"

#include "../bench_clock.h"

#define FLOOR_MS 5.0
#define MARGIN 2.5 /* "far below": p99 at most floor / MARGIN (2 ms) */

static const char *const bodies[] = {
    "{\"model\":\"qwen3:4b\",\"prompt\":\"Extract key facts and entity relationships from "
    "this conversation: the user moved to Lisbon and adopted a cat named Miso.\","
    "\"stream\":false,\"options\":{\"num_predict\":4096}}",
    "{\"model\":\"qwen3:4b\",\"prompt\":\"You are a memory management system. Decide what "
    "to do with this fact.\",\"stream\":false,\"options\":{\"num_predict\":4096}}",
    "{\"model\":\"qwen3:4b\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":"
    "\"You are a memory management system. Decide.\"}]}",
    "{\"model\":\"nomic-embed-text\",\"prompt\":\"the user moved to Lisbon\"}",
};
static const char *const paths[] = {"/api/generate", "/api/generate", "/api/chat",
				    "/api/embeddings"};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct slot {
	CURL *easy;
	double t0;
	char url[128];
};

static void arm(struct slot *s, int port, long i, struct curl_slist *hdr)
{
	static int only = -2;
	int k;

	if (only == -2)
		only = getenv("BENCH_LLM_ONLY") ? atoi(getenv("BENCH_LLM_ONLY")) % 4 : -1;
	k = only >= 0 ? only : (int)(i % 4);

	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d%s", port, paths[k]);
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, bodies[k]);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 10L);
	s->t0 = bench_now_ms();
}

/* The second process: the load generator. Prints its results to stdout. */
static int client(int port, int conns, long total)
{
	CURLM *multi = curl_multi_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	struct slot *slots = calloc((size_t)conns, sizeof(*slots));
	double *lat = malloc((size_t)total * sizeof(*lat)), t_start, elapsed;
	long sent = 0, done = 0, failed = 0;
	int running = 0, i;

	if (!multi || !slots || !lat)
		return 2;
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conns);
	t_start = bench_now_ms();
	for (i = 0; i < conns && sent < total; i++) {
		slots[i].easy = curl_easy_init();
		arm(&slots[i], port, sent++, hdr);
		curl_multi_add_handle(multi, slots[i].easy);
	}
	while (done < total) {
		CURLMsg *msg;
		int left;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct slot *s;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code != 200)
				failed++;
			lat[done++] = bench_now_ms() - s->t0;
			curl_multi_remove_handle(multi, s->easy);
			if (sent < total) {
				arm(s, port, sent++, hdr);
				curl_multi_add_handle(multi, s->easy);
			}
		}
		if (done < total)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	elapsed = bench_now_ms() - t_start;
	qsort(lat, (size_t)total, sizeof(*lat), by_value);
	printf("%ld %ld %.1f %.3f %.3f %.3f\n", total, failed, (double)total * 1e3 / elapsed,
	       lat[total / 2], lat[(size_t)((double)total * 0.99)], lat[total - 1]);
	for (i = 0; i < conns; i++)
		if (slots[i].easy)
			curl_easy_cleanup(slots[i].easy);
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdr);
	free(slots);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	int conns = argc > 1 ? atoi(argv[1]) : 8;
	long total = argc > 2 ? atol(argv[2]) : 20000, n = 0, failed = 0;
	struct ph_llm_set *set = NULL;
	struct ph_llm_server *srv = NULL;
	struct ph_err err = {0};
	char logdir[] = "/tmp/bench-llm-XXXXXX", log[64], line[256];
	double rps = 0, p50 = 0, p99 = 0, max = 0;
	int to_child[2], from_child[2], status, port, ok;
	pid_t pid;
	FILE *in;

	if (conns < 1 || total < 100) {
		fprintf(stderr, "usage: bench_llm [CONNECTIONS >= 1 [REQUESTS >= 100]]\n");
		return 2;
	}
	if (pipe(to_child) || pipe(from_child) || !mkdtemp(logdir))
		return 2;
	/* fork before any thread exists; the child waits for the port */
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		dup2(from_child[1], 1);
		if (read(to_child[0], &port, sizeof(port)) != (ssize_t)sizeof(port) || port <= 0)
			_exit(2);
		curl_global_init(CURL_GLOBAL_ALL);
		status = client(port, conns, total);
		fflush(stdout);
		_exit(status);
	}
	close(to_child[0]);
	close(from_child[1]);
	snprintf(log, sizeof(log), "%s/requests.jsonl", logdir);
	if (ph_llm_set_load(PARITY_REPO "/canned-llm/default", &set, &err) ||
	    ph_llm_server_start(&srv, set, "bench", 0, log, &err)) {
		fprintf(stderr, "bench_llm: %s\n", err.msg);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ph_llm_set_free(set);
		return 2;
	}
	port = ph_llm_server_port(srv);
	if (write(to_child[1], &port, sizeof(port)) != (ssize_t)sizeof(port))
		return 2;
	close(to_child[1]);
	in = fdopen(from_child[0], "r");
	ok = in && fgets(line, sizeof(line), in) &&
	     sscanf(line, "%ld %ld %lf %lf %lf %lf", &n, &failed, &rps, &p50, &p99, &max) == 6;
	if (in)
		fclose(in);
	waitpid(pid, &status, 0);
	ph_llm_server_stop(srv);
	ph_llm_set_free(set);
	unlink(log);
	rmdir(logdir);
	if (!ok || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_llm: the load process failed\n");
		return 1;
	}
	printf("canned-LLM server, %d connections, %ld requests (generate, chat, 768-d "
	       "embeddings), log on\n",
	       conns, n);
	printf("  throughput  %10.0f requests/s\n", rps);
	printf("  latency     p50 %.3f ms   p99 %.3f ms   max %.3f ms\n", p50, p99, max);
	printf("  p99 vs timing floor %.0f ms: %.1fx below (need %.1fx)%s\n", FLOOR_MS,
	       p99 > 0 ? FLOOR_MS / p99 : 0.0, MARGIN,
	       failed ? "" : (p99 * MARGIN <= FLOOR_MS ? ": ok" : ": TOO SLOW"));
	if (failed) {
		printf("  %ld requests failed\n", failed);
		return 1;
	}
	return p99 * MARGIN <= FLOOR_MS ? 0 : 1;
}
