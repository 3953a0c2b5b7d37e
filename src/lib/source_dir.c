/* source_dir.c */
#include "internal.h"
