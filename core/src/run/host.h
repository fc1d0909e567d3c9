/*
 * The host-services table handed to plugins (parity/plugin.h), and the run context
 * behind it. host.c implements each service on top of the core's subsystems.
 */
#ifndef PARITY_HOST_H
#define PARITY_HOST_H

#include "parity/plugin.h"

/* The core's host table; static, valid for the process's life. */
const struct ph_host *ph_host_table(void);

/*
 * Close what run's plugin left open (stdio channels) and drop its start options
 * (runtime_options); call when its run returns.
 */
void ph_host_run_finish(struct ph_run *run);

#endif
