/* mediatype.c */
#include "internal.h"
