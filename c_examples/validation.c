/*
 * validation: required fields, conditions, and the rejections with their reasons.
 * A station-observation schema: station and temp are required; a record may ask that its
 * temperature stay below a limit ("temp-below"), and its station be in a list ("station-in").
 */
#include <messageapi.h>

#include <stdio.h>
#include <string.h>

static const char *MANIFEST =
    "{\"fields\": ["
    "   {\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "   {\"id\": \"temp\", \"type\": \"double\", \"required\": true},"
    "   {\"id\": \"observed\", \"type\": \"datetime\", \"required\": true},"
    "   {\"id\": \"note\", \"type\": \"string\", \"required\": false}],"
    " \"conditions\": ["
    "   {\"id\": \"temp-below\", \"type\": \"comparison\", \"operator\": \"<\", \"field\": \"temp\"},"
    "   {\"id\": \"station-in\", \"type\": \"comparison\", \"operator\": \"in\", \"field\": \"station\"},"
    "   {\"id\": \"both\", \"type\": \"composite\", \"operator\": \"and\", \"conditions\": [\"temp-below\", \"station-in\"]}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"temp\", \"observed\", \"note\"]}],"
    " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"accepted\", \"collections\": [\"obs\"]}]}]}";

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);          \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static mapi_record *add(mapi_request *req, const char *station, double temp, const char *when) {
    mapi_record *r;
    mapi_request_add_record(req, &r);
    if (station) mapi_record_set_string(r, "station", station);
    if (temp == temp) mapi_record_set_double(r, "temp", temp); /* NaN: leave it null */
    if (when) mapi_record_set_datetime(r, "observed", when);
    return r;
}

int main(void) {
    mapi_session *session;
    mapi_status s = mapi_session_open_json(MANIFEST, NULL, &session);
    if (s != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: open: %s\n", msg);
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);

    double nan = 0.0 / 0.0;
    /* 1: fine. 2: missing temp and observed. 3: too warm for its condition.
     * 4: fine, conditions pass. 5: station not in the list. */
    add(req, "KILX", 21.5, "2019-05-06T12:00:00Z");
    add(req, "KORD", nan, NULL);
    mapi_record *warm = add(req, "KMDW", 35.0, "2019-05-06T12:00:00Z");
    CHECK(mapi_record_set_condition_double(warm, "temp-below", 30.0) == MAPI_OK);
    mapi_record *ok = add(req, "KILX", 12.0, "2019-05-06T13:00:00-05:00");
    CHECK(mapi_record_set_condition_double(ok, "temp-below", 30.0) == MAPI_OK);
    CHECK(mapi_record_set_condition_json(ok, "station-in", "[\"KILX\", \"KORD\"]") == MAPI_OK);
    mapi_record *elsewhere = add(req, "KSFO", 15.0, "2019-05-06");
    CHECK(mapi_record_set_condition_json(elsewhere, "station-in", "[\"KILX\", \"KORD\"]") == MAPI_OK);

    /* Wrong types and unknown names are refused at once, with a reason. */
    CHECK(mapi_record_set_int(warm, "station", 5) == MAPI_ERR_TYPE_MISMATCH);
    CHECK(mapi_record_set_string(warm, "nope", "x") == MAPI_ERR_UNKNOWN_FIELD);
    CHECK(mapi_record_set_condition_int(warm, "no-such-condition", 1) == MAPI_ERR_UNKNOWN_CONDITION);
    CHECK(mapi_record_set_datetime(warm, "observed", "last tuesday") == MAPI_ERR_INVALID_ARGUMENT);
    char msg[256];
    mapi_last_error(msg, sizeof msg);
    CHECK(strstr(msg, "last tuesday") != NULL);

    mapi_response *resp;
    mapi_request_submit(req, &resp);
    CHECK(mapi_response_wait(resp, 10000) == MAPI_OK);

    size_t accepted = mapi_record_list_count(mapi_response_records(resp));
    size_t n = mapi_response_rejection_count(resp);
    CHECK(accepted == 2);
    CHECK(n == 3);
    for (size_t i = 0; i < n; i++) {
        char station[32] = "";
        mapi_record_copy_string(mapi_response_rejection_record(resp, i), "station", station, sizeof station, NULL);
        for (size_t j = 0; j < mapi_response_rejection_reason_count(resp, i); j++) {
            printf("rejected %s: %s\n", station, mapi_response_rejection_reason(resp, i, j));
        }
    }
    CHECK(n == 3 && mapi_response_rejection_reason_count(resp, 0) == 2);
    CHECK(n == 3 && strcmp(mapi_response_rejection_reason(resp, 0, 0), "Required field temp was missing a value.") == 0);
    CHECK(n == 3 && strcmp(mapi_response_rejection_reason(resp, 0, 1), "Required field observed was missing a value.") == 0);
    CHECK(n == 3 && strcmp(mapi_response_rejection_reason(resp, 1, 0), "The record fields were invalidated against specified conditions.") == 0);
    const mapi_record *second = mapi_record_list_get(mapi_response_records(resp), 1);
    const char *when;
    size_t len;
    CHECK(mapi_record_get_string(second, "observed", &when, &len) == MAPI_OK && strcmp(when, "2019-05-06T13:00:00-05:00") == 0);
    CHECK(mapi_record_is_null(second, "note") == 1);

    printf("accepted: %zu\nrejections: %zu\n", accepted, n);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures == 0) printf("validation OK\n");
    return failures != 0;
}
