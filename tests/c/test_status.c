/* Every status code reachable from C, provoked at least once, with the last-error contract. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"name\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"n\", \"type\": \"integer\", \"required\": false},"
    "              {\"id\": \"x\", \"type\": \"double\", \"required\": false}],"
    " \"conditions\": [{\"id\": \"n-small\", \"type\": \"comparison\", \"operator\": \"<\", \"field\": \"n\"}],"
    " \"collections\": [{\"id\": \"all\", \"fields\": [\"name\", \"n\", \"x\"]}],"
    " \"transformations\": [{\"id\": \"bad\", \"operator\": \"test-failing-transformation\", \"records\": {\"in\": {\"COLLECTION\": \"all\"}}}],"
    " \"endpoints\": [{\"plugin\": \"test-slow\", \"connections\": [{\"id\": \"slow\", \"collections\": [\"all\"]}]},"
    "               {\"plugin\": \"test-asks-bad\", \"connections\": [{\"id\": \"asks\", \"collections\": [\"all\"]}]}]}";

static mapi_status seen_by_transformation_call = -1;
static int log_calls = 0;

static mapi_status slow(mapi_endpoint_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
    return MAPI_OK;
}

static mapi_status failing_transformation(mapi_transform_call *call, void *user_data) {
    (void)user_data;
    mapi_transform_set_error(call, "refused on purpose");
    return MAPI_ERR_ENDPOINT;
}

static mapi_status asks_bad(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *list = NULL;
    seen_by_transformation_call = mapi_call_records_by_transformation(call, "bad", &list);
    char buf[8];
    size_t len;
    /* an unknown parameter and an unknown collection */
    if (mapi_call_parameter(call, "nope", buf, sizeof buf, &len) != MAPI_ERR_UNKNOWN_FIELD) return MAPI_ERR_PANIC;
    if (mapi_call_records_by_collection(call, "nope", &list) != MAPI_ERR_INVALID_ARGUMENT) return MAPI_ERR_PANIC;
    return seen_by_transformation_call;
}

static void on_log(int32_t level, const char *message, void *user_data) {
    (void)user_data;
    if (level <= MAPI_LOG_WARN && strstr(message, "connection asks")) log_calls++;
}

