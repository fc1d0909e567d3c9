/*
 * Signal handling for runs: no runtime may outlive the harness, whether it is
 * interrupted, terminated or crashes. The handlers only call async-signal-safe functions
 * (ph_runtime_kill_all, write, _exit, raise).
 */
#include "runtime/interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "runtime/runtime.h"

static volatile sig_atomic_t caught;

static void on_stop(int sig)
{
	ph_runtime_kill_all();
	if (caught)
		_exit(128 + sig);
	caught = sig;
}

static void on_crash(int sig)
{
	static const char msg[] = "parity: crashed; runtimes killed\n";

	ph_runtime_kill_all();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void ph_interrupt_install(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	static const int crashes[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigaction(stops[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++)
		sigaction(crashes[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ph_interrupted(void)
{
	return caught;
}
