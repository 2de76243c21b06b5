#ifndef CHEAPSTATS_H
#define CHEAPSTATS_H

#include <stddef.h>

/// Bytes the C heap has handed out and not had back (glibc `mallinfo2`: arena plus mmapped blocks); 0 elsewhere.
size_t cheapstats_heap_in_use(void);

/// Returns freed heap pages to the system (glibc `malloc_trim(0)`), so the resident set reflects what is in use.
void cheapstats_trim(void);

#endif
