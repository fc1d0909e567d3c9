/*
 * The watcher suite's settings (suites/watcher/watcher.json "settings"): the debounce the
 * runtimes are expected to use and the waits derived from it, what the trees leave out,
 * the setup steps and the volatile-line masks (watcher.h struct wt_settings).
 */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "watcher.h"

long wt_num(const json_t *o, const char *key, long dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long)json_number_value(v) : dflt;
}

int wt_settings_load(const char *suite_dir, struct wt_settings *s, struct ph_err *err)
{
	char *path = NULL;
	const json_t *set;
	int rc;

	memset(s, 0, sizeof(*s));
	if (asprintf(&path, "%s/watcher.json", suite_dir) < 0)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (access(path, F_OK) == 0) {
		if ((rc = ph_json_load_file(path, &s->doc, err))) {
			free(path);
			return rc;
		}
	} else {
		s->doc = json_object();
	}
	set = json_object_get(s->doc, "settings");
	if (set && !json_is_object(set)) {
		rc = ph_error(err, PH_E_INVALID, "%s: settings: expected an object", path);
		free(path);
		return rc;
	}
	s->debounce_ms = wt_num(set, "debounce_ms", 2000);
	s->deadline_ms = wt_num(set, "deadline_ms", 2 * s->debounce_ms + 2000);
	s->quiet_ms = wt_num(set, "quiet_ms", s->debounce_ms + 1000);
	s->settle_ms = wt_num(set, "settle_ms", 300);
	s->poll_ms = wt_num(set, "poll_ms", 20);
	s->tolerance_ms = wt_num(set, "latency_tolerance_ms", 400);
	s->exclude = json_object_get(set, "exclude");
	s->setup = json_object_get(set, "setup");
	if (s->exclude && !json_is_array(s->exclude))
		rc = ph_error(err, PH_E_INVALID, "%s: settings.exclude: expected an array", path);
	else if (s->setup && !json_is_array(s->setup))
		rc = ph_error(err, PH_E_INVALID, "%s: settings.setup: expected an array of steps",
			      path);
	else
		rc = wt_masks_load(json_object_get(set, "volatile"), path, &s->masks, err);
	free(path);
	return rc;
}

void wt_settings_release(struct wt_settings *s)
{
	wt_masks_release(&s->masks);
	json_decref(s->doc);
	memset(s, 0, sizeof(*s));
}
