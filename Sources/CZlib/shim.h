// zlib's deflate and inflate, for `.tar.gz` policy bundles.
#include <zlib.h>
