/*
 * The life of a `parity run` session: temporary and report folders, fresh workspaces per
 * domain, both runtimes started in parallel (with a new port when one fails to bind,
 * unless its config fixes the port),
 * their HTTP connections, metrics, and a stop that leaves no process or folder behind.
 */
#include "run/session.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "run/seed.h"
#include "run/workspace.h"

#define START_TRIES 3

static const char *const roles[] = { "reference", "candidate" };

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

void ph_session_log(struct ph_session *s, const char *f, ...)
{
	va_list ap;
	struct timespec ts;
	struct tm tm;
	char when[32];

	if (!s->log)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(s->log, "%s.%03ld ", when, ts.tv_nsec / 1000000);
	va_start(ap, f);
	vfprintf(s->log, f, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
}

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return strdup(".");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return strdup(buf);
}

/*
 * Say once that a fixed "port" was not used: both sides run one build (--both,
 * --calibrate), and two processes cannot listen on one port.
 */
static void log_dropped_port(struct ph_session *s)
{
#define DROPPED_PORT                                                                       \
	"fixed port %d of runtime '%s' not used: both sides run it, and two instances "    \
	"cannot share a port; each takes a free one"
	const struct ph_runtime_spec *r = &s->cfg.runtimes[0];

	if (!r->port_dropped)
		r = &s->cfg.runtimes[1];
	if (!r->port_dropped)
		return;
	ph_session_log(s, DROPPED_PORT, r->port_dropped, r->name);
	fprintf(stderr, "parity: " DROPPED_PORT "\n", r->port_dropped, r->name);
#undef DROPPED_PORT
}

int ph_session_init(struct ph_session *s, struct ph_config *cfg, const char *out,
		    struct ph_err *err)
{
	char tmpl[] = "/tmp/parity-XXXXXX";
	char *logp;
	int rc;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	s->build = exe_dir();
	if (!s->build)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (s->cfg.rules)
		rc = ph_rules_load(&s->rules, s->cfg.rules, err);
	else
		rc = (s->rules = ph_rules_builtin()) ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	if (rc)
		return rc;
	if (out) {
		s->out = strdup(out);
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		char *latest;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		s->out = fmt("%s/%s", s->cfg.out, stamp);
		if (!s->out)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		if ((rc = ph_mkdirs(s->out, err)))
			return rc;
		latest = fmt("%s/latest", s->cfg.out);
		if (latest) {
			unlink(latest);
			if (symlink(stamp, latest) != 0)
				fprintf(stderr, "parity: cannot link '%s': %s\n", latest,
					strerror(errno));
			free(latest);
		}
	}
	if (!s->out)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = ph_mkdirs(s->out, err)))
		return rc;
	logp = fmt("%s/runtimes", s->out);
	rc = logp ? ph_mkdirs(logp, err) : ph_error(err, PH_E_NOMEM, "out of memory");
	free(logp);
	if (rc)
		return rc;
	logp = fmt("%s/parity.log", s->out);
	s->log = logp ? fopen(logp, "w") : NULL;
	free(logp);
	if (!mkdtemp(tmpl))
		return ph_error(err, PH_E_IO, "cannot create a temporary folder: %s",
				strerror(errno));
	s->tmp = strdup(tmpl);
	if (!s->tmp)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	s->tty = isatty(STDERR_FILENO);
	s->params = json_object();
	ph_session_log(s, "session: config %s, out %s, tmp %s", s->cfg.path, s->out, s->tmp);
	log_dropped_port(s);
	return ph_session_llm_start(s, err);
}

void ph_session_use_params(struct ph_session *s, const char *domain)
{
	json_t *mine = json_object_get(s->domain_params, domain);

	json_decref(s->params);
	s->params = mine ? json_incref(mine) : json_object();
}

char *ph_session_log_path(struct ph_session *s, int side, const char *suffix)
{
	const char *a = s->cfg.runtimes[0].name, *b = s->cfg.runtimes[1].name;

	if (strcmp(a, b))
		return fmt("%s/runtimes/%s%s.log", s->out, s->cfg.runtimes[side].name, suffix);
	return fmt("%s/runtimes/%s-%s%s.log", s->out, s->cfg.runtimes[side].name, roles[side],
		   suffix);
}

