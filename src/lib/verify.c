/* verify.c: STUB */
#include "internal.h"
