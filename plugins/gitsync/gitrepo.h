/*
 * The git side of the gitsync domain, on libgit2: make a workspace a repository with a
 * baseline commit and a local bare remote, change workspace files, add commits to a
 * remote as another clone would, and observe what a runtime committed since a point
 * (new commits with their messages normalised, the paths they changed with blob hashes
 * after masking volatile lines, the protected .gitignore entries, and whether any commit
 * holds a file that must never be committed). Observations are JSON so the core's
 * comparison engine compares them under the rules. Nothing here knows about the host.
 * gitrepo.c holds the repository work, worktree.c the changes to a workspace's files.
 */
#ifndef GITSYNC_GITREPO_H
#define GITSYNC_GITREPO_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

#define GS_OID_HEX 41 /* 40 hex digits and the NUL */

/* What an observation masks, skips and checks; every member borrowed, NULL for none. */
struct gs_opts {
	const json_t *mask_lines; /* array of fnmatch globs: whole lines they match are masked */
	const json_t *skip_paths; /* array of fnmatch globs: paths left out of changes */
	const json_t *forbidden;  /* array of paths no commit may hold (the database, WAL) */
	const json_t *protected_entries; /* array of entries .gitignore must hold */
	const char *gitignore_header;	 /* the header line they sit under, or NULL */
};

/* Start and stop libgit2 (reference counted by libgit2 itself). */
void gs_git_init(void);
void gs_git_shutdown(void);

/*
 * Make ws a repository on branch with one baseline commit of its files (skipping forbidden
 * paths and skip_paths; fixed author and date), create a bare repository at remote, add it
 * as remote "origin", give it the branch (objects copied: a push without libgit2's
 * remote machinery) and set it as the branch's upstream. Either
 * repository may not exist yet. Returns 0 or a negative PH_E_* with err naming the step.
 */
int gs_repo_setup(const char *ws, const char *remote, const char *branch, const struct gs_opts *o,
		  struct ph_err *err);

/*
 * The commit ref (e.g. "HEAD", "refs/heads/main") resolves to in the repository at path,
 * as hex into hex; "" when the ref does not exist or is unborn. Returns 0 or PH_E_*.
 */
int gs_head(const char *path, const char *ref, char hex[GS_OID_HEX], struct ph_err *err);

/*
 * Observe the repository at path: the commits reachable from ref but not from since
 * ("" or NULL: all), oldest first. *obs is a new object:
 *   {head, count, messages: [normalised first lines], oids: [their commit ids],
 *    stamps: [the raw YYYY-MM-DDTHH-MM-SS a message began with, or null],
 *    changes: {path: "<mode> <blob>" | "deleted"}  (since's tree against ref's tree),
 *    forbidden: {path: true when any of the new commits holds it},
 *    gitignore: {committed, header, entries: {entry: present}}  (ref's .gitignore)}.
 * Blob hashes of files with a line matching mask_lines are hashes of the masked content.
 */
int gs_observe(const char *path, const char *ref, const char *since, const struct gs_opts *o,
	       json_t **obs, struct ph_err *err);

/*
 * Add one commit on branch of the bare repository at bare, as a push from another clone:
 * files is {path: content} (content a string; null deletes the path) applied to the
 * branch's tree; author and date are fixed so both remotes get the same commit.
 */
int gs_remote_commit(const char *bare, const char *branch, const json_t *files, const char *message,
		     struct ph_err *err);

/*
 * Apply changes to workspace ws: {"write": {path: content}, "append": {path: text},
 * "delete": [path]}; parent folders are made as needed. Paths must stay inside ws
 * (no "..", not absolute).
 */
int gs_apply_changes(const char *ws, const json_t *changes, struct ph_err *err);

/* Is p a relative path that stays inside its folder (no "..", no empty segment)? */
int gs_safe_path(const char *p);

/*
 * The first line of a commit message with the upstream auto-commit timestamp
 * (`YYYY-MM-DDTHH-MM-SS` at its start) replaced by "<ts>", into out (always terminated).
 */
void gs_message_normalise(const char *msg, char *out, size_t n);

#endif