static char *log_path(struct ph_session *s, int side)
{
	return ph_session_log_path(s, side, "");
}

static void fill_placeholders(struct ph_session *s, int side, const char *ws,
			      struct ph_placeholders *ph)
{
	struct ph_side_state *st = &s->side[side];

	memset(ph, 0, sizeof(*ph));
	ph->workspace = ws;
	ph->home = st->home;
	ph->port = st->port;
	ph->llm_url = st->llm_url ? st->llm_url : "";
	ph->repo = s->cfg.repo;
	ph->shared = s->cfg.shared;
	ph->build = s->build;
}

void ph_session_placeholders(struct ph_session *s, int side, struct ph_placeholders *ph)
{
	struct ph_side_state *st = &s->side[side];

	if (st->rt.pid > 0)
		*ph = st->rt.ph; /* as it was started, also on another folder */
	else
		fill_placeholders(s, side, st->workspace, ph);
}

/* Fork one runtime on workspace ws; always from the main thread (PR_SET_PDEATHSIG). */
static int spawn_on(struct ph_session *s, int side, const char *ws, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	const struct ph_runtime_spec *spec;
	struct ph_placeholders ph;
	char *logp = log_path(s, side);
	int rc;

	if (!logp)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	fill_placeholders(s, side, ws, &ph);
	ph_runtime_release(&st->rt);
	memset(&st->rt, 0, sizeof(st->rt));
	/* the old runtime is released: the spec it pointed to may be made again */
	if (!(spec = ph_session_start_spec(s, side, err))) {
		free(logp);
		return PH_E_NOMEM;
	}
	rc = ph_runtime_spawn(&st->rt, spec, &ph, logp, err);
	free(logp);
	return rc;
}

/* The names the session itself gives; everything else in a table was added by a plugin. */
static const char *const own_names[] = { "{workspace}", "{dir}", "{home}", "{port}", "{pid}",
					 "{llm_url}", "{llm_port}" };

static int plugin_added(const char *name, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		if (!strcmp(name, own_names[i]))
			return 0;
	return 1;
}

/* Add path and, when it differs, the path with its symbolic links resolved. */
static int canon_path(struct ph_canon *c, const char *path, const char *name,
		      struct ph_err *err)
{
	char real[PATH_MAX];
	int rc;

	if (!path || !*path)
		return 0;
	if ((rc = ph_canon_add(c, path, name, PH_CANON_SUBSTRING, err)))
		return rc;
	if (realpath(path, real) && strcmp(real, path))
		return ph_canon_add(c, real, name, PH_CANON_SUBSTRING, err);
	return 0;
}

/* Rebuild the side's table from the placeholders its runtime was started with. */
static int canon_rebuild(struct ph_session *s, int side, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	const struct ph_placeholders *ph = &st->rt.ph;
	char num[32], *dir = NULL, *slash;
	int rc = 0;

	if (!st->canon && !(st->canon = ph_canon_new()))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	ph_canon_filter(st->canon, plugin_added, NULL);
	if (ph->workspace && (dir = strdup(ph->workspace)) && (slash = strrchr(dir, '/')) &&
	    slash != dir)
		*slash = '\0';
	else if (dir)
		dir[0] = '\0';
	if (!rc)
		rc = canon_path(st->canon, ph->workspace, "{workspace}", err);
	/* rows the runtime wrote while it was being seeded may name that workspace */
	if (!rc && s->seed_workspace[side])
		rc = canon_path(st->canon, s->seed_workspace[side], "{workspace}", err);
	if (!rc)
		rc = canon_path(st->canon, ph->home, "{home}", err);
	if (!rc && dir && strlen(dir) > 1)
		rc = canon_path(st->canon, dir, "{dir}", err);
	free(dir);
	if (!rc && ph->llm_url && *ph->llm_url) {
		const char *colon = strrchr(ph->llm_url, ':');

		rc = ph_canon_add(st->canon, ph->llm_url, "{llm_url}", PH_CANON_SUBSTRING, err);
		if (!rc && colon && strlen(colon + 1) >= 3 &&
		    strspn(colon + 1, "0123456789") == strlen(colon + 1))
			rc = ph_canon_add(st->canon, colon + 1, "{llm_port}", PH_CANON_NUMBER, err);
	}
	if (!rc && ph->port > 0) {
		snprintf(num, sizeof(num), "%d", ph->port);
		rc = ph_canon_add(st->canon, num, "{port}", PH_CANON_NUMBER, err);
	}
	if (!rc && st->rt.pid > 0) {
		snprintf(num, sizeof(num), "%ld", (long)st->rt.pid);
		if (strlen(num) >= 3)
			rc = ph_canon_add(st->canon, num, "{pid}", PH_CANON_NUMBER, err);
	}
	return rc;
}

