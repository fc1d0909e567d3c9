/*
 * Loading file trees into JSON for the watcher domain (tree.h): a depth-bounded walk that
 * never follows symlinks, volatile lines masked by the suite's patterns, zlib's crc32 for
 * content that cannot go into a JSON string, and the fingerprints and change lists the
 * plugin uses to see when a runtime's effect appeared.
 */
#define _GNU_SOURCE
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "parity/jsonio.h"

int wt_masks_load(const json_t *list, const char *source, struct wt_masks *out,
		  struct ph_err *err)
{
	size_t i, n = json_array_size(list);
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (!list)
		return 0;
	if (!json_is_array(list))
		return ph_error(err, PH_E_INVALID, "%s: volatile: expected an array", source);
	if (n && !(out->m = calloc(n, sizeof(*out->m))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_array_foreach(list, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *pat = json_string_value(json_object_get(v, "pattern"));
		char why[256];
		int rc;

		if (!name || !pat)
			return ph_error(err, PH_E_INVALID,
					"%s: volatile[%zu]: expected {\"name\": string, \"pattern\": "
					"string}",
					source, i);
		if ((rc = regcomp(&out->m[i].re, pat, REG_EXTENDED | REG_NEWLINE))) {
			regerror(rc, &out->m[i].re, why, sizeof(why));
			return ph_error(err, PH_E_INVALID, "%s: volatile[%zu]: pattern '%s': %s",
					source, i, pat, why);
		}
		if (!(out->m[i].name = strdup(name))) {
			regfree(&out->m[i].re);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
		out->n++;
		if (out->m[i].re.re_nsub != 1)
			return ph_error(err, PH_E_INVALID,
					"%s: volatile[%zu]: pattern '%s' needs exactly one group (the "
					"volatile part), it has %zu",
					source, i, pat, out->m[i].re.re_nsub);
	}
	return 0;
}

void wt_masks_release(struct wt_masks *m)
{
	for (size_t i = 0; i < m->n; i++) {
		regfree(&m->m[i].re);
		free(m->m[i].name);
	}
	free(m->m);
	memset(m, 0, sizeof(*m));
}

static void mode_str(unsigned mode, char buf[8])
{
	snprintf(buf, 8, "%04o", mode & 07777);
}

/* Is the buffer valid UTF-8 without NULs, so jansson takes it as a string? */
static int text_ok(const char *s, size_t n)
{
	json_t *v;

	if (memchr(s, '\0', n) || !(v = json_stringn(s, n)))
		return 0;
	json_decref(v);
	return 1;
}

/* Append line (len bytes, no newline) to out, masked; volatile values go to vol. */
static int mask_line(const char *line, size_t len, const struct wt_masks *masks, json_t *vol,
		     char **out, size_t *out_len, size_t *cap)
{
	char *copy = strndup(line, len);
	const char *emit = copy;
	char *masked = NULL;
	size_t emit_len = len;

	if (!copy)
		return -1;
	for (size_t i = 0; masks && i < masks->n; i++) {
		regmatch_t m[2];
		const char *src = masked ? masked : copy;

		if (regexec(&masks->m[i].re, src, 2, m, 0) || m[1].rm_so < 0)
			continue;
		{
			json_t *arr = json_object_get(vol, masks->m[i].name);
			char *next;

			if (!arr) {
				arr = json_array();
				json_object_set_new(vol, masks->m[i].name, arr);
			}
			json_array_append_new(
			    arr, json_stringn(src + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so)));
			if (asprintf(&next, "%.*s<%s>%s", (int)m[1].rm_so, src, masks->m[i].name,
				     src + m[1].rm_eo) < 0) {
				free(masked);
				free(copy);
				return -1;
			}
			free(masked);
			masked = next;
		}
	}
	if (masked) {
		emit = masked;
		emit_len = strlen(masked);
	}
	if (*out_len + emit_len + 2 > *cap) {
		size_t c = *cap ? *cap : 256;
		char *np;

		while (c < *out_len + emit_len + 2)
			c *= 2;
		if (!(np = realloc(*out, c))) {
			free(masked);
			free(copy);
			return -1;
		}
		*out = np;
		*cap = c;
	}
	memcpy(*out + *out_len, emit, emit_len);
	*out_len += emit_len;
	(*out)[*out_len] = '\0';
	free(masked);
	free(copy);
	return 0;
}

json_t *wt_file_entry(const char *data, size_t len, unsigned mode, const struct wt_masks *masks)
{
	char m[8];
	json_t *e;

	mode_str(mode, m);
	if (!text_ok(data, len)) {
		char crc[16];

		snprintf(crc, sizeof(crc), "%08lx",
			 crc32(crc32(0L, Z_NULL, 0), (const Bytef *)data, (uInt)len));
		return json_pack("{s:s, s:s, s:I, s:s}", "type", "file", "mode", m, "size",
				 (json_int_t)len, "crc32", crc);
	}
	{
		json_t *vol = json_object();
		char *out = NULL;
		size_t out_len = 0, cap = 0, pos = 0;

		if (!vol)
			return NULL;
		while (pos < len) {
			const char *nl = memchr(data + pos, '\n', len - pos);
			size_t ll = nl ? (size_t)(nl - (data + pos)) : len - pos;

			if (mask_line(data + pos, ll, masks, vol, &out, &out_len, &cap)) {
				free(out);
				json_decref(vol);
				return NULL;
			}
			if (nl) {
				out[out_len++] = '\n';
				out[out_len] = '\0';
			}
			pos += ll + (nl ? 1 : 0);
		}
		e = json_pack("{s:s, s:s, s:s#}", "type", "file", "mode", m, "content",
			      out ? out : "", out_len);
		if (e && json_object_size(vol))
			json_object_set(e, "volatile", vol);
		json_decref(vol);
		free(out);
	}
	return e;
}

static int excluded(const json_t *exclude, const char *key)
{
	size_t i;
	const json_t *g;

	json_array_foreach(exclude, i, g)
	{
		const char *pat = json_string_value(g);

		if (pat && !fnmatch(pat, key, 0))
			return 1;
	}
	return 0;
}

static int walk(json_t *tree, const char *dir, const char *key, const json_t *exclude,
		const struct wt_masks *masks, int depth, struct ph_err *err)
{
	DIR *dh;
	struct dirent *e;
	int rc = 0;

	if (depth > WT_MAX_DEPTH)
		return 0;
	if (!(dh = opendir(dir)))
		return errno == ENOENT ? 0 : ph_error(err, PH_E_IO, "cannot read folder '%s': %s",
						      dir, strerror(errno));
	while (!rc && (e = readdir(dh))) {
		char *path = NULL, *k = NULL;
		struct stat st;
		char m[8];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0 ||
		    asprintf(&k, "%s/%s", key, e->d_name) < 0) {
			free(path);
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		if (excluded(exclude, k) || lstat(path, &st)) {
			/* excluded, or gone since readdir (a runtime rewrote it): not there */
		} else if (S_ISDIR(st.st_mode)) {
			mode_str((unsigned)st.st_mode, m);
			json_object_set_new(tree, k, json_pack("{s:s, s:s}", "type", "dir", "mode", m));
			rc = walk(tree, path, k, exclude, masks, depth + 1, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(path, target, sizeof(target) - 1);

			target[n > 0 ? n : 0] = '\0';
			json_object_set_new(tree, k,
					    json_pack("{s:s, s:s?}", "type", "symlink", "target",
						      text_ok(target, strlen(target)) ? target : NULL));
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			struct ph_err ferr;

			if (!ph_file_read(path, 0, &data, &len, &ferr)) {
				json_t *fe = wt_file_entry(data, len, (unsigned)st.st_mode, masks);

				if (!fe)
					rc = ph_error(err, PH_E_NOMEM, "out of memory");
				else
					json_object_set_new(tree, k, fe);
			}
			free(data);
		}
		free(path);
		free(k);
	}
	closedir(dh);
	return rc;
}

int wt_tree_add(json_t *tree, const char *root, const char *prefix, const json_t *exclude,
		const struct wt_masks *masks, struct ph_err *err)
{
	return walk(tree, root, prefix, exclude, masks, 0, err);
}

void wt_fingerprint(const char *path, char *buf, size_t n)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	struct ph_err err;

	if (lstat(path, &st)) {
		snprintf(buf, n, "missing");
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(buf, n, "dir %04o", (unsigned)st.st_mode & 07777);
		return;
	}
	if (!S_ISREG(st.st_mode) || ph_file_read(path, 0, &data, &len, &err)) {
		snprintf(buf, n, "other");
		return;
	}
	snprintf(buf, n, "file %04o %zu %08lx", (unsigned)st.st_mode & 07777, len,
		 crc32(crc32(0L, Z_NULL, 0), (const Bytef *)data, (uInt)len));
	free(data);
}

static int in(const json_t *arr, const char *s)
{
	size_t i;
	const json_t *v;

	json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
	    return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *wt_tree_changes(const json_t *before, const json_t *after, const json_t *skip)
{
	const char **keys = calloc(json_object_size(before) + json_object_size(after) + 1,
				   sizeof(*keys));
	size_t n = 0;
	const char *k;
	json_t *v, *out;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)before, k, v)
	{
		if (!json_equal(v, json_object_get(after, k)) && !in(skip, k))
			keys[n++] = k;
	}
	json_object_foreach((json_t *)after, k, v)
	{
		if (!json_object_get(before, k) && !in(skip, k))
			keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	if ((out = json_array()))
		for (size_t i = 0; i < n; i++)
			json_array_append_new(out, json_string(keys[i]));
	free(keys);
	return out;
}
