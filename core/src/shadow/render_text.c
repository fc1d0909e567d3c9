/*
 * The shadow report as plain text (`parity shadow-report`, the default format): aligned
 * columns for a terminal, fingerprints one a line.
 */
#include "shadow/shadow_int.h"

static void malformed(FILE *f, const char *message)
{
	fprintf(f, "    %s\n", message);
}

static void fp_row(FILE *f, const struct ph_shadow_fp *fp, const char *first, const char *last)
{
	fprintf(f, "    %-10s %8lux  %s  %s  (%s .. %s)\n", ph_class_name(fp->cls), fp->count,
		fp->endpoint, shadow_fp_path(fp), first, last);
}

static const struct shadow_style text = {
	.title = "shadow report\n",
	.bullet = "  ",
	.malformed = malformed,
	.table_head = "\n  %-10s %9s %11s %9s %9s %9s\n",
	.table_row = "  %-10s %9lu %11lu %9lu %9lu %9lu\n",
	.total_name = "total",
	.fps_head = "\n  %s: top fingerprints\n",
	.fp_row = fp_row,
	.result = "\nresult: %s\n",
};

void ph_shadow_write_text(const struct ph_shadow *s, FILE *f, size_t top)
{
	shadow_render(s, f, top, &text);
}