struct ph_canon *ph_session_canon(struct ph_session *s, int side)
{
	return s->side[side].canon;
}

/* After wait_healthy succeeded: connect and note the metrics. */
static int connected(struct ph_session *s, int side, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	char *url = fmt("http://127.0.0.1:%d", st->port);

	ph_http_free(st->http);
	st->http = url ? ph_http_new(url, 10000) : NULL;
	free(url);
	if (!st->http)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	st->running = 1;
	free(st->died);
	st->died = NULL;
	st->starts++;
	st->pid = (long)st->rt.pid;
	if (st->rt.startup_ms > st->startup_ms_max)
		st->startup_ms_max = st->rt.startup_ms;
	if (canon_rebuild(s, side, err))
		return err->code;
	ph_session_log(s, "%s: %s healthy on port %d, pid %ld, %.1f ms", roles[side],
		       s->cfg.runtimes[side].name, st->port, st->pid, st->rt.startup_ms);
	return 0;
}

struct waiter {
	struct ph_runtime *rt;
	struct ph_err err;
	int rc;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rc = ph_runtime_wait_healthy(w->rt, &w->err);
	return NULL;
}

/*
 * Start the sides flagged in want on the workspaces ws[], in parallel: fork in this
 * thread, wait for health in one thread per side, and retry on a new port a side that
 * exited before it was healthy (it may have lost its port to another process). A side
 * with a fixed "port" is never moved: that port taken before the start, or the side
 * exiting before healthy, is an error naming the port.
 */
static int start_sides(struct ph_session *s, const int want[2], const char *const ws[2],
		       struct ph_err *err)
{
	int pending[2] = { want[0], want[1] }, tries, i;

	for (tries = 0; tries < START_TRIES && (pending[0] || pending[1]); tries++) {
		struct waiter w[2];
		pthread_t th[2];
		int threaded[2] = { 0, 0 }, rc;

		for (i = 0; i < 2; i++) {
			if (!pending[i])
				continue;
			/* a fixed port never gets here twice: see below */
			if (tries > 0) {
				ph_session_log(s, "%s: exited before healthy on port %d, retrying "
						  "on another port", roles[i], s->side[i].port);
				s->side[i].port = ph_free_port();
				if (s->side[i].port <= 0)
					return ph_error(err, PH_E_IO, "no free loopback port");
			}
		}
		/* before any fork: a process already there would answer the health check */
		for (i = 0; i < 2; i++) {
			if (!pending[i] || s->cfg.runtimes[i].port <= 0 ||
			    !(rc = ph_port_available(s->side[i].port, err)))
				continue;
			ph_error_prefix(err, "%s runtime '%s': runtimes.%s.port", roles[i],
					s->cfg.runtimes[i].name, roles[i]);
			ph_session_stop(s);
			return rc;
		}
		for (i = 0; i < 2; i++) {
			if (!pending[i])
				continue;
			if ((rc = spawn_on(s, i, ws[i], err))) {
				ph_session_stop(s);
				return rc;
			}
		}
		for (i = 0; i < 2; i++) {
			if (!pending[i])
				continue;
			w[i].rt = &s->side[i].rt;
			w[i].rc = 0;
			ph_err_clear(&w[i].err);
			threaded[i] = pthread_create(&th[i], NULL, wait_thread, &w[i]) == 0;
			if (!threaded[i])
				wait_thread(&w[i]);
		}
		for (i = 0; i < 2; i++)
			if (threaded[i])
				pthread_join(th[i], NULL);
		for (i = 0; i < 2; i++) {
			if (!pending[i])
				continue;
			if (!w[i].rc) {
				pending[i] = 0;
				if ((rc = connected(s, i, err)))
					return rc;
			} else if (!s->side[i].rt.exited_early || tries + 1 == START_TRIES ||
				   s->cfg.runtimes[i].port > 0) {
				*err = w[i].err;
				/* a fixed port is not moved: the runtime's parts expect it there */
				if (s->side[i].rt.exited_early && s->cfg.runtimes[i].port > 0)
					ph_error_prefix(err, "fixed port %d (runtimes.%s.port), not "
							"retried on another port",
							s->side[i].port, roles[i]);
				ph_session_stop(s);
				return w[i].rc;
			}
		}
	}
	return 0;
}

