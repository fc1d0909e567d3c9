/*
 * A runtime process: started from its config entry with placeholders expanded, in its
 * own process group, with stdout/stderr to a log file; readiness by polling the health
 * path; stop with SIGTERM to the group, then SIGKILL. No child outlives the harness: the
 * child asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG), and ph_runtime_kill_all
 * is safe to call from a signal handler.
 */
#ifndef PARITY_RUNTIME_H
#define PARITY_RUNTIME_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "parity/err.h"

/*
 * Values for the placeholders {workspace} {home} {port} {llm_url} {repo} {shared} {build}.
 * A NULL string (or a port <= 0) has no value: using that placeholder is an error.
 */
struct ph_placeholders {
	const char *workspace;
	const char *home;
	int port;
	const char *llm_url;
	const char *repo;
	const char *shared;
	const char *build;           /* the folder of the parity binary: {build} */
};

struct ph_runtime_companion;

/* One runtime's config entry (DESIGN.md "Runtimes"), parsed. */
struct ph_runtime_spec {
	char *role;                  /* "reference" or "candidate" */
	char *name;
	char **argv;                 /* NULL-terminated, unexpanded */
	size_t argc;
	char *cwd;                   /* unexpanded; NULL: the repo root */
	char **env;                  /* "KEY=VALUE" unexpanded, NULL-terminated */
	size_t n_env;
	char *health;                /* default "/health" */
	long start_timeout_ms;       /* default 15000 */
	long stop_timeout_ms;        /* default 5000 */
	char *version;               /* optional "version" key, for the matrix */
	/*
	 * Optional "port" (1..65535): the runtime always listens there instead of on a free
	 * port the session picks, for a daemon whose parts reach it at a fixed address (the
	 * TS daemon's HTTP tools call localhost:3850). 0 when absent.
	 */
	int port;
	/*
	 * The fixed port ph_config_same_runtime dropped (two instances of one build cannot
	 * share it), so that the session can say so; 0 when none was dropped.
	 */
	int port_dropped;
	/*
	 * Optional "ready": {"<dot.path>": value, ...}: after the health path answers 200,
	 * keep polling until its JSON body holds every value (e.g. a worker that a daemon
	 * starts after it answers health). NULL when absent.
	 */
	json_t *ready;
	/*
	 * Optional "health_status": [200, 401, ...]: the statuses of the health path that mean
	 * "up" (default 200 alone). A daemon whose auth guards even its health path answers
	 * 401 there once it is up; "ready" is only checked on a 200.
	 */
	long health_status[8];
	size_t n_health_status;
	/*
	 * Stdio companions: every key "<name>_stdio": {command, env?, cwd?} of the entry, a
	 * process spoken to over stdio beside the runtime (a daemon's stdio server), as a
	 * spec of its own (name "<runtime name>-<key, '_' as '-'>", env the runtime's with
	 * its own on top, cwd and timeouts the runtime's unless set), in the entry's key
	 * order. Found by key with ph_runtime_spec_companion.
	 */
	struct ph_runtime_companion *companions;
	size_t n_companions;
};

/* A stdio companion of a runtime: its config key and its spec. */
struct ph_runtime_companion {
	char *key;
	struct ph_runtime_spec spec;
};

/*
 * A started runtime. Zero it before the first spawn. `pid` stays set from spawn until
 * stop (or release) even when the process has exited on its own (`exited`), so that stop
 * still kills what is left of its process group and unregisters it.
 */
struct ph_runtime {
	const struct ph_runtime_spec *spec; /* borrowed */
	struct ph_placeholders ph;   /* strings owned by the runtime */
	char *log_path;
	pid_t pid;                   /* 0 when not started, or stopped */
	double started_at_ms;        /* monotonic */
	double startup_ms;           /* launch to healthy */
	char *base_url;
	int exited;
	int exit_status;             /* waitpid status when exited */
	int exited_early;            /* start failed because the process exited before healthy
				      * (e.g. it could not bind): the caller may retry on a new port;
				      * exit status 127 means it could not exec */
	int timed_out;               /* start failed because start_timeout_ms passed */
	pid_t pgid;                  /* its process group (== pid); kept after stop */
	char *health_url;            /* base_url + spec->health */
	char not_ready[200];         /* why the last 200 did not hold the spec's "ready" */
};

/* Parse one entry of the config's "runtimes" object; source/role name it in messages. */
int ph_runtime_spec_parse(struct ph_runtime_spec *spec, const char *role, const json_t *obj,
			  const char *source, struct ph_err *err);
void ph_runtime_spec_release(struct ph_runtime_spec *spec);

/*
 * Is key the config key of a stdio companion: "<name>_stdio", name made of letters,
 * digits and '_', 64 bytes at most in all?
 */
int ph_runtime_companion_key(const char *key);

/* The companion of spec under config key `key` (borrowed from spec), or NULL. */
const struct ph_runtime_spec *ph_runtime_spec_companion(const struct ph_runtime_spec *spec,
							const char *key);

