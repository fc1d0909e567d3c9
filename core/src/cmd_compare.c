/* Placeholder until the 'compare' command lands (replaced in this session). */
#include "cli.h"
int cmd_compare(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "parity compare: not built yet\n");
	return PH_EXIT_NOEVAL;
}
