/* descriptor.c */
#include "internal.h"
