/*
 * Runtime lifecycle: parse a runtime's config entry, expand its placeholders, fork and
 * exec it in its own process group with its output in a log file, wait for its health
 * path to answer 200, measure it, and stop it so that nothing it started survives. Every
 * started process group is noted in a fixed-size table of atomics so that
 * ph_runtime_kill_all can SIGKILL them from a signal handler; the child also asks the
 * kernel for SIGKILL when the thread that forked it dies (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE /* execvpe */
#include "runtime/runtime.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/http.h"

extern char **environ;

#define TAIL_BYTES 2048
#define MAX_GROUPS 64

/* Process groups to kill on the way out; 0 is a free slot. Lock-free, so signal-safe. */
static atomic_int groups[MAX_GROUPS];

static int group_register(pid_t pgid)
{
	size_t i;

	for (i = 0; i < MAX_GROUPS; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&groups[i], &zero, (int)pgid))
			return 0;
	}
	return -1;
}

static void group_unregister(pid_t pgid)
{
	size_t i;

	for (i = 0; i < MAX_GROUPS; i++) {
		int want = (int)pgid;

		atomic_compare_exchange_strong(&groups[i], &want, 0);
	}
}

void ph_runtime_kill_all(void)
{
	size_t i;

	for (i = 0; i < MAX_GROUPS; i++) {
		int g = atomic_exchange(&groups[i], 0);

		if (g > 0)
			kill(-(pid_t)g, SIGKILL);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void free_strv(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- config entry ---------------------------------------------------------------- */

static const char *const spec_keys[] = {
	"name", "command", "cwd", "env", "health", "start_timeout_ms", "stop_timeout_ms",
	"version", "mcp_stdio", "ready", "health_status", "port", NULL
};

static int bad(struct ph_err *err, const char *source, const char *role, const char *key,
	       const char *what)
{
	return ph_error(err, PH_E_INVALID, "%s: runtimes.%s.%s: %s", source, role, key, what);
}

static int opt_string(const json_t *obj, const char *key, const char *source, const char *role,
		      const char *dflt, char **out, struct ph_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v && !json_is_string(v))
		return bad(err, source, role, key, "expected a string");
	if (!v && !dflt)
		return 0;
	*out = strdup(v ? json_string_value(v) : dflt);
	return *out ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

static int opt_ms(const json_t *obj, const char *key, const char *source, const char *role,
		  long dflt, long *out, struct ph_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > 24L * 3600 * 1000)
		return bad(err, source, role, key,
			   "expected a positive whole number of milliseconds (at most a day)");
	*out = (long)json_integer_value(v);
	return 0;
}

static int parse_command(struct ph_runtime_spec *spec, const json_t *cmd, const char *source,
			 const char *role, struct ph_err *err)
{
	size_t i, n = json_is_array(cmd) ? json_array_size(cmd) : 0;

	if (!n)
		return bad(err, source, role, "command", "expected a non-empty array of strings");
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(cmd, i)) ||
		    (i == 0 && !*json_string_value(json_array_get(cmd, 0))))
			return bad(err, source, role, "command",
				   "expected a non-empty array of strings");
	spec->argv = calloc(n + 1, sizeof(char *));
	if (!spec->argv)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		spec->argv[i] = strdup(json_string_value(json_array_get(cmd, i)));
		if (!spec->argv[i])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		spec->argc++;
	}
	return 0;
}

static int parse_env(struct ph_runtime_spec *spec, const json_t *env, const char *source,
		     const char *role, struct ph_err *err)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!env) {
		spec->env = calloc(1, sizeof(char *));
		return spec->env ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (!json_is_object(env))
		return bad(err, source, role, "env", "expected an object of strings");
	spec->env = calloc(json_object_size(env) + 1, sizeof(char *));
	if (!spec->env)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_object_foreach((json_t *)env, k, v) {
		size_t len;

		if (!*k || strchr(k, '='))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.env: '%s' is not a variable name", source,
					role, k);
		if (!json_is_string(v))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.env.%s: expected a string", source, role, k);
		len = strlen(k) + 1 + strlen(json_string_value(v)) + 1;
		spec->env[n] = malloc(len);
		if (!spec->env[n])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		snprintf(spec->env[n], len, "%s=%s", k, json_string_value(v));
		spec->n_env = ++n;
	}
	return 0;
}

