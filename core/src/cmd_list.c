/* Placeholder until the 'list' command lands (replaced in this session). */
#include "cli.h"
int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "parity list: not built yet\n");
	return PH_EXIT_NOEVAL;
}
