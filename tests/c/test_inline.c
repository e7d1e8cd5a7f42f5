/* "workers": 0: the library starts no worker thread; every submit's pipeline, callbacks
 * included, runs on the thread that calls mapi_request_submit, and the response is complete
 * when it returns. mapi_configure refuses unknown keys and bad values (naming them), and every
 * call once a session has opened (MAPI_ERR_TOO_LATE, nothing changed). */
#define _GNU_SOURCE
#include "check.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>

static pthread_t main_thread;
static int calls = 0, calls_elsewhere = 0;

/* Returns its records, noting which thread it runs on; 4 MiB of automatic storage. */
static mapi_status on_caller(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    if (pthread_equal(pthread_self(), main_thread)) calls++;
    else calls_elsewhere++;
    volatile char big[4 << 20];
    memset((char *)big, 1, sizeof big);
    const mapi_record_list *in = mapi_call_records(call);
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        mapi_record *out;
        int64_t x = 0;
        mapi_record_get_int(mapi_record_list_get(in, i), "x", &x);
        mapi_status s = mapi_call_add_record(call, &out);
        if (s != MAPI_OK) return s;
        mapi_record_set_int(out, "x", x + big[0]);
    }
    return MAPI_OK;
}

static int on_caller_condition(const mapi_record *record, const char *field, const char *value, void *user_data) {
    (void)record;
    (void)field;
    (void)value;
    (void)user_data;
    if (pthread_equal(pthread_self(), main_thread)) calls++;
    else calls_elsewhere++;
    return 1;
}

/* Threads of this process whose name starts with "mapi-". */
static int library_threads(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(name, sizeof name, f) && strncmp(name, "mapi-", 5) == 0) n++;
        fclose(f);
    }
    if (d) closedir(d);
    return n;
}

static const char *MANIFEST =
    "{\"plugin\": \"parallel\", \"constructor\": {"
    " \"schema\": {\"plugin\": \"default\", \"constructor\": {"
    "   \"fields\": [{\"id\": \"x\", \"type\": \"integer\", \"required\": true}],"
    "   \"conditions\": [{\"id\": \"mine\", \"type\": \"comparison\", \"operator\": \"on-caller-condition\", \"field\": \"x\"}]}},"
    " \"container\": {\"plugin\": \"default\", \"constructor\": {\"collections\": [{\"id\": \"c\", \"fields\": [\"x\"]}]}},"
    " \"protocol\": {\"plugin\": \"default\", \"constructor\": {\"endpoints\": ["
    "   {\"plugin\": \"on-caller\", \"connections\": [{\"id\": \"one\", \"collections\": [\"c\"]}, {\"id\": \"two\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"three\", \"collections\": [\"c\"]}]}]}}}}";

int main(void) {
    main_thread = pthread_self();
    /* Refusals name what is wrong and change nothing. */
    CHECK_STATUS(mapi_configure("{\"threads\": 2}"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("unknown key \"threads\"");
    CHECK_STATUS(mapi_configure("{\"workers\": -1}"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("\"workers\"");
    CHECK_STATUS(mapi_configure("{\"stack-bytes\": \"12X\"}"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("\"stack-bytes\"");
    CHECK_STATUS(mapi_configure("[]"), MAPI_ERR_JSON);
    CHECK_STATUS(mapi_configure(NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_configure("{\"workers\": 0, \"stack-bytes\": \"16M\"}"), MAPI_OK);

    CHECK_STATUS(mapi_register_endpoint("on-caller", on_caller, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_condition("on-caller-condition", on_caller_condition, NULL), MAPI_OK);
    mapi_session *s = NULL;
    CHECK_STATUS(mapi_session_open_json(MANIFEST, NULL, &s), MAPI_OK);
    if (!s) return 1;
    /* Fixed now: refused, nothing changed. */
    CHECK_STATUS(mapi_configure("{\"workers\": 4}"), MAPI_ERR_TOO_LATE);
    CHECK_ERROR_HAS("before any session opens");
    char config[256];
    CHECK_STATUS(mapi_configuration(config, sizeof config, NULL), MAPI_OK);
    CHECK(strstr(config, "\"workers\":0") != NULL);
    CHECK(strstr(config, "\"stack-bytes\":16777216") != NULL);

    mapi_request *req;
    mapi_record *r;
    mapi_response *resp;
    CHECK_STATUS(mapi_request_new(s, &req), MAPI_OK);
    for (int round = 0; round < 3; round++) {
        /* Enough records for the parallel session to split validation, were there workers. */
        for (int i = 0; i < 3000; i++) {
            CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);
            CHECK_STATUS(mapi_record_set_int(r, "x", i), MAPI_OK);
            CHECK_STATUS(mapi_record_set_condition_int(r, "mine", 0), MAPI_OK);
        }
        CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
        /* Complete already: the pipeline ran inside submit. */
        CHECK(mapi_response_is_complete(resp) == 1);
        CHECK(mapi_response_record_count(resp) == 9000);
        CHECK(mapi_response_rejection_count(resp) == 0);
        int64_t x = -1;
        mapi_record_get_int(mapi_response_record(resp, 2999), "x", &x);
        CHECK(x == 3000);
        mapi_response_free(resp);
        CHECK_STATUS(mapi_request_clear(req), MAPI_OK);
    }
    printf("callbacks on the submitting thread: %d, elsewhere: %d; library threads: %d\n", calls,
           calls_elsewhere, library_threads());
    CHECK(calls == 3 * (2 + 3000));
    CHECK(calls_elsewhere == 0);
    CHECK(library_threads() == 0);
    mapi_request_free(req);
    mapi_session_free(s);
    if (failures == 0) printf("inline OK\n");
    return failures != 0;
}