/* Put base's env entries beneath m's own: m's win where both set a variable. */
static int env_beneath(struct ph_runtime_spec *m, const struct ph_runtime_spec *base,
		       struct ph_err *err)
{
	char **env = calloc(base->n_env + m->n_env + 1, sizeof(char *));
	size_t i, j, n = 0;

	if (!env)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < base->n_env; i++) {
		size_t klen = strcspn(base->env[i], "=") + 1;
		int own = 0;

		for (j = 0; j < m->n_env && !own; j++)
			own = !strncmp(m->env[j], base->env[i], klen);
		if (!own && !(env[n++] = strdup(base->env[i]))) {
			free_strv(env);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
	}
	for (i = 0; i < m->n_env; i++) {
		env[n++] = m->env[i];
		m->env[i] = NULL;
	}
	free(m->env);
	m->env = env;
	m->n_env = n;
	return 0;
}

/*
 * "mcp_stdio": {command, env?, cwd?}: the runtime's MCP stdio server, as a spec of its
 * own: its env is the runtime's with its own entries on top, its cwd the runtime's unless
 * it names one, its timeouts the runtime's.
 */
static int parse_mcp_stdio(struct ph_runtime_spec *spec, const json_t *obj, const char *source,
			   const char *role, struct ph_err *err)
{
	static const char *const keys[] = { "command", "env", "cwd", NULL };
	struct ph_runtime_spec *m;
	char sub[64];
	const char *k;
	json_t *v;
	size_t i, n;
	int rc;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return bad(err, source, role, "mcp_stdio",
			   "expected an object {command, env?, cwd?}");
	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.mcp_stdio: unknown key '%s' (expected "
					"command, env, cwd)",
					source, role, k);
	}
	if (!(m = spec->mcp_stdio = calloc(1, sizeof(*m))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(sub, sizeof(sub), "%s.mcp_stdio", role);
	m->role = strdup(role);
	n = strlen(spec->name) + sizeof("-mcp-stdio");
	if ((m->name = malloc(n)))
		snprintf(m->name, n, "%s-mcp-stdio", spec->name);
	m->health = strdup(spec->health);
	if (!m->role || !m->name || !m->health)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	m->start_timeout_ms = spec->start_timeout_ms;
	m->stop_timeout_ms = spec->stop_timeout_ms;
	if ((rc = parse_command(m, json_object_get(obj, "command"), source, sub, err)) ||
	    (rc = parse_env(m, json_object_get(obj, "env"), source, sub, err)) ||
	    (rc = opt_string(obj, "cwd", source, sub, spec->cwd, &m->cwd, err)))
		return rc;
	return env_beneath(m, spec, err);
}

static int spec_parse(struct ph_runtime_spec *spec, const char *role, const json_t *obj,
		      const char *source, struct ph_err *err)
{
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return ph_error(err, PH_E_INVALID, "%s: runtimes.%s: expected an object", source,
				role);
	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; spec_keys[i] && strcmp(spec_keys[i], k); i++)
			;
		if (!spec_keys[i])
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s: unknown key '%s' (expected name, command, "
					"cwd, env, health, start_timeout_ms, stop_timeout_ms, version, "
					"mcp_stdio, ready, health_status, port)",
					source, role, k);
	}
	if (!(spec->role = strdup(role)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = opt_string(obj, "name", source, role, role, &spec->name, err)))
		return rc;
	if (!*spec->name)
		return bad(err, source, role, "name", "expected a non-empty string");
	/* the name becomes <out>/runtimes/<name>.log: it must not leave that folder */
	if (strchr(spec->name, '/'))
		return bad(err, source, role, "name",
			   "expected a name without '/' (it names a log file)");
	if ((rc = parse_command(spec, json_object_get(obj, "command"), source, role, err)))
		return rc;
	if ((rc = opt_string(obj, "cwd", source, role, NULL, &spec->cwd, err)))
		return rc;
	if ((rc = parse_env(spec, json_object_get(obj, "env"), source, role, err)))
		return rc;
	if ((rc = opt_string(obj, "health", source, role, "/health", &spec->health, err)))
		return rc;
	if (spec->health[0] != '/')
		return bad(err, source, role, "health", "expected a path starting with '/'");
	if ((rc = opt_ms(obj, "start_timeout_ms", source, role, 15000, &spec->start_timeout_ms,
			 err)))
		return rc;
	if ((rc = opt_ms(obj, "stop_timeout_ms", source, role, 5000, &spec->stop_timeout_ms,
			 err)))
		return rc;
	if ((rc = opt_string(obj, "version", source, role, NULL, &spec->version, err)))
		return rc;
	if ((v = json_object_get(obj, "port"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535)
			return bad(err, source, role, "port",
				   "expected a TCP port number from 1 to 65535");
		spec->port = (int)json_integer_value(v);
	}
	if (json_object_get(obj, "ready")) {
		json_t *r = json_object_get(obj, "ready");

		if (!json_is_object(r) || !json_object_size(r))
			return bad(err, source, role, "ready",
				   "expected an object of \"dot.path\": value the health body must "
				   "hold");
		spec->ready = json_incref(r);
	}
	spec->health_status[0] = 200;
	spec->n_health_status = 1;
	if (json_object_get(obj, "health_status")) {
		json_t *hs = json_object_get(obj, "health_status"), *v;
		size_t i;

		if (!json_is_array(hs) || !json_array_size(hs) ||
		    json_array_size(hs) > sizeof(spec->health_status) / sizeof(long))
			return bad(err, source, role, "health_status",
				   "expected an array of 1 to 8 HTTP statuses");
		json_array_foreach(hs, i, v)
		{
			if (!json_is_integer(v) || json_integer_value(v) < 100 ||
			    json_integer_value(v) > 599)
				return bad(err, source, role, "health_status",
					   "expected an array of 1 to 8 HTTP statuses");
			spec->health_status[i] = (long)json_integer_value(v);
		}
		spec->n_health_status = json_array_size(hs);
	}
	return parse_mcp_stdio(spec, json_object_get(obj, "mcp_stdio"), source, role, err);
}

