// The header compiles on its own as C++11 (-pedantic), with C linkage for every function.
#include <messageapi.h>
#include <cstdio>
#include <cstring>

int main() {
    mapi_endpoint_fn fn = nullptr;
    (void)fn;
    if (mapi_abi_version() != MAPI_ABI_VERSION || std::strcmp(mapi_status_name(MAPI_ERR_MANIFEST), "MAPI_ERR_MANIFEST") != 0) {
        std::printf("FAILED\n");
        return 1;
    }
    std::printf("header OK (C++)\n");
    return 0;
}
