/*
 * What the MCP plugin's two passes share: mcp.c runs the suite over Streamable HTTP and
 * then hands the same cases to transport_stdio.c, which runs them again over each
 * runtime's MCP stdio server when the config names one ("mcp_stdio").
 */
#ifndef PH_PLUGIN_MCP_RUN_H
#define PH_PLUGIN_MCP_RUN_H

#include <jansson.h>

#include "parity/plugin.h"

/*
 * The stdio pass: when both runtimes' configs name an mcp_stdio command, start each (one
 * session per side for the whole pass) and run every case whose transports include
 * "stdio" through it, recording one row per case under the case's feature, its case name
 * suffixed " (stdio)". Neither names one: nothing is recorded (logged). Only one does, or
 * one cannot start: one error row for feature "MCP stdio". A malformed case is returned
 * as an error (the suite is wrong); a process that dies or stops answering ends the pass
 * with an error row for the case at hand.
 */
int ph_mcp_stdio_run(const struct ph_host *host, struct ph_run *run, const json_t *cases,
		     struct ph_err *err);

#endif