int ph_runtime_spec_parse(struct ph_runtime_spec *spec, const char *role, const json_t *obj,
			  const char *source, struct ph_err *err)
{
	int rc;

	memset(spec, 0, sizeof(*spec));
	rc = spec_parse(spec, role ? role : "?", obj, source ? source : "config", err);
	if (rc)
		ph_runtime_spec_release(spec);
	return rc;
}

void ph_runtime_spec_release(struct ph_runtime_spec *spec)
{
	if (!spec)
		return;
	free(spec->role);
	free(spec->name);
	free_strv(spec->argv);
	free(spec->cwd);
	free_strv(spec->env);
	free(spec->health);
	json_decref(spec->ready);
	free(spec->version);
	if (spec->mcp_stdio) {
		ph_runtime_spec_release(spec->mcp_stdio);
		free(spec->mcp_stdio);
	}
	memset(spec, 0, sizeof(*spec));
}

/* ---- placeholders ---------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

char *ph_expand(const char *s, const struct ph_placeholders *ph, struct ph_err *err)
{
	struct buf b = { 0 };
	const char *p = s;

	if (!s) {
		ph_error(err, PH_E_INVALID, "nothing to expand");
		return NULL;
	}
	if (buf_add(&b, "", 0))
		goto nomem;
	while (*p) {
		const char *open = strchr(p, '{'), *q, *val = NULL;
		char num[16];
		size_t n;

		if (!open)
			open = p + strlen(p);
		if (buf_add(&b, p, (size_t)(open - p)))
			goto nomem;
		if (!*open)
			break;
		if (open[1] == '{') { /* "{{" is a literal "{" */
			if (buf_add(&b, "{", 1))
				goto nomem;
			p = open + 2;
			continue;
		}
		for (q = open + 1; is_name_char(*q); q++)
			;
		if (q == open + 1 || *q != '}') { /* not a placeholder: JSON and the like */
			if (buf_add(&b, "{", 1))
				goto nomem;
			p = open + 1;
			continue;
		}
		n = (size_t)(q - open - 1);
