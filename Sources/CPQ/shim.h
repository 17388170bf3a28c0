#ifndef CPQ_SHIM_H
#define CPQ_SHIM_H
// libpq (Debian: libpq-dev), the PostgreSQL client library.
#include <libpq-fe.h>
#endif
