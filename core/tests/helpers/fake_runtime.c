/*
 * A stand-in for a Signet daemon in the runtime tests: a tiny libmicrohttpd server on
 * 127.0.0.1 whose health answer and lifecycle misbehave on request. Options:
 *   --port N            listen on 127.0.0.1:N (required unless --never-healthy)
 *   --health-status N   what GET /health answers (default 200)
 *   --die-after-ms N    exit with --exit-code (default 3) after N ms; 0: before listening
 *   --exit-code N       the status for --die-after-ms
 *   --ignore-sigterm    ignore SIGTERM (only SIGKILL stops it)
 *   --spawn-child       fork a grandchild that ignores SIGTERM and sleeps; prints its pid
 *   --never-healthy     never listen at all
 *   --print-env NAME    print "env NAME=<value>" at start (repeatable)
 * It prints "fake_runtime: pid <pid> cwd <cwd>" to stdout and one line to stderr at start.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned health_status = 200;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static const char ok[] = "{\"status\":\"ok\"}", nf[] = "{\"error\":\"not found\"}";
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned code = 404;
	const char *body = nf;

	(void)cls, (void)method, (void)version, (void)upload;
	if (!*state) { /* first call: headers only */
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/health")) {
		code = health_status;
		body = ok;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

int main(int argc, char **argv)
{
	long port = 0, die_after = -1;
	int exit_code = 3, ignore_term = 0, spawn = 0, never = 0, i;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in addr;
	char cwd[4096];

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--port") && v)
			port = atol(argv[++i]);
		else if (!strcmp(a, "--health-status") && v)
			health_status = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--die-after-ms") && v)
			die_after = atol(argv[++i]);
		else if (!strcmp(a, "--exit-code") && v)
			exit_code = atoi(argv[++i]);
		else if (!strcmp(a, "--ignore-sigterm"))
			ignore_term = 1;
		else if (!strcmp(a, "--spawn-child"))
			spawn = 1;
		else if (!strcmp(a, "--never-healthy"))
			never = 1;
		else if (!strcmp(a, "--print-env") && v) {
			const char *val = getenv(argv[++i]);

			printf("env %s=%s\n", argv[i], val ? val : "(unset)");
		} else {
			fprintf(stderr, "fake_runtime: bad argument '%s'\n", a);
			return 2;
		}
	}
	printf("fake_runtime: pid %ld cwd %s\n", (long)getpid(),
	       getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	fprintf(stderr, "fake_runtime: stderr is captured\n");
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	if (spawn) {
		pid_t g = fork();

		if (g == 0) {
			signal(SIGTERM, SIG_IGN);
			for (;;)
				pause();
		}
		printf("grandchild %ld\n", (long)g);
	}
	if (die_after == 0) {
		printf("fake_runtime: dying at once with status %d\n", exit_code);
		return exit_code;
	}
	if (never) {
		printf("fake_runtime: booting forever, never healthy\n");
	} else {
		memset(&addr, 0, sizeof(addr));
		addr.sin_family = AF_INET;
		addr.sin_port = htons((unsigned short)port);
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (unsigned short)port, NULL,
				     NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
		if (!d) {
			fprintf(stderr, "fake_runtime: cannot listen on 127.0.0.1:%ld\n", port);
			return 4;
		}
		printf("fake_runtime: listening on 127.0.0.1:%ld\n", port);
	}
	if (die_after > 0) {
		sleep_ms(die_after);
		printf("fake_runtime: dying after %ld ms with status %d\n", die_after, exit_code);
		if (d)
			MHD_stop_daemon(d);
		return exit_code;
	}
	for (;;)
		pause();
}
