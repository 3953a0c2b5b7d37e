/* docker_archive.c: STUB */
#include "internal.h"