/*
 * Expand placeholders in s: "{name}" where name is letters, digits and '_'; "{{" is a
 * literal "{"; any other "{" is kept as is (so JSON text passes through). Returns a new
 * string, or NULL with err filled naming an unknown placeholder or one without a value.
 */
char *ph_expand(const char *s, const struct ph_placeholders *ph, struct ph_err *err);

/* A free TCP port on 127.0.0.1 (bind port 0, read it, close), or < 0. */
int ph_free_port(void);

/*
 * Can a server listen on port now? Binds 127.0.0.1:port (and [::1]:port where the host
 * has IPv6) with SO_REUSEADDR, as servers do, then closes. Returns 0, or PH_E_IO with err
 * saying the port is taken (or why it cannot be bound).
 */
int ph_port_available(int port, struct ph_err *err);

/*
 * Start the runtime (fork/exec in its own process group, log to log_path), then wait for
 * the health path to answer 200. On failure the runtime is stopped and err names it and
 * quotes the tail of its log. spec is borrowed until release; ph and log_path are copied.
 * Same as ph_runtime_spawn followed by ph_runtime_wait_healthy.
 */
int ph_runtime_start(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		     const struct ph_placeholders *ph, const char *log_path, struct ph_err *err);

/*
 * The first half of start: expand the spec, fork and exec, register the process group
 * for ph_runtime_kill_all. Call it from the thread that lives as long as the runtime
 * should: PR_SET_PDEATHSIG fires when the forking *thread* exits. Returns 0 once the
 * child is forked (an exec failure shows later as exit status 127), or < 0 with err
 * filled (bad placeholder, log file not writable, fork failed).
 */
int ph_runtime_spawn(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		     const struct ph_placeholders *ph, const char *log_path, struct ph_err *err);

/*
 * Like ph_runtime_spawn, but the child's stdin and stdout are pipes (stderr goes to the
 * log): *to_child is the write end of its stdin, *from_child the read end of its stdout,
 * both close-on-exec, owned by the caller. For processes spoken to over stdio (a stdio
 * companion); there is no health path to wait for.
 */
int ph_runtime_spawn_piped(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
			   const struct ph_placeholders *ph, const char *log_path, int *to_child,
			   int *from_child, struct ph_err *err);

/*
 * The second half: poll GET <health> (backoff 10 ms doubling to 200 ms) until it answers
 * 200 (with a body holding the spec's "ready" values, when it has any), the process exits
 * (exited_early set) or start_timeout_ms passes since spawn (timed_out set). On failure the runtime is stopped and err names it (name and role),
 * says what happened, and quotes the last 2 KB of its log. Safe to run in another thread
 * than spawn, one thread per runtime. Sets startup_ms.
 */
int ph_runtime_wait_healthy(struct ph_runtime *rt, struct ph_err *err);

/*
 * How a process ended, from its waitpid status: "exited with status 3", "exited with
 * status 127 (could not be executed)", "was killed by signal 9 (Killed)".
 */
void ph_runtime_describe_exit(int status, char *out, size_t n);

/* Is it still running? Reaps it if it exited. */
int ph_runtime_alive(struct ph_runtime *rt);

/*
 * Stop: SIGTERM to the group, SIGKILL after the stop timeout (or at once when hard), reap
 * the leader, then SIGKILL what is left of the group. exit_status tells how it ended.
 * Returns 0 (also when it had already exited), or < 0 when it could not be reaped.
 */
int ph_runtime_stop(struct ph_runtime *rt, int hard, struct ph_err *err);

/* VmRSS in KiB summed over the runtime's process tree, or < 0. */
long ph_runtime_rss_kb(const struct ph_runtime *rt);

/* One process of a process tree, as /proc/<pid>/stat showed it during the walk. */
struct ph_proc {
	pid_t pid, ppid, pgrp;
	double cpu_ticks; /* utime + stime + cutime + cstime, in clock ticks */
};

/*
 * Walk /proc for the process tree of root: root itself, the members of process group
 * pgid (none when pgid <= 0), and the descendants of any of those, also descendants that
 * left the group; zombies are left out. Calls fn once per process found (p is borrowed
 * for the call). Returns how many processes fn saw (0 when none is running), or
 * PH_E_IO / PH_E_NOMEM with err (may be NULL) filled.
 */
int ph_proc_tree(pid_t root, pid_t pgid, void (*fn)(const struct ph_proc *p, void *arg), void *arg,
		 struct ph_err *err);

/* VmRSS of one process in KiB (from /proc/<pid>/status), or -1 when it cannot be read. */
long ph_proc_rss_kb(pid_t pid);

/* Free what start allocated (stops it first if running). */
void ph_runtime_release(struct ph_runtime *rt);

/* Kill every runtime process group still registered; async-signal-safe. */
void ph_runtime_kill_all(void);

/* The last n bytes of a log file, for error messages (new string). */
char *ph_log_tail(const char *path, size_t n);

#endif
