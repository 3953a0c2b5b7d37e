#include "cli.h"
int cmd_platform(int argc, char **argv) { (void)argc; (void)argv; return 2; }
