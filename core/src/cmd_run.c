/* Placeholder until the 'run' command lands (replaced in this session). */
#include "cli.h"
int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "parity run: not built yet\n");
	return PH_EXIT_NOEVAL;
}
