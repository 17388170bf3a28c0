#ifndef CPQ_SHIM_H
#define CPQ_SHIM_H
// libpq's declarations (Debian: libpq-dev). Only the types are used: custctl loads libpq.so.5 with
// dlopen when a PostgreSQL database is named, so SQLite runs never load it.
#include <postgresql/libpq-fe.h>
#endif