int ph_session_start_both(struct ph_session *s, struct ph_err *err)
{
	const int want[2] = { 1, 1 };
	const char *ws[2] = { s->side[0].workspace, s->side[1].workspace };
	int i;

	for (i = 0; i < 2; i++)
		if (s->side[i].running || s->side[i].rt.pid > 0)
			ph_session_stop_side(s, i, 0, NULL);
	return start_sides(s, want, ws, err);
}

int ph_session_start_side(struct ph_session *s, int side, const char *workspace,
			  struct ph_err *err)
{
	int want[2] = { side == 0, side == 1 };
	const char *ws[2];

	if (s->side[side].running || s->side[side].rt.pid > 0)
		ph_session_stop_side(s, side, 0, NULL);
	ws[0] = ws[1] = workspace ? workspace : s->side[side].workspace;
	return start_sides(s, want, ws, err);
}

/*
 * The port side runs on: its config's fixed "port" when it names one, else a free one.
 * A fixed port is only chosen here; start_sides checks that it is free before each start.
 */
static int pick_port(struct ph_session *s, int side, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];

	st->port = s->cfg.runtimes[side].port > 0 ? s->cfg.runtimes[side].port : ph_free_port();
	if (st->port <= 0)
		return ph_error(err, PH_E_IO, "no free loopback port");
	return 0;
}

static int prepare_side(struct ph_session *s, const char *domain, int side, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	struct ph_placeholders ph;
	int rc;

	free(st->dir);
	free(st->workspace);
	free(st->home);
	st->dir = fmt("%s/%s/%s", s->tmp, domain, roles[side]);
	st->workspace = fmt("%s/workspace", st->dir);
	st->home = fmt("%s/home", st->dir);
	if (!st->dir || !st->workspace || !st->home)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = ph_mkdirs(st->dir, err)) || (rc = ph_mkdirs(st->home, err)))
		return rc;
	if ((rc = pick_port(s, side, err)))
		return rc;
	fill_placeholders(s, side, st->workspace, &ph);
	if ((rc = ph_workspace_copy(s->cfg.fixture, st->workspace, &ph, err)))
		return rc;
	return ph_seed_install(s, side, st->workspace, err);
}

int ph_session_start(struct ph_session *s, const char *domain, struct ph_err *err)
{
	const int want[2] = { 1, 1 };
	const char *ws[2];
	int i, rc;

	if ((rc = ph_session_llm_domain(s, domain, err)))
		return rc;
	for (i = 0; i < 2; i++) {
		/* what plugins added belongs to the domain that added it */
		ph_canon_free(s->side[i].canon);
		s->side[i].canon = NULL;
		if ((rc = prepare_side(s, domain, i, err)))
			return rc;
	}
	ws[0] = s->side[0].workspace;
	ws[1] = s->side[1].workspace;
	return start_sides(s, want, ws, err);
}

int ph_session_restart_fresh(struct ph_session *s, const char *domain, const char *label,
			     struct ph_err *err)
{
	const int want[2] = { 1, 1 };
	const char *ws[2];
	char *sub;
	int i, rc = 0;

