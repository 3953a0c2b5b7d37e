/* resolve.c */
#include "internal.h"
