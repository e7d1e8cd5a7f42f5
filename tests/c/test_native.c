/* `native` plugins: a shared library loaded with dlopen, by path and symbol. */
#include "check.h"

#include <stdlib.h>

#ifndef MAPI_NATIVE_DIR
#define MAPI_NATIVE_DIR "."
#endif

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"value\", \"type\": \"integer\", \"required\": true}],"
    " \"conditions\": [{\"id\": \"multiple\", \"type\": \"comparison\", \"field\": \"value\","
    "                   \"operator\": \"gov.noaa.messageapi.conditions.NativeCondition\","
    "                   \"constructor\": {\"native-library\": \"libmapi_native_test.so\", \"symbol\": \"native_multiple_of\"}}],"
    " \"collections\": [{\"id\": \"values\", \"fields\": [\"value\"]}],"
    " \"transformations\": [{\"id\": \"evens\", \"operator\": \"native\","
    "     \"constructor\": {\"native-library\": \"{}/libmapi_native_test.so\", \"symbol\": \"native_evens\"},"
    "     \"records\": {\"in\": {\"COLLECTION\": \"values\"}}}],"
    " \"endpoints\": ["
    "   {\"plugin\": \"gov.noaa.messageapi.endpoints.NativeEndpoint\", \"connections\": [{\"id\": \"doubler\", \"collections\": [\"values\"],"
    "     \"constructor\": {\"native-library\": \"libmapi_native_test.so\", \"symbol\": \"native_doubler\","
    "                       \"default-fields\": [{\"id\": \"doubled\", \"type\": \"integer\"}, {\"id\": \"calls\", \"type\": \"integer\"}],"
    "                       \"state-container\": [{\"id\": \"calls\", \"type\": \"integer\", \"value\": 0}]}}]},"
    "   {\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"evens-only\", \"transformations\": [\"evens\"]}]}]}";

static mapi_response *run(mapi_request *req) {
    mapi_response *resp;
    mapi_request_submit(req, &resp);
    CHECK_STATUS(mapi_response_wait(resp, -1), MAPI_OK);
    return resp;
}

int main(void) {
    /* The host allows native code from the plug-in's directory (nothing else is loaded). */
    char consent[1024];
    snprintf(consent, sizeof consent, "{\"native-plugin-dirs\": [\"%s\"]}", MAPI_NATIVE_DIR);
    CHECK_STATUS(mapi_configure(consent), MAPI_OK);
    mapi_session *session;
    /* base_dir resolves the relative library path; {} is the root (here the same directory). */
    CHECK_STATUS(mapi_session_open_json(MANIFEST, MAPI_NATIVE_DIR, &session), MAPI_OK);
    if (failures) return 1;
    mapi_request *req;
    mapi_request_new(session, &req);
    for (int v = 1; v <= 4; v++) {
        mapi_record *r;
        mapi_request_add_record(req, &r);
        mapi_record_set_int(r, "value", v);
        if (v == 3) mapi_record_set_condition_int(r, "multiple", 2); /* 3 is not a multiple of 2 */
        if (v == 4) mapi_record_set_condition_int(r, "multiple", 2);
    }
    mapi_response *resp = run(req);
    /* 1, 2, 4 pass; doubler gives 2, 4, 8; evens gives 2, 4. */
    const mapi_record_list *out = mapi_response_records(resp);
    CHECK(mapi_record_list_count(out) == 5);
    int64_t want[] = {2, 4, 8};
    for (int i = 0; i < 3 && i < (int)mapi_record_list_count(out); i++) {
        int64_t d = 0, calls = 0;
        CHECK_STATUS(mapi_record_get_int(mapi_record_list_get(out, i), "doubled", &d), MAPI_OK);
        CHECK_STATUS(mapi_record_get_int(mapi_record_list_get(out, i), "calls", &calls), MAPI_OK);
        CHECK(d == want[i] && calls == 1);
    }
    int64_t v = 0;
    CHECK_STATUS(mapi_record_get_int(mapi_record_list_get(out, 3), "value", &v), MAPI_OK);
    CHECK(v == 2);
    CHECK(mapi_response_rejection_count(resp) == 1);
    mapi_response_free(resp);

    /* Stream mode: the native endpoint's state counts submits of this request. */
    mapi_request_clear(req);
    mapi_record *r;
    mapi_request_add_record(req, &r);
    mapi_record_set_int(r, "value", 10);
    resp = run(req);
    int64_t calls = 0;
    CHECK_STATUS(mapi_record_get_int(mapi_record_list_get(mapi_response_records(resp), 0), "calls", &calls), MAPI_OK);
    CHECK(calls == 2);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);

    /* A native endpoint that rejects one record itself, then fails: that record keeps its
     * reason, every other routed record is rejected once naming the connection, and the
     * output it added before failing is not returned. */
    const char *failing =
        "{\"fields\": [{\"id\": \"value\", \"type\": \"integer\", \"required\": true}],"
        " \"collections\": [{\"id\": \"values\", \"fields\": [\"value\"]}],"
        " \"endpoints\": [{\"plugin\": \"native\", \"connections\": [{\"id\": \"store\", \"collections\": [\"values\"],"
        "     \"constructor\": {\"native-library\": \"libmapi_native_test.so\", \"symbol\": \"native_rejects_one_then_fails\"}}]}]}";
    CHECK_STATUS(mapi_session_open_json(failing, MAPI_NATIVE_DIR, &session), MAPI_OK);
    mapi_request_new(session, &req);
    for (int v = 1; v <= 3; v++) {
        mapi_request_add_record(req, &r);
        mapi_record_set_int(r, "value", v);
    }
    resp = run(req);
    CHECK(mapi_response_record_count(resp) == 0);
    CHECK(mapi_response_rejection_count(resp) == 3);
    int own = 0, named = 0;
    for (size_t i = 0; i < mapi_response_rejection_count(resp); i++) {
        const char *reason = mapi_response_rejection_reason(resp, i, 0);
        int64_t value = 0;
        mapi_record_get_int(mapi_response_rejection_record(resp, i), "value", &value);
        if (strcmp(reason, "value 1 is reserved") == 0 && value == 1) own++;
        if (strcmp(reason, "connection store: native store unavailable") == 0 && value > 1) named++;
    }
    CHECK(own == 1 && named == 2);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);

    /* A missing library names the path; a missing symbol names the symbol. */
    mapi_session *bad = NULL;
    const char *missing =
        "{\"fields\": [], \"collections\": [], \"endpoints\": [{\"plugin\": \"native\", \"connections\": [{\"id\": \"c\","
        "  \"constructor\": {\"native-library\": \"/no/such/libplugin.so\", \"symbol\": \"f\"}}]}]}";
    CHECK_STATUS(mapi_session_open_json(missing, MAPI_NATIVE_DIR, &bad), MAPI_ERR_IO);
    CHECK_ERROR_HAS("/no/such/libplugin.so");
    const char *no_symbol =
        "{\"fields\": [], \"collections\": [], \"endpoints\": [{\"plugin\": \"native\", \"connections\": [{\"id\": \"c\","
        "  \"constructor\": {\"native-library\": \"libmapi_native_test.so\", \"symbol\": \"no_such_function\"}}]}]}";
    CHECK_STATUS(mapi_session_open_json(no_symbol, MAPI_NATIVE_DIR, &bad), MAPI_ERR_UNKNOWN_PLUGIN);
    CHECK_ERROR_HAS("no symbol \"no_such_function\"");
    CHECK(bad == NULL);
    if (failures == 0) printf("native OK\n");
    return failures != 0;
}