	if (!*label || strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-_") != strlen(label))
		return ph_error(err, PH_E_INVALID,
				"'%s' is not a pass label (letters, digits, '-' and '_')", label);
	if (!(sub = fmt("%s/%s", domain, label)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < 2; i++)
		ph_session_stop_side(s, i, 0, NULL);
	for (i = 0; i < 2 && !rc; i++)
		rc = prepare_side(s, sub, i, err);
	free(sub);
	if (rc)
		return rc;
	ws[0] = s->side[0].workspace;
	ws[1] = s->side[1].workspace;
	ph_session_log(s, "%s: both runtimes restarted on fresh workspaces (%s)", domain, label);
	return start_sides(s, want, ws, err);
}

int ph_session_stop_side(struct ph_session *s, int side, int hard, struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	int rc = 0;

	if (st->rt.pid > 0) {
		long rss = ph_runtime_rss_kb(&st->rt);
		int was_alive = ph_runtime_alive(&st->rt);

		if (rss > st->rss_kb_max)
			st->rss_kb_max = rss;
		rc = ph_runtime_stop(&st->rt, hard, err);
		/* a runtime that outlives SIGTERM is a defect worth a line, not a silent kill */
		if (!hard && was_alive && WIFSIGNALED(st->rt.exit_status) &&
		    WTERMSIG(st->rt.exit_status) == SIGKILL) {
			ph_session_log(s, "%s runtime '%s' ignored SIGTERM: killed after %ld ms",
				       roles[side], s->cfg.runtimes[side].name,
				       s->cfg.runtimes[side].stop_timeout_ms);
			fprintf(stderr, "parity: %s runtime '%s' ignored SIGTERM: killed after %ld ms "
				"(stop_timeout_ms)\n", roles[side], s->cfg.runtimes[side].name,
				s->cfg.runtimes[side].stop_timeout_ms);
		}
	}
	st->running = 0;
	ph_http_free(st->http);
	st->http = NULL;
	return rc;
}

void ph_session_stop(struct ph_session *s)
{
	ph_session_stop_side(s, 0, 0, NULL);
	ph_session_stop_side(s, 1, 0, NULL);
	ph_session_llm_metrics(s);
}

int ph_session_alive(struct ph_session *s, int side)
{
	struct ph_side_state *st = &s->side[side];

	if (!st->running)
		return 0;
	if (ph_runtime_alive(&st->rt))
		return 1;
	if (!st->died) {
		int status = st->rt.exit_status;

		if (WIFSIGNALED(status))
			st->died = fmt("%s runtime '%s' was killed by signal %d", roles[side],
				       s->cfg.runtimes[side].name, WTERMSIG(status));
		else
			st->died = fmt("%s runtime '%s' exited with status %d", roles[side],
				       s->cfg.runtimes[side].name, WEXITSTATUS(status));
		ph_session_log(s, "%s", st->died ? st->died : "runtime died");
	}
	return 0;
}

void ph_session_release(struct ph_session *s)
{
	int i;

	ph_session_stop(s);
	ph_session_llm_stop(s);
	for (i = 0; i < 2; i++) {
		struct ph_side_state *st = &s->side[i];

		ph_runtime_release(&st->rt);
		ph_session_start_spec_release(s, i);
		json_decref(st->start_opts);
		free(st->dir);
		free(st->workspace);
		free(st->home);
		free(st->llm_url);
		free(st->died);
		ph_canon_free(st->canon);
		free(s->seeded[i]);
		free(s->seed_workspace[i]);
	}
	if (s->tmp) {
		if (s->keep) {
			fprintf(stderr, "parity: workspaces kept in %s\n", s->tmp);
		} else {
			struct ph_err err;

			if (ph_tree_remove(s->tmp, &err))
				fprintf(stderr, "parity: %s\n", err.msg);
		}
	}
	if (s->log)
		fclose(s->log);
	ph_rules_free(s->rules);
	json_decref(s->matrix);
	json_decref(s->params);
	json_decref(s->domain_params);
	ph_config_release(&s->cfg);
	free(s->tmp);
	free(s->out);
	free(s->build);
	memset(s, 0, sizeof(*s));
}