#define IS(name) (n == sizeof(name) - 1 && !memcmp(open + 1, name, n))
		if (IS("workspace"))
			val = ph ? ph->workspace : NULL;
		else if (IS("home"))
			val = ph ? ph->home : NULL;
		else if (IS("llm_url"))
			val = ph ? ph->llm_url : NULL;
		else if (IS("repo"))
			val = ph ? ph->repo : NULL;
		else if (IS("shared"))
			val = ph ? ph->shared : NULL;
		else if (IS("build"))
			val = ph ? ph->build : NULL;
		else if (IS("port")) {
			if (ph && ph->port > 0) {
				snprintf(num, sizeof(num), "%d", ph->port);
				val = num;
			}
		} else {
			ph_error(err, PH_E_INVALID,
				 "unknown placeholder '{%.*s}' (known: {workspace} {home} {port} "
				 "{llm_url} {repo} {shared} {build}; '{{' is a literal '{')",
				 (int)(n > 64 ? 64 : n), open + 1);
			free(b.p);
			return NULL;
		}
#undef IS
		if (!val) {
			ph_error(err, PH_E_INVALID, "placeholder '{%.*s}' has no value here", (int)n,
				 open + 1);
			free(b.p);
			return NULL;
		}
		if (buf_add(&b, val, strlen(val)))
			goto nomem;
		p = q + 1;
	}
	return b.p;
nomem:
	free(b.p);
	ph_error(err, PH_E_NOMEM, "out of memory");
	return NULL;
}

int ph_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port > 0 ? port : -1;
}

/* Bind addr like a server would (SO_REUSEADDR, so a closed listener's leftovers do not count). */
static int try_bind(int family, const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc, e;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	rc = bind(fd, addr, len);
	e = errno;
	close(fd);
	return rc ? -e : 0;
}

int ph_port_available(int port, struct ph_err *err)
{
	struct sockaddr_in a;
	struct sockaddr_in6 a6;
	int rc;

	if (port < 1 || port > 65535)
		return ph_error(err, PH_E_INVALID, "port %d out of range (1 to 65535)", port);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if ((rc = try_bind(AF_INET, (struct sockaddr *)&a, sizeof(a))))
		goto taken;
	/* a listener on [::1] alone still answers "localhost" */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_loopback;
	a6.sin6_port = htons((uint16_t)port);
	rc = try_bind(AF_INET6, (struct sockaddr *)&a6, sizeof(a6));
	if (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL)
		rc = 0; /* no IPv6 loopback on this host */
	if (!rc)
		return 0;
taken:
	if (rc == -EADDRINUSE)
		return ph_error(err, PH_E_IO, "port %d is taken: another process listens there",
				port);
	return ph_error(err, PH_E_IO, "port %d cannot be bound: %s", port, strerror(-rc));
}

/* ---- logs ------------------------------------------------------------------------ */

char *ph_log_tail(const char *path, size_t n)
{
	struct stat st;
	char *out;
	ssize_t got;
	size_t len = 0;
	off_t from;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	from = st.st_size > (off_t)n ? st.st_size - (off_t)n : 0;
	out = malloc(n + 1);
	if (!out || lseek(fd, from, SEEK_SET) < 0) {
		free(out);
		close(fd);
		return NULL;
	}
	while (len < n && (got = read(fd, out + len, n - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)got;
	}
	close(fd);
	out[len] = '\0';
	return out;
}

/*
 * The tail of the log, cut to fit `room` bytes, starting at a line boundary when it was
 * cut, with control bytes other than newline and tab shown as '?'.
 */
static char *tail_for_message(const char *path, size_t room)
{
	char *t = ph_log_tail(path, TAIL_BYTES), *s;
	size_t len, i;

	if (!t)
		return NULL;
	len = strlen(t);
	s = t;
	if (len > room) {
		char *nl;

		s = t + (len - room);
		nl = memchr(s, '\n', len - (size_t)(s - t));
		if (nl && nl[1])
			s = nl + 1;
	}
	memmove(t, s, strlen(s) + 1);
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 && t[i] != '\n' && t[i] != '\t')
			t[i] = '?';
	len = strlen(t);
	while (len && (t[len - 1] == '\n' || t[len - 1] == ' '))
		t[--len] = '\0';
	return t;
}

/* ---- start ----------------------------------------------------------------------- */

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
	free_strv(l->argv);
	free_strv(l->env);
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

