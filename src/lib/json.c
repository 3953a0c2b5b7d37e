/* json.c */
#include "internal.h"
