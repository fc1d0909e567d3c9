/*
 * The one file that talks to libltdl. Every handle holds one reference on ltdl's own
 * initialisation count (lt_dlinit/lt_dlexit nest), so the library is set up on the first
 * open and torn down after the last close, and nothing else in the core needs to know.
 * Plugins are opened with local symbol visibility: one plugin never resolves against
 * another's symbols.
 */
#include "plugin/dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

struct ph_dl {
	lt_dlhandle h;
};

/*
 * lt_dlerror's text may live in a buffer that the lt_dlexit below releases, so the
 * reason for a failed open is kept here until the next failed open.
 */
static char why_buf[1024];

static const char *keep_why(const char *e, const char *fallback)
{
	snprintf(why_buf, sizeof(why_buf), "%s", e ? e : fallback);
	return why_buf;
}

/*
 * libltdl reports every failed open as "file not found": it tries its loaders in turn
 * and the last one overwrites the dynamic linker's reason. Keep ltdl's text, and say
 * what really went wrong: the system error when the file cannot be reached, else the
 * dynamic linker's own reason (bad ELF header, missing library), asked for by a second,
 * diagnostic dlopen that only runs after ltdl already failed.
 */
static const char *explain(const char *path, const char *lt_why)
{
	struct stat st;
	size_t used;

	keep_why(lt_why, "unknown error");
	used = strlen(why_buf);
	if (stat(path, &st) != 0) {
		snprintf(why_buf + used, sizeof(why_buf) - used, " (%s)", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		snprintf(why_buf + used, sizeof(why_buf) - used, " (%s)", strerror(EISDIR));
	} else {
		void *h;
		const char *e;

		(void)dlerror();
		h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
		e = h ? NULL : dlerror();
		if (h)
			dlclose(h);
		if (e)
			snprintf(why_buf + used, sizeof(why_buf) - used,
				 "; the dynamic linker says: %s", e);
	}
	return why_buf;
}

struct ph_dl *ph_dl_open(const char *path, const char **why)
{
	struct ph_dl *dl;
	lt_dladvise advise;
	const char *e;

	if (why)
		*why = NULL;
	if (lt_dlinit() != 0) {
		e = lt_dlerror();
		if (why)
			*why = keep_why(e, "cannot initialise libltdl");
		return NULL;
	}
	dl = calloc(1, sizeof(*dl));
	if (!dl) {
		lt_dlexit();
		if (why)
			*why = "out of memory";
		return NULL;
	}
	if (lt_dladvise_init(&advise) == 0) {
		/* try the name as given, then with .la/.so appended; keep symbols private */
		lt_dladvise_ext(&advise);
		lt_dladvise_local(&advise);
		dl->h = lt_dlopenadvise(path, advise);
		lt_dladvise_destroy(&advise);
	} else {
		dl->h = lt_dlopenext(path);
	}
	if (!dl->h) {
		e = lt_dlerror();
		if (why)
			*why = explain(path, e);
		free(dl);
		lt_dlexit();
		return NULL;
	}
	return dl;
}

void *ph_dl_sym(struct ph_dl *dl, const char *symbol)
{
	void *p;

	if (!dl || !symbol)
		return NULL;
	p = lt_dlsym(dl->h, symbol);
	if (!p)
		(void)lt_dlerror(); /* clear it: absence is an answer, not a pending error */
	return p;
}

void ph_dl_close(struct ph_dl *dl)
{
	if (!dl)
		return;
	lt_dlclose(dl->h);
	free(dl);
	lt_dlexit();
}
