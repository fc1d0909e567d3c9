/*
 * A runtime's process tree read from /proc (runtime.h): the leader, its process group
 * and every descendant, also one that left the group, with CPU ticks and resident
 * memory, for the performance samples (measure/perf.c) and the runtime's RSS.
 */
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
