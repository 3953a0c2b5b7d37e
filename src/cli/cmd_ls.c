#include "cli.h"
int cmd_ls(int argc, char **argv) { (void)argc; (void)argv; return 2; }
