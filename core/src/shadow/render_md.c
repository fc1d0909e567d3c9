/*
 * The shadow report as Markdown (`parity shadow-report --format md`): a bullet summary,
 * a table of domains, then a table of top fingerprints per domain. Text from the logs
 * (messages, endpoints, paths) is escaped so it cannot break a table.
 */
#include "shadow/shadow_int.h"

/* Markdown cells must not break the table. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void malformed(FILE *f, const char *message)
{
	fprintf(f, "  - `");
	md_cell(f, message);
	fprintf(f, "`\n");
}

static void fp_row(FILE *f, const struct ph_shadow_fp *fp, const char *first, const char *last)
{
	fprintf(f, "| %s | %lu | `", ph_class_name(fp->cls), fp->count);
	md_cell(f, fp->endpoint);
	fprintf(f, "` | `");
	md_cell(f, shadow_fp_path(fp));
	fprintf(f, "` | %s | %s |\n", first, last);
}

static const struct shadow_style md = {
	.title = "# Shadow report\n\n",
	.bullet = "- ",
	.malformed = malformed,
	.table_head = "\n| %s | %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---:|---:|\n",
	.table_row = "| %s | %lu | %lu | %lu | %lu | %lu |\n",
	.total_name = "**total**",
	.fps_head = "\n## %s: top fingerprints\n\n"
		    "| class | count | endpoint | path | first seen | last seen |\n"
		    "|---|---:|---|---|---|---|\n",
	.fp_row = fp_row,
	.result = "\n**Result:** %s\n",
};

void ph_shadow_write_md(const struct ph_shadow *s, FILE *f, size_t top)
{
	shadow_render(s, f, top, &md);
}
