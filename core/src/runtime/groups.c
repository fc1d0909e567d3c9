/*
 * The process groups no runtime may outlive the harness with (internal.h): every
 * started group is noted in a fixed-size table of atomics, lock-free, so that
 * ph_runtime_kill_all can SIGKILL them all from a signal handler (interrupt.c).
 */
#include "runtime/internal.h"

#include <signal.h>
#include <stdatomic.h>

/* Process groups to kill on the way out; 0 is a free slot. Lock-free, so signal-safe. */
static atomic_int groups[PH_MAX_GROUPS];

int ph_group_register(pid_t pgid)
{
	size_t i;

	for (i = 0; i < PH_MAX_GROUPS; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&groups[i], &zero, (int)pgid))
			return 0;
	}
	return -1;
}

void ph_group_unregister(pid_t pgid)
{
	size_t i;

	for (i = 0; i < PH_MAX_GROUPS; i++) {
		int want = (int)pgid;

		atomic_compare_exchange_strong(&groups[i], &want, 0);
	}
}

void ph_runtime_kill_all(void)
{
	size_t i;

	for (i = 0; i < PH_MAX_GROUPS; i++) {
		int g = atomic_exchange(&groups[i], 0);

		if (g > 0)
			kill(-(pid_t)g, SIGKILL);
	}
}
