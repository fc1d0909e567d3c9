/*
 * Fuzz target: shadow-divergence log parsing. The input is a log: each line goes
 * through ph_shadow_add_line (both writers' formats, malformed lines counted), then the
 * same bytes are read as a file by ph_shadow_read_file with one parsing thread and a
 * short line limit (line cutting, over-long lines, gzip detection and inflation of a
 * corrupt stream; for gzip input and one input in four, as that path is slow), and both aggregates are rendered as JSON, text and Markdown. The
 * domain map is the project's suites/domains.json. The two readings must count the
 * same lines and entries when no line is too long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shadow/shadow.h"

#define MAX_LINE 4096

static struct ph_domain_map *map;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ph_err err;

	(void)argc;
	(void)argv;
	if (ph_domain_map_load(&map, PARITY_SOURCE_DIR "/suites/domains.json", &err)) {
		fprintf(stderr, "fuzz_shadow: %s\n", err.msg);
		abort();
	}
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static void render(struct ph_shadow *s)
{
	json_t *j = ph_shadow_to_json(s);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	const struct ph_shadow_fp **fps;
	size_t n;

	free(text);
	json_decref(j);
	ph_shadow_write_text(s, devnull, 0);
	ph_shadow_write_md(s, devnull, 3);
	fps = ph_shadow_sorted(s, &n);
	free(fps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_shadow s, f;
	struct ph_shadow_pos at = { 0, 0 };
	const char *p = (const char *)data, *end = p + size;
	struct ph_err err;
	const char *path;
	int long_line = 0, gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	if (!map)
		LLVMFuzzerInitialize(NULL, NULL);
	ph_shadow_init(&s, map, NULL);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		at.line++;
		if (len > MAX_LINE)
			long_line = 1;
		if (ph_shadow_add_line(&s, "fuzz.jsonl", at, p, len))
			break;
		p += len + (nl ? 1 : 0);
	}
	render(&s);

	/* the file reader sets up 1 MiB blocks per call: one input in four (and every gzip
	 * stream) takes that path, so the line parser gets most of the time */
	if (!gz && size % 4) {
		ph_shadow_release(&s);
		return 0;
	}
	path = fz_scratch_file("shadow.jsonl", data, size);
	ph_shadow_init(&f, map, NULL);
	f.threads = 1;
	f.max_line = MAX_LINE;
	if (!ph_shadow_read_file(&f, path, &err)) {
		render(&f);
		if (!gz && !long_line && !memchr(data, '\r', size) &&
		    (f.lines != s.lines || f.entries != s.entries))
			abort(); /* the two readings disagree */
	}
	ph_shadow_release(&f);
	ph_shadow_release(&s);
	return 0;
}
