/* source_archive.c */
#include "internal.h"
