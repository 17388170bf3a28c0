/* The bcrypt reference for `make bench`: one crypt_rn of a password at the cost in argv[1], through
   the same libxcrypt custctl uses. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    unsigned long cost = argc > 1 ? strtoul(argv[1], NULL, 10) : 12;
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", cost, NULL, 0, setting, sizeof setting)) return 1;
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data) return 1;
    const char *hash = crypt_rn("Tr1cky-Falcon-Orbit", setting, data, sizeof *data);
    int ok = hash && hash[0] != '*';
    free(data);
    return ok ? 0 : 1;
}
