/* The header compiles on its own as C99 (-pedantic), and its macros match the library. */
#include <messageapi.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", MAPI_VERSION_MAJOR, MAPI_VERSION_MINOR, MAPI_VERSION_PATCH);
    if (mapi_abi_version() != MAPI_ABI_VERSION || strcmp(mapi_version(), version) != 0) {
        printf("FAILED: header %s / ABI %d, library %s / ABI %d\n", version, MAPI_ABI_VERSION, mapi_version(), mapi_abi_version());
        return 1;
    }
    printf("header OK (C, %s)\n", version);
    return 0;
}
