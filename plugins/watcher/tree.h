/*
 * File trees for the watcher domain: what a runtime left on disk, as JSON the comparison
 * engine walks. A tree is an object keyed by "<prefix>/<relative path>" ("workspace/SOUL.md",
 * "home/.config/opencode/AGENTS.md"); each value says what is there: {type: "file", mode,
 * content, volatile?}, {type: "file", mode, size, crc32} for content that is not UTF-8,
 * {type: "dir", mode} or {type: "symlink", target}. Volatile lines (the `Generated: <time>`
 * line of generated headers) are masked by the suite's patterns: the captured part is
 * replaced by "<name>" in content and kept under volatile.<name>, which the rules ignore.
 * Also the fingerprints the plugin polls to see when an effect appears.
 */
#ifndef WATCHER_TREE_H
#define WATCHER_TREE_H

#include <regex.h>
#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* Deepest folder nesting a tree walk descends into. */
#define WT_MAX_DEPTH 32

/* One volatile-line pattern: a POSIX extended regex with one capture group. */
struct wt_mask {
	char *name;
	regex_t re;
};

struct wt_masks {
	struct wt_mask *m;
	size_t n;
};

/*
 * Compile list, an array of {name, pattern} (pattern with exactly one group), into out.
 * source names the list in messages. Release with wt_masks_release, also on failure.
 */
int wt_masks_load(const json_t *list, const char *source, struct wt_masks *out,
		  struct ph_err *err);

void wt_masks_release(struct wt_masks *m);

/*
 * The entry for one file's content (borrowed) and mode bits: content masked line by line,
 * the captured values under volatile.<name> (in order). New reference, NULL on OOM.
 */
json_t *wt_file_entry(const char *data, size_t len, unsigned mode, const struct wt_masks *masks);

/*
 * Add what lies under root to tree as "<prefix>/<relative path>" entries. Paths matching a
 * glob of exclude (an array of fnmatch patterns on the prefixed path; may be NULL) are left
 * out with everything beneath them. A missing root adds nothing. Symlinks are not followed.
 */
int wt_tree_add(json_t *tree, const char *root, const char *prefix, const json_t *exclude,
		const struct wt_masks *masks, struct ph_err *err);

/*
 * What is at path now, as a short string to tell changes apart: "missing", "dir <mode>",
 * "link", or "file <mode> <size> <crc32>". Writes into buf (n >= 64).
 */
void wt_fingerprint(const char *path, char *buf, size_t n);

/*
 * The keys whose entries differ between before and after (added, removed or changed),
 * sorted, leaving out those in skip (an array of keys; may be NULL). New array.
 */
json_t *wt_tree_changes(const json_t *before, const json_t *after, const json_t *skip);

#endif
