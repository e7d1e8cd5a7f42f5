/* A plug-in library whose initialiser leaves a marker file (at MAPI_TEST_MARKER, else at the
 * path compiled in as MARKER_PATH): a test sees whether the library was ever loaded. */
#include <messageapi.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void leave_marker(void) {
    const char *path = getenv("MAPI_TEST_MARKER");
#ifdef MARKER_PATH
    path = MARKER_PATH;
#endif
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("loaded\n", f);
        fclose(f);
    }
}

/* An endpoint that returns nothing (the manifest needs a symbol to name). */
mapi_status marker_endpoint(mapi_endpoint_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return MAPI_OK;
}
