#ifndef CCRYPT_SHIM_H
#define CCRYPT_SHIM_H
// libxcrypt (Debian: libcrypt-dev): crypt_rn, crypt_gensalt_rn and struct crypt_data.
#include <crypt.h>
#endif