int main(void) {
    /* Names of every status, and of unknown ones. */
    const char *names[] = {"MAPI_OK", "MAPI_ERR_NULL_ARGUMENT", "MAPI_ERR_INVALID_ARGUMENT", "MAPI_ERR_UNKNOWN_FIELD",
                           "MAPI_ERR_UNKNOWN_CONDITION", "MAPI_ERR_TYPE_MISMATCH", "MAPI_ERR_NULL_VALUE",
                           "MAPI_ERR_OUT_OF_RANGE", "MAPI_ERR_BUFFER_TOO_SMALL", "MAPI_ERR_MANIFEST", "MAPI_ERR_IO",
                           "MAPI_ERR_UNKNOWN_PLUGIN", "MAPI_ERR_JSON", "MAPI_ERR_TIMED_OUT", "MAPI_ERR_ENDPOINT",
                           "MAPI_ERR_KAFKA", "MAPI_ERR_PANIC", "MAPI_ERR_TOO_LATE",
                           "MAPI_ERR_NOT_ALLOWED"};
    for (int i = 0; i <= MAPI_ERR_NOT_ALLOWED; i++) CHECK(strcmp(mapi_status_name(i), names[i]) == 0);
    CHECK(strcmp(mapi_status_name(99), "MAPI_ERR_UNKNOWN") == 0);
    CHECK(strcmp(mapi_status_name(-1), "MAPI_ERR_UNKNOWN") == 0);

    CHECK_STATUS(mapi_register_endpoint("test-slow", slow, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("test-asks-bad", asks_bad, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_transformation("test-failing-transformation", failing_transformation, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint(NULL, slow, NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_register_endpoint("x", NULL, NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_register_endpoint("", slow, NULL), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mapi_set_log_callback(on_log, NULL), MAPI_OK);

    mapi_session *session = NULL;
    /* NULL arguments, and the out-parameter left alone on failure. */
    CHECK_STATUS(mapi_session_open(NULL, NULL, &session), MAPI_ERR_NULL_ARGUMENT);
    CHECK_ERROR_HAS("manifest_path is NULL");
    CHECK(session == NULL);
    CHECK_STATUS(mapi_session_open_json(MANIFEST, NULL, NULL), MAPI_ERR_NULL_ARGUMENT);
    /* Missing manifest: IO, naming the path. */
    CHECK_STATUS(mapi_session_open("/nonexistent/dir/manifest.json", NULL, &session), MAPI_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent/dir/manifest.json");
    /* Bad manifests: MANIFEST with the JSON location; unknown plugin. */
    CHECK_STATUS(mapi_session_open_json("{\"fields\": [{\"id\": \"a\", \"type\": \"nope\"}], \"collections\": [], \"endpoints\": []}", NULL, &session), MAPI_ERR_MANIFEST);
    CHECK_ERROR_HAS("fields[0].type: unknown type \"nope\"");
    CHECK_STATUS(mapi_session_open_json("{\"fields\": [], \"collections\": [], \"endpoints\": [{\"plugin\": \"smtp\", \"connections\": [{\"id\": \"c\"}]}]}", NULL, &session), MAPI_ERR_UNKNOWN_PLUGIN);
    CHECK_ERROR_HAS("endpoints[0].plugin: unknown endpoint plugin \"smtp\"");
    CHECK_STATUS(mapi_session_open_json("{not json", NULL, &session), MAPI_ERR_MANIFEST);
    CHECK_STATUS(mapi_session_open_json("{\"fields\": [{\"id\": \"a\", \"type\": \"integer\", \"value\": \"x\"}], \"collections\": [], \"endpoints\": []}", NULL, &session), MAPI_ERR_TYPE_MISMATCH);
    /* Bad UTF-8 */
    CHECK_STATUS(mapi_session_open("\xff\xfe", NULL, &session), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("not valid UTF-8");

    CHECK_STATUS(mapi_session_open_json(MANIFEST, NULL, &session), MAPI_OK);
    CHECK(mapi_session_field_count(session) == 3);
    CHECK(strcmp(mapi_session_field_name(session, 1), "n") == 0);
    CHECK(mapi_session_field_name(session, 3) == NULL);

    mapi_request *req = NULL;
    CHECK_STATUS(mapi_request_new(NULL, &req), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_request_new(session, &req), MAPI_OK);
    /* Runtime parameters are checked when set: a C plug-in takes any key; an unknown
       connection, text that is not JSON, or a key a built-in would ignore are refused. */
    CHECK_STATUS(mapi_request_set_parameter(req, "slow", "anything", "{\"a\": 1}"), MAPI_OK);
    CHECK_STATUS(mapi_request_set_parameter(req, "nope", "k", "1"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("no connection \"nope\"");
    CHECK_STATUS(mapi_request_set_parameter(req, "slow", "k", "{bad"), MAPI_ERR_INVALID_ARGUMENT);
    {
        mapi_session *eval_session = NULL;
        mapi_request *eval_req = NULL;
        CHECK_STATUS(mapi_session_open_json(
                         "{\"fields\": [{\"id\": \"a\", \"type\": \"integer\"}],"
                         " \"collections\": [{\"id\": \"c\", \"fields\": [\"a\"]}],"
                         " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"e\", \"collections\": [\"c\"]}]}]}",
                         NULL, &eval_session),
                     MAPI_OK);
        CHECK_STATUS(mapi_request_new(eval_session, &eval_req), MAPI_OK);
        CHECK_STATUS(mapi_request_set_parameter(eval_req, "e", "k", "1"), MAPI_ERR_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("connection e: parameter \"k\": the evaluation endpoint reads its constructor");
        mapi_request_free(eval_req);
        mapi_session_free(eval_session);
    }
    mapi_record *r = NULL;
    CHECK_STATUS(mapi_request_add_record(req, NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);

    CHECK_STATUS(mapi_record_set_string(r, "nope", "x"), MAPI_ERR_UNKNOWN_FIELD);
    CHECK_ERROR_HAS("unknown field \"nope\"");
    CHECK_STATUS(mapi_record_set_string(NULL, "name", "x"), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_record_set_string(r, "name", NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_record_set_int(r, "name", 1), MAPI_ERR_TYPE_MISMATCH);
    CHECK_STATUS(mapi_record_set_condition_int(r, "nope", 1), MAPI_ERR_UNKNOWN_CONDITION);
    CHECK_STATUS(mapi_record_set_condition_string(r, "n-small", "five"), MAPI_ERR_TYPE_MISMATCH);
    CHECK_STATUS(mapi_record_set_datetime(r, "name", "not a date"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mapi_record_set_json(r, "n", "{bad json"), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mapi_record_set_int_array(r, "n", NULL, 3), MAPI_ERR_NULL_ARGUMENT);
    int64_t v;
    CHECK_STATUS(mapi_record_get_int(r, "n", &v), MAPI_ERR_NULL_VALUE);
    CHECK_STATUS(mapi_record_get_int(r, "n", NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_record_set_string(r, "name", "a rather long name"), MAPI_OK);
    char small[4];
    size_t len = 0;
    CHECK_STATUS(mapi_record_copy_string(r, "name", small, sizeof small, &len), MAPI_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 18);
    CHECK_STATUS(mapi_record_get_int(r, "name", &v), MAPI_ERR_TYPE_MISMATCH);

    /* The last error: snprintf semantics, kept by successful calls. */
    CHECK_STATUS(mapi_record_set_string(r, "nope", "x"), MAPI_ERR_UNKNOWN_FIELD);
    CHECK_STATUS(mapi_record_set_int(r, "n", 3), MAPI_OK);
    char tiny[8];
    size_t full = mapi_last_error(tiny, sizeof tiny);
    CHECK(full == strlen("unknown field \"nope\""));
    CHECK(strcmp(tiny, "unknown") == 0);
    CHECK(mapi_last_error(NULL, 0) == full);

    /* A text longer than a field holds (4 GiB): MAPI_ERR_OUT_OF_RANGE, not a panic. The
     * bytes are a real, readable mapping (zero pages, never touched: the length is checked
     * before any byte is read). */
    size_t huge = (size_t)UINT32_MAX + 1;
    void *zeros = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (zeros != MAP_FAILED) {
        CHECK_STATUS(mapi_record_set_string_n(r, "name", zeros, huge), MAPI_ERR_OUT_OF_RANGE);
        CHECK_ERROR_HAS("a text of 4294967296 bytes is longer than a field holds (4 GiB)");
        munmap(zeros, huge);
    }

    /* Bulk JSON: bad JSON, numbers out of range; nothing added. */
    const char *bad_json = "{\"name\": \"a\"}\n{\"name\": ";
    CHECK_STATUS(mapi_request_add_json(req, bad_json, strlen(bad_json), NULL), MAPI_ERR_JSON);
    CHECK_ERROR_HAS("line 2");
    const char *too_big = "{\"name\": \"a\", \"n\": 18446744073709551615}";
    CHECK_STATUS(mapi_request_add_json(req, too_big, strlen(too_big), NULL), MAPI_ERR_OUT_OF_RANGE);
    CHECK(mapi_request_record_count(req) == 1);

    /* A slow endpoint: polling times out; waiting completes. The second connection's
     * callback asks for a failing transformation: MAPI_ERR_ENDPOINT, and its records are
     * rejected with the reason, naming the connection. */
    mapi_response *resp = NULL;
    CHECK_STATUS(mapi_request_submit(req, NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
    CHECK_STATUS(mapi_response_wait(resp, 0), MAPI_ERR_TIMED_OUT);
    CHECK(mapi_response_is_complete(resp) == 0);
    CHECK(mapi_response_records(resp) == NULL);
    CHECK(mapi_response_rejection_count(resp) == 0);
    CHECK_STATUS(mapi_response_wait(resp, -5), MAPI_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mapi_response_wait(NULL, 0), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_response_wait(resp, -1), MAPI_OK);
    CHECK(mapi_response_is_complete(resp) == 1);
    CHECK(seen_by_transformation_call == MAPI_ERR_ENDPOINT);
    CHECK(mapi_response_rejection_count(resp) == 1);
    const char *reason = mapi_response_rejection_reason(resp, 0, 0);
    if (reason) printf("reason: %s\n", reason);
    CHECK(reason && strcmp(reason, "connection asks: transformation bad failed: refused on purpose") == 0);
    CHECK(mapi_response_rejection_reason(resp, 0, 1) == NULL);
    CHECK(mapi_response_rejection_reason(resp, 1, 0) == NULL);
    CHECK(mapi_response_rejection_record(resp, 1) == NULL);
    CHECK(log_calls == 1);
    CHECK_STATUS(mapi_set_log_callback(NULL, NULL), MAPI_OK);

    /* Frees: NULL is a no-op; a response may be freed before it completes. */
    mapi_response *pending = NULL;
    CHECK_STATUS(mapi_request_submit(req, &pending), MAPI_OK);
    mapi_response_free(pending);
    mapi_response_free(NULL);
    mapi_request_free(NULL);
    mapi_session_free(NULL);
    CHECK(mapi_record_list_count(NULL) == 0);
    CHECK(mapi_record_list_get(NULL, 0) == NULL);
    CHECK(mapi_record_field_count(NULL) == 0);
    CHECK(mapi_record_field_type(r, "nope") == -1);

    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    /* Statuses not reachable here: MAPI_ERR_KAFKA (Kafka endpoints), MAPI_ERR_PANIC (a bug). */
    if (failures == 0) printf("every status OK\n");
    return failures != 0;
}
