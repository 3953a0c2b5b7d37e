/* image.c: STUB */
#include "internal.h"
