/* main.c: the thin entry point; everything else is in libmuster. */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
