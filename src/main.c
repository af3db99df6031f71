/* main.c: the thin entry point; everything else is in libmuster. */
#include "cli.h"
#include "pool.h"

int
main(int argc, char **argv)
{
	int rc = cli_main(argc, argv);

	pool_shutdown();
	return rc;
}
