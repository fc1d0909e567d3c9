/*
 * The MCP plugin's test runtimes, on the shared fake host (tests/support): two small
 * JSON-RPC servers answering over HTTP and over stdio, each able to misbehave one way
 * (a quirk), and the suite the run-hook tests drive, in the shared plugin fixture.
 */
#ifndef PARITY_TEST_FAKE_MCP_H
#define PARITY_TEST_FAKE_MCP_H

#include <jansson.h>

#include "parity/plugin.h"
#include "plugin_fixture.h"

/* How a fake runtime misbehaves. */
enum quirk {
	Q_NONE,
	Q_REVERSED_TOOLS,
	Q_MISSING_TOOL,
	Q_DOWN,
	Q_UNREACHABLE /* its tools cannot reach its daemon API (TS /mcp off port 3850) */
};

/* How a fake MCP stdio server misbehaves. */
enum stdio_quirk {
	S_NONE,
	S_CHATTY,       /* sends a notification of its own before every answer */
	S_NOTIFY_REPLY, /* answers notifications */
	S_NOT_CONFIGURED,
	S_DIES          /* takes the third message, then exits */
};

struct fake {
	struct plugin_fixture *fx; /* the shared fixture (tests/support): folder and fake host */
	enum quirk quirk[2];
	enum stdio_quirk squirk[2];
	int stored[2]; /* memories stored per side */
	json_t *rows;  /* the fake host's recorded rows (borrowed) */
	int accept_seen[2];
	int fresh;     /* runtimes_fresh calls */
	int open_io;   /* stdio channels open */
};

extern struct fake F;

/* The fixtures of this program: F made fresh, the fake host answering as the runtimes. */
extern const struct plugin_fixture_spec mcp_fixture;

/* Write the suite folder's one file, cases.json. Returns 0. */
int write_suite(const char *text);

/* Run the plugin's hook on the fake host; with the stdio services (ABI 1.1) added. */
int run_plugin(struct ph_err *err);
int run_plugin_stdio(struct ph_err *err);

/* The class, or another field, of the row of case_name; NULL when there is none. */
const char *row_cls(const char *case_name);
const char *row_field(const char *case_name, const char *key);

#endif
