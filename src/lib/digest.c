/* digest.c */
#include "internal.h"
