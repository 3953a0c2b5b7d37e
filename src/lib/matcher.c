/* matcher.c */
#include "internal.h"
