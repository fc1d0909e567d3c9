/*
 * Starting a runtime's process (runtime.h): its command, env and cwd expanded, then
 * fork and exec in its own process group with stdin from /dev/null (or a pipe) and its
 * output in its log file. No signal reaches the harness between fork and the group's
 * registration, so ph_runtime_kill_all always sees it; the child asks the kernel for
 * SIGKILL when the thread that forked it dies (PR_SET_PDEATHSIG), and between fork and
 * exec it calls only async-signal-safe functions.
 */
#define _GNU_SOURCE /* execvpe, pipe2 */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"

extern char **environ;

/* Helpers for the child between fork and exec: only async-signal-safe calls. */
static void child_write(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void child_fail(int fd, const char *what, const char *arg, int e)
{
	char num[16];
	int i = (int)sizeof(num) - 1;
	const char *why = e == ENOENT  ? "no such file or directory"
			  : e == EACCES  ? "permission denied"
			  : e == ENOEXEC ? "exec format error"
			  : e == ENOTDIR ? "not a directory"
			  : e == E2BIG   ? "argument list too long"
					 : NULL;

	child_write(fd, "parity: cannot ");
	child_write(fd, what);
	child_write(fd, " '");
	child_write(fd, arg);
	child_write(fd, "': ");
	if (why) {
		child_write(fd, why);
	} else {
		num[i] = '\0';
		do {
			num[--i] = (char)('0' + e % 10);
			e /= 10;
		} while (e && i > 0);
		child_write(fd, "errno ");
		child_write(fd, num + i);
	}
	child_write(fd, "\n");
	_exit(127);
}

struct launch {
	char **argv;  /* expanded, owned */
	char **env;   /* expanded spec entries, owned */
	char **envp;  /* environ minus overridden entries, then env: pointers only */
	char *cwd;
};

static void launch_free(struct launch *l)
{
	ph_strv_free(l->argv);
	ph_strv_free(l->env);
	free(l->envp);
	free(l->cwd);
}

static int who(struct ph_err *err, const struct ph_runtime_spec *spec, const char *what)
{
	return ph_error_prefix(err, "%s runtime '%s': %s", spec->role ? spec->role : "?",
			       spec->name ? spec->name : "?", what);
}

static int prepare(struct launch *l, const struct ph_runtime_spec *spec,
		   const struct ph_placeholders *ph, struct ph_err *err)
{
	size_t i, n_environ = 0, k = 0;
	char what[64];

	memset(l, 0, sizeof(*l));
	if (!spec->argv || !spec->argc)
		return ph_error(err, PH_E_INVALID, "%s runtime '%s': no command",
				spec->role ? spec->role : "?", spec->name ? spec->name : "?");
	l->argv = calloc(spec->argc + 1, sizeof(char *));
	l->env = calloc(spec->n_env + 1, sizeof(char *));
	if (!l->argv || !l->env)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < spec->argc; i++) {
		if (!(l->argv[i] = ph_expand(spec->argv[i], ph, err))) {
			snprintf(what, sizeof(what), "command[%zu]", i);
			return who(err, spec, what);
		}
	}
	for (i = 0; i < spec->n_env; i++) {
		if (!(l->env[i] = ph_expand(spec->env[i], ph, err))) {
			snprintf(what, sizeof(what), "env.%.*s", (int)strcspn(spec->env[i], "="),
				 spec->env[i]);
			return who(err, spec, what);
		}
	}
	if (spec->cwd && !(l->cwd = ph_expand(spec->cwd, ph, err)))
		return who(err, spec, "cwd");
	if (!spec->cwd && ph && ph->repo && !(l->cwd = strdup(ph->repo)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	while (environ && environ[n_environ])
		n_environ++;
	l->envp = calloc(n_environ + spec->n_env + 1, sizeof(char *));
	if (!l->envp)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n_environ; i++) {
		size_t klen = strcspn(environ[i], "="), j;
		int overridden = 0;

		for (j = 0; j < spec->n_env && !overridden; j++)
			overridden = !strncmp(l->env[j], environ[i], klen) && l->env[j][klen] == '=';
		if (!overridden)
			l->envp[k++] = environ[i];
	}
	for (i = 0; i < spec->n_env; i++)
		l->envp[k++] = l->env[i];
	return 0;
}


/* Free everything but the outcome fields, which callers read after a failed start. */
void ph_runtime_clear_owned(struct ph_runtime *rt)
{
	ph_placeholders_free(&rt->ph);
	free(rt->log_path);
	free(rt->base_url);
	free(rt->health_url);
	rt->log_path = rt->base_url = rt->health_url = NULL;
}

/* Spawn with stdin from /dev/null and stdout to the log, or both on pipes (fds set). */
static int spawn(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		 const struct ph_placeholders *ph, const char *log_path, int *to_child,
		 int *from_child, struct ph_err *err)
{
	struct launch l;
	sigset_t all, old;
	pid_t parent, pid;
	int logfd = -1, nullfd = -1, rc, port = ph ? ph->port : 0;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, piped = to_child && from_child;
	size_t n;

	if (rt->pid > 0)
		return ph_error(err, PH_E_INVALID, "%s runtime '%s' is already running (pid %ld)",
				spec->role, spec->name, (long)rt->pid);
	ph_runtime_clear_owned(rt);
	memset(rt, 0, sizeof(*rt));
	rt->spec = spec;
	if (port <= 0 || port > 65535)
		return ph_error(err, PH_E_INVALID, "%s runtime '%s': no port to run on",
				spec->role, spec->name);
	if (!log_path)
		return ph_error(err, PH_E_INVALID, "%s runtime '%s': no log file", spec->role,
				spec->name);
	if ((rc = prepare(&l, spec, ph, err))) {
		launch_free(&l);
		return rc;
	}
	n = strlen("http://127.0.0.1:65535") + 1;
	rt->base_url = malloc(n);
	if (rt->base_url)
		snprintf(rt->base_url, n, "http://127.0.0.1:%d", port);
	n = n + strlen(spec->health ? spec->health : "/health");
	rt->health_url = malloc(n);
	if (rt->health_url && rt->base_url)
		snprintf(rt->health_url, n, "%s%s", rt->base_url,
			 spec->health ? spec->health : "/health");
	rt->log_path = strdup(log_path);
	if (!rt->base_url || !rt->health_url || !rt->log_path ||
	    ph_placeholders_copy(&rt->ph, ph)) {
		launch_free(&l);
		ph_runtime_clear_owned(rt);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		rc = ph_error(err, PH_E_IO, "%s runtime '%s': cannot open log '%s': %s",
			      spec->role, spec->name, log_path, strerror(errno));
		goto out;
	}
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0) {
		rc = ph_error(err, PH_E_IO, "cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	if (piped && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))) {
		rc = ph_error(err, PH_E_IO, "%s runtime '%s': cannot make pipes: %s", spec->role,
			      spec->name, strerror(errno));
		goto out;
	}
	{
		FILE *f = fdopen(dup(logfd), "a");
		size_t i;

		if (f) {
			fprintf(f, "parity: starting %s runtime '%s' on port %d (cwd %s):", spec->role,
				spec->name, port, l.cwd ? l.cwd : ".");
			for (i = 0; l.argv[i]; i++)
				fprintf(f, " %s", l.argv[i]);
			fputc('\n', f);
			fclose(f);
		}
	}

	/* No signal between fork and registration: ph_runtime_kill_all must see the group. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		int sig;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* the parent died before prctl */
			_exit(1);
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (dup2(piped ? in[0] : nullfd, 0) < 0 ||
		    dup2(piped ? out[1] : logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(127);
		if (l.cwd && chdir(l.cwd))
			child_fail(2, "change to folder", l.cwd, errno);
		execvpe(l.argv[0], l.argv, l.envp);
		child_fail(2, "execute", l.argv[0], errno);
	}
	if (pid < 0) {
		int e = errno;

		pthread_sigmask(SIG_SETMASK, &old, NULL);
		rc = ph_error(err, PH_E_RUNTIME, "%s runtime '%s': cannot fork: %s", spec->role,
			      spec->name, strerror(e));
		goto out;
	}
	setpgid(pid, pid); /* also here: whichever runs first, the group exists */
	rt->pid = pid;
	rt->pgid = pid;
	rt->started_at_ms = ph_now_ms();
	if (ph_group_register(pid)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		rt->pid = 0;
		rc = ph_error(err, PH_E_RUNTIME, "%s runtime '%s': more than %d runtimes at once",
			      spec->role, spec->name, PH_MAX_GROUPS);
		goto out;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (piped) {
		/* the parent keeps the write end of stdin and the read end of stdout */
		*to_child = in[1];
		*from_child = out[0];
		in[1] = out[0] = -1;
	}
	rc = 0;
out:
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	launch_free(&l);
	if (rc)
		ph_runtime_clear_owned(rt);
	return rc;
}

int ph_runtime_spawn(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		     const struct ph_placeholders *ph, const char *log_path, struct ph_err *err)
{
	return spawn(rt, spec, ph, log_path, NULL, NULL, err);
}

int ph_runtime_spawn_piped(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
			   const struct ph_placeholders *ph, const char *log_path, int *to_child,
			   int *from_child, struct ph_err *err)
{
	if (!to_child || !from_child)
		return ph_error(err, PH_E_INVALID, "spawn_piped: no place for the pipes");
	*to_child = *from_child = -1;
	return spawn(rt, spec, ph, log_path, to_child, from_child, err);
}
