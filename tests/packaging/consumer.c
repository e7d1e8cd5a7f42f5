/* A program built against the installed package (CMake or pkg-config). */
#include <messageapi.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    const char *manifest =
        "{\"fields\": [{\"id\": \"greeting\", \"type\": \"string\", \"required\": true}],"
        " \"collections\": [{\"id\": \"all\", \"fields\": [\"greeting\"]}],"
        " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"e\", \"collections\": \"*\"}]}]}";
    mapi_session *session;
    mapi_request *request;
    mapi_record *record;
    mapi_response *response;
    if (mapi_abi_version() != MAPI_ABI_VERSION) { printf("FAILED: ABI %d vs %d\n", mapi_abi_version(), MAPI_ABI_VERSION); return 1; }
    if (mapi_session_open_json(manifest, NULL, &session) != MAPI_OK) { printf("FAILED: open\n"); return 1; }
    mapi_request_new(session, &request);
    mapi_request_add_record(request, &record);
    mapi_record_set_string(record, "greeting", "hello");
    mapi_request_submit(request, &response);
    mapi_response_wait(response, -1);
    const mapi_record *out = mapi_record_list_get(mapi_response_records(response), 0);
    char text[16] = "";
    mapi_record_copy_string(out, "greeting", text, sizeof text, NULL);
    int ok = strcmp(text, "hello") == 0;
    mapi_response_free(response);
    mapi_request_free(request);
    mapi_session_free(session);
    printf(ok ? "consumer OK (messageapi %s)\n" : "FAILED: got %s\n", ok ? mapi_version() : text);
    return !ok;
}
