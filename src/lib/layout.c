/* layout.c */
#include "internal.h"