static int copy_placeholders(struct ph_placeholders *dst, const struct ph_placeholders *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	dst->port = src->port;
	dst->workspace = xstrdup(src->workspace);
	dst->home = xstrdup(src->home);
	dst->llm_url = xstrdup(src->llm_url);
	dst->repo = xstrdup(src->repo);
	dst->shared = xstrdup(src->shared);
	dst->build = xstrdup(src->build);
	if ((src->workspace && !dst->workspace) || (src->home && !dst->home) ||
	    (src->llm_url && !dst->llm_url) || (src->repo && !dst->repo) ||
	    (src->shared && !dst->shared) || (src->build && !dst->build))
		return -1;
	return 0;
}

static void free_placeholders(struct ph_placeholders *p)
{
	free((char *)p->workspace);
	free((char *)p->home);
	free((char *)p->llm_url);
	free((char *)p->repo);
	free((char *)p->shared);
	free((char *)p->build);
	memset(p, 0, sizeof(*p));
}

/* Free everything but the outcome fields, which callers read after a failed start. */
static void clear_owned(struct ph_runtime *rt)
{
	free_placeholders(&rt->ph);
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
	clear_owned(rt);
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
	    copy_placeholders(&rt->ph, ph)) {
		launch_free(&l);
		clear_owned(rt);
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
	rt->started_at_ms = now_ms();
	if (group_register(pid)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		rt->pid = 0;
		rc = ph_error(err, PH_E_RUNTIME, "%s runtime '%s': more than %d runtimes at once",
			      spec->role, spec->name, MAX_GROUPS);
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
		clear_owned(rt);
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

void ph_runtime_describe_exit(int status, char *out, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(out, n, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(out, n, "exited with status 127 (could not be executed)");
	else if (WIFEXITED(status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(out, n, "stopped (wait status %d)", status);
}

/* Fill err with what happened and the log's tail that fits, then stop the runtime. */
static int start_failed(struct ph_runtime *rt, int code, const char *what, struct ph_err *err)
{
	const struct ph_runtime_spec *spec = rt->spec;
	char head[600];
	char *tail;
	size_t room;
	int n;

	ph_runtime_stop(rt, rt->exited ? 1 : 0, NULL);
	n = snprintf(head, sizeof(head), "%s runtime '%s' %s; its log %s", spec->role,
		     spec->name, what, rt->log_path ? rt->log_path : "(none)");
	if (n < 0)
		n = 0;
	room = (size_t)n + 32 < sizeof(err->msg) ? sizeof(err->msg) - (size_t)n - 32 : 0;
	tail = room ? tail_for_message(rt->log_path, room) : NULL;
	if (tail && *tail)
		ph_error(err, code, "%s ends with:\n%s", head, tail);
	else
		ph_error(err, code, "%s is empty", head);
	free(tail);
	return code;
}

/* Is status one of the spec's health statuses? */
static int is_up_status(const struct ph_runtime_spec *spec, long status)
{
	for (size_t i = 0; i < spec->n_health_status; i++)
		if (spec->health_status[i] == status)
			return 1;
	return 0;
}

/* The value at a dot path of doc (array elements by index), or NULL. */
static json_t *at_path(json_t *doc, const char *path)
{
	char *copy = strdup(path), *seg, *save = NULL;
	json_t *v = doc;

	if (!copy)
		return NULL;
	for (seg = strtok_r(copy, ".", &save); seg && v; seg = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v)) {
			char *end;
			long i = strtol(seg, &end, 10);

			v = *end || i < 0 ? NULL : json_array_get(v, (size_t)i);
		} else {
			v = json_object_get(v, seg);
		}
	}
	free(copy);
	return v;
}

/* Does the health body hold every value of ready? Otherwise say which does not in why. */
static int holds_ready(const json_t *ready, const char *body, char *why, size_t n)
{
	json_t *doc = body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL, *want;
	const char *path;
	int ok = 1;

	if (!doc) {
		snprintf(why, n, "its body is not JSON");
		return 0;
	}
	json_object_foreach((json_t *)ready, path, want)
	{
		json_t *got = at_path(doc, path);

		if (!got || !json_equal(got, want)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);

			snprintf(why, n, "%s is %s, not %s (ready)", path, g ? g : "absent",
				 w ? w : "?");
			free(g);
			free(w);
			ok = 0;
			break;
		}
	}
	json_decref(doc);
	return ok;
}

int ph_runtime_wait_healthy(struct ph_runtime *rt, struct ph_err *err)
{
	long delay = 10, last = 0;
	double deadline;
	char what[300];

	if (rt->pid <= 0 || !rt->spec || !rt->health_url)
		return ph_error(err, PH_E_INVALID, "runtime not spawned");
	deadline = rt->started_at_ms + (double)rt->spec->start_timeout_ms;
	for (;;) {
		double now = now_ms();
		long left = (long)(deadline - now), timeout;

		if (!ph_runtime_alive(rt)) {
			char how[128];

			ph_runtime_describe_exit(rt->exit_status, how, sizeof(how));
			rt->exited_early = 1;
			snprintf(what, sizeof(what), "%s before it was healthy at %s", how,
				 rt->health_url);
			return start_failed(rt, PH_E_RUNTIME, what, err);
		}
		if (left <= 0)
			break;
		timeout = left < 1000 ? (left > 50 ? left : 50) : 1000;
		if (rt->spec->ready) {
			char *body = NULL;

			last = ph_http_get_body(rt->health_url, timeout, &body);
			if (last == 200 && !holds_ready(rt->spec->ready, body, rt->not_ready,
							sizeof(rt->not_ready)))
				last = -200; /* answered, not yet ready */
			free(body);
		} else {
			last = ph_http_get_status(rt->health_url, timeout);
		}
		if (last > 0 && last != 200 && is_up_status(rt->spec, last))
			last = 200; /* up, behind its auth: "ready" cannot be read */
		if (last == 200) {
			rt->startup_ms = now_ms() - rt->started_at_ms;
			if (rt->startup_ms <= 0)
				rt->startup_ms = 0.001;
			return 0;
		}
		left = (long)(deadline - now_ms());
		if (left <= 0)
			break;
		sleep_ms(delay < left ? delay : left);
		delay = delay * 2 > 200 ? 200 : delay * 2;
	}
	/* One last look: it may have died while we waited. */
	if (!ph_runtime_alive(rt)) {
		char how[128];

		ph_runtime_describe_exit(rt->exit_status, how, sizeof(how));
		rt->exited_early = 1;
		snprintf(what, sizeof(what), "%s before it was healthy at %s", how, rt->health_url);
		return start_failed(rt, PH_E_RUNTIME, what, err);
	}
	rt->timed_out = 1;
	if (last == -200)
		snprintf(what, sizeof(what),
			 "was not ready within %ld ms (start_timeout_ms): %s answered 200 but %s",
			 rt->spec->start_timeout_ms, rt->health_url, rt->not_ready);
	else if (last > 0)
		snprintf(what, sizeof(what),
			 "was not healthy within %ld ms (start_timeout_ms): %s last answered %ld",
			 rt->spec->start_timeout_ms, rt->health_url, last);
	else
		snprintf(what, sizeof(what),
			 "was not healthy within %ld ms (start_timeout_ms): %s never answered",
			 rt->spec->start_timeout_ms, rt->health_url);
	return start_failed(rt, PH_E_TIMEOUT, what, err);
}

int ph_runtime_start(struct ph_runtime *rt, const struct ph_runtime_spec *spec,
		     const struct ph_placeholders *ph, const char *log_path, struct ph_err *err)
{
	int rc = ph_runtime_spawn(rt, spec, ph, log_path, err);

	return rc ? rc : ph_runtime_wait_healthy(rt, err);
}

/* ---- watch and stop -------------------------------------------------------------- */

int ph_runtime_alive(struct ph_runtime *rt)
{
	int status;
	pid_t r;

	if (rt->pid <= 0 || rt->exited)
		return 0;
	do
		r = waitpid(rt->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 1;
	rt->exited = 1;
	rt->exit_status = r == rt->pid ? status : 0;
	return 0;
}

int ph_runtime_stop(struct ph_runtime *rt, int hard, struct ph_err *err)
{
	int rc = 0;

	if (rt->pid <= 0)
		return 0;
	if (ph_runtime_alive(rt)) {
		long waited = 0, limit = rt->spec ? rt->spec->stop_timeout_ms : 5000;
		int sig = hard ? SIGKILL : SIGTERM;

		if (kill(-rt->pgid, sig) && errno == ESRCH)
			kill(rt->pid, sig);
		while (!hard && waited < limit && ph_runtime_alive(rt)) {
			sleep_ms(10);
			waited += 10;
		}
		if (!rt->exited) {
			int status;
			pid_t r;

			kill(-rt->pgid, SIGKILL);
			kill(rt->pid, SIGKILL);
			do
				r = waitpid(rt->pid, &status, 0);
			while (r < 0 && errno == EINTR);
			rt->exited = 1;
			if (r == rt->pid)
				rt->exit_status = status;
			else if (errno != ECHILD)
				rc = ph_error(err, PH_E_RUNTIME, "cannot reap runtime pid %ld: %s",
					      (long)rt->pid, strerror(errno));
		}
	}
	/* What is left of the group (grandchildren) goes too. */
	kill(-rt->pgid, SIGKILL);
	group_unregister(rt->pgid);
	rt->pid = 0;
	return rc;
}

void ph_runtime_release(struct ph_runtime *rt)
{
	if (!rt)
		return;
	if (rt->pid > 0)
		ph_runtime_stop(rt, 0, NULL);
	clear_owned(rt);
	memset(rt, 0, sizeof(*rt));
}

/* ---- the process tree and its memory ------------------------------------------- */

/* Fill p from /proc/<pid>/stat; -1 when the process is gone, a zombie or unreadable. */
static int read_stat(pid_t pid, struct ph_proc *p)
{
	char path[64], buf[1024], *rp;
	unsigned long ut, st;
	long cut, cst;
	int fd, ppid, pgrp;
	ssize_t n;
	char state;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime ...": comm may hold spaces and parentheses. */
	if (!(rp = strrchr(buf, ')')) ||
	    sscanf(rp + 1, " %c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &state,
		   &ppid, &pgrp, &ut, &st, &cut, &cst) != 7)
		return -1;
	if (state == 'Z' || state == 'X')
		return -1;
	p->pid = pid;
	p->ppid = ppid;
	p->pgrp = pgrp;
	p->cpu_ticks = (double)ut + (double)st + (double)cut + (double)cst;
	return 0;
}

int ph_proc_tree(pid_t root, pid_t pgid, void (*fn)(const struct ph_proc *p, void *arg), void *arg,
		 struct ph_err *err)
{
	struct ph_proc *ps = NULL;
	unsigned char *in = NULL;
	size_t n = 0, cap = 0, i, j;
	struct dirent *de;
	int changed, count = 0;
	DIR *d;

	if (!(d = opendir("/proc")))
		return ph_error(err, PH_E_IO, "cannot read /proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			struct ph_proc *np = realloc(ps, (cap ? cap * 2 : 256) * sizeof(*ps));

			if (!np) {
				closedir(d);
				free(ps);
				return ph_error(err, PH_E_NOMEM, "out of memory");
			}
			ps = np;
			cap = cap ? cap * 2 : 256;
		}
		if (!read_stat((pid_t)pid, &ps[n]))
			n++;
	}
	closedir(d);
	if (n && !(in = calloc(n, 1))) {
		free(ps);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	/* root and the members of its group, then descendants of any of them (also those
	 * that left the group) until nothing changes */
	for (i = 0; i < n; i++)
		in[i] = ps[i].pid == root || (pgid > 0 && ps[i].pgrp == pgid);
	do {
		changed = 0;
		for (i = 0; i < n; i++)
			for (j = 0; !in[i] && j < n; j++)
				if (in[j] && ps[j].pid == ps[i].ppid)
					in[i] = changed = 1;
	} while (changed);
	for (i = 0; i < n; i++)
		if (in[i]) {
			fn(&ps[i], arg);
			count++;
		}
	free(in);
	free(ps);
	return count;
}

long ph_proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

struct rss_sum {
	long total;
	int found;
};

static void add_rss(const struct ph_proc *p, void *arg)
{
	struct rss_sum *s = arg;
	long kb = ph_proc_rss_kb(p->pid);

	if (kb >= 0) {
		s->total += kb;
		s->found = 1;
	}
}

long ph_runtime_rss_kb(const struct ph_runtime *rt)
{
	struct rss_sum s = {0, 0};

	if (rt->pid <= 0 || rt->exited || ph_proc_tree(rt->pid, rt->pgid, add_rss, &s, NULL) < 0)
		return -1;
	return s.found ? s.total : -1;
}
