/* Every record accounted for, from C: wherever a C endpoint or transformation fails (before
 * reading its records, after reading them, in the middle of its output, after rejecting some
 * itself, or with a status outside the enum), each record routed to the connection comes back
 * exactly once: returned, or rejected with a reason naming the connection. Streamed submits of
 * the same request give the same counts each time. */
#include "check.h"


static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"x\", \"type\": \"integer\", \"required\": true}],"
    " \"collections\": [{\"id\": \"c\", \"fields\": [\"x\"]}],"
    " \"transformations\": ["
    "   {\"id\": \"bad\", \"operator\": \"acct-bad-transformation\", \"records\": {\"in\": {\"COLLECTION\": \"c\"}}},"
    "   {\"id\": \"odd\", \"operator\": \"acct-odd-status-transformation\", \"records\": {\"in\": {\"COLLECTION\": \"c\"}}}],"
    " \"endpoints\": ["
    "   {\"plugin\": \"acct-ok\", \"connections\": [{\"id\": \"ok\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-fail-before\", \"connections\": [{\"id\": \"before\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-fail-after-reading\", \"connections\": [{\"id\": \"after\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-fail-mid-output\", \"connections\": [{\"id\": \"mid\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-reject-one-then-fail\", \"connections\": [{\"id\": \"rejone\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-odd-status\", \"connections\": [{\"id\": \"odd-status\", \"collections\": [\"c\"]}]},"
    "   {\"plugin\": \"acct-via-bad\", \"connections\": [{\"id\": \"via-bad\", \"transformations\": [\"bad\"]}]},"
    "   {\"plugin\": \"acct-via-odd\", \"connections\": [{\"id\": \"via-odd\", \"transformations\": [\"odd\"]}]}]}";

static int64_t x_of(const mapi_record *r) {
    int64_t x = -1;
    mapi_record_get_int(r, "x", &x);
    return x;
}

/* Adds an output record with the x of each record of `list`. */
static void return_copies(mapi_endpoint_call *call, const mapi_record_list *list) {
    for (size_t i = 0; i < mapi_record_list_count(list); i++) {
        mapi_record *out = NULL;
        mapi_call_add_record(call, &out);
        mapi_record_set_int(out, "x", x_of(mapi_record_list_get(list, i)));
    }
}

/* Returns each routed record (a copy of x). */
static mapi_status ok(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    return_copies(call, mapi_call_records(call));
    return MAPI_OK;
}

/* Asks for the output of the transformation named by `user_data` and returns it. */
static mapi_status via(mapi_endpoint_call *call, void *user_data) {
    const mapi_record_list *list = NULL;
    mapi_status s = mapi_call_records_by_transformation(call, user_data, &list);
    if (s != MAPI_OK) return s;
    return_copies(call, list);
    return MAPI_OK;
}

static mapi_status endpoint(mapi_endpoint_call *call, void *user_data) {
    const char *mode = user_data;
    if (strcmp(mode, "ok") == 0) return ok(call, NULL);
    if (strcmp(mode, "before") == 0) {
        mapi_call_set_error(call, "refused before reading");
        return MAPI_ERR_ENDPOINT;
    }
    const mapi_record_list *list = mapi_call_records(call);
    size_t n = mapi_record_list_count(list);
    if (strcmp(mode, "after") == 0) {
        int64_t sum = 0;
        for (size_t i = 0; i < n; i++) sum += x_of(mapi_record_list_get(list, i));
        return sum > 0 ? MAPI_ERR_IO : MAPI_OK; /* no message set: the status names the failure */
    }
    if (strcmp(mode, "mid") == 0) {
        for (size_t i = 0; i < n / 2; i++) {
            mapi_record *out = NULL;
            mapi_call_add_record(call, &out);
            mapi_record_set_int(out, "x", x_of(mapi_record_list_get(list, i)));
        }
        mapi_call_set_error(call, "disk full half way");
        return MAPI_ERR_IO;
    }
    if (strcmp(mode, "rejone") == 0) {
        for (size_t i = 0; i < n; i++)
            if (x_of(mapi_record_list_get(list, i)) == 2) mapi_call_reject(call, mapi_record_list_get(list, i), "x may not be 2");
        mapi_call_set_error(call, "gave up after one");
        return MAPI_ERR_ENDPOINT;
    }
    return 77; /* "odd": a status outside the enum */
}

static mapi_status bad_transformation(mapi_transform_call *call, void *user_data) {
    (void)user_data;
    mapi_record *out = NULL;
    mapi_transform_add_record(call, NULL, &out);
    mapi_record_set_int(out, "x", 100);
    mapi_transform_set_error(call, "transformation refused after one output");
    return MAPI_ERR_ENDPOINT;
}

static mapi_status odd_status_transformation(mapi_transform_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    return -5;
}

/* How many rejections of `resp` have `reason` as their only reason. */
static size_t count_reason(const mapi_response *resp, const char *reason) {
    size_t n = 0;
    for (size_t i = 0; i < mapi_response_rejection_count(resp); i++) {
        if (mapi_response_rejection_reason_count(resp, i) != 1) continue;
        const char *r = mapi_response_rejection_reason(resp, i, 0);
        if (r && strcmp(r, reason) == 0) n++;
    }
    return n;
}

int main(void) {
    CHECK_STATUS(mapi_register_endpoint("acct-ok", ok, NULL), MAPI_OK);
    static char bad[] = "bad", odd[] = "odd";
    CHECK_STATUS(mapi_register_endpoint("acct-via-bad", via, bad), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("acct-via-odd", via, odd), MAPI_OK);
    static char modes[][8] = {"before", "after", "mid", "rejone", "odd"};
    const char *names[] = {"acct-fail-before", "acct-fail-after-reading", "acct-fail-mid-output",
                           "acct-reject-one-then-fail", "acct-odd-status"};
    for (int i = 0; i < 5; i++) CHECK_STATUS(mapi_register_endpoint(names[i], endpoint, modes[i]), MAPI_OK);
    CHECK_STATUS(mapi_register_transformation("acct-bad-transformation", bad_transformation, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_transformation("acct-odd-status-transformation", odd_status_transformation, NULL), MAPI_OK);

    mapi_session *session = NULL;
    CHECK_STATUS(mapi_session_open_json(MANIFEST, NULL, &session), MAPI_OK);
    mapi_request *req = NULL;
    CHECK_STATUS(mapi_request_new(session, &req), MAPI_OK);
    for (int64_t x = 1; x <= 4; x++) {
        mapi_record *r = NULL;
        mapi_request_add_record(req, &r);
        mapi_record_set_int(r, "x", x);
    }
    mapi_record *missing = NULL;
    mapi_request_add_record(req, &missing); /* no x: rejected by validation, routed nowhere */

    for (int round = 0; round < 3; round++) { /* the same request resubmitted: stream mode */
        mapi_response *resp = NULL;
        CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
        CHECK_STATUS(mapi_response_wait(resp, 10000), MAPI_OK);
        /* ok: 4 returned; via-bad and via-odd return nothing (their transformations failed). */
        CHECK(mapi_response_record_count(resp) == 4);
        int64_t sum = 0;
        for (size_t i = 0; i < mapi_response_record_count(resp); i++) sum += x_of(mapi_response_record(resp, i));
        CHECK(sum == 1 + 2 + 3 + 4);
        CHECK(count_reason(resp, "Required field x was missing a value.") == 1);
        CHECK(count_reason(resp, "connection before: refused before reading") == 4);
        CHECK(count_reason(resp, "connection after: callback returned MAPI_ERR_IO") == 4);
        CHECK(count_reason(resp, "connection mid: disk full half way") == 4);
        CHECK(count_reason(resp, "x may not be 2") == 1);
        CHECK(count_reason(resp, "connection rejone: gave up after one") == 3);
        CHECK(count_reason(resp, "connection odd-status: callback returned MAPI_ERR_UNKNOWN") == 4);
        CHECK(count_reason(resp, "connection via-bad: transformation bad failed: transformation refused after one output") == 4);
        CHECK(count_reason(resp, "connection via-odd: transformation odd failed: callback returned MAPI_ERR_UNKNOWN") == 4);
        /* Nothing else: 1 + 4 + 4 + 4 + (1 + 3) + 4 + 4 + 4. */
        size_t rejections = mapi_response_rejection_count(resp);
        CHECK(rejections == 29);
        for (size_t i = 0; i < rejections && rejections != 29; i++)
            fprintf(stderr, "  rejection %zu: %s\n", i, mapi_response_rejection_reason(resp, i, 0));
        /* The one rejected by the plug-in itself is record x = 2, once. */
        for (size_t i = 0; i < rejections; i++) {
            const char *r = mapi_response_rejection_reason(resp, i, 0);
            if (r && strcmp(r, "x may not be 2") == 0) {
                CHECK(x_of(mapi_response_rejection_record(resp, i)) == 2);
                /* Rejected by the plug-in on connection rejone, at the endpoint stage. */
                CHECK(strcmp(mapi_response_rejection_stage(resp, i), "endpoint") == 0);
                CHECK(strcmp(mapi_response_rejection_connection(resp, i), "rejone") == 0);
            }
            if (r && strncmp(r, "connection mid:", 15) == 0)
                CHECK(strcmp(mapi_response_rejection_connection(resp, i), "mid") == 0);
        }
        CHECK(mapi_response_rejection_stage(resp, rejections) == NULL);
        CHECK(mapi_response_rejection_connection(resp, rejections) == NULL);
        mapi_response_free(resp);
    }
    /* Statistics count every record of the three submits: none unaccounted for. */
    char stats[65536];
    size_t len = 0;
    CHECK_STATUS(mapi_session_stats_json(session, stats, sizeof stats, &len), MAPI_OK);
    CHECK(strlen(stats) == len);
    CHECK(strstr(stats, "\"records_returned\":") != NULL);
    size_t small = 0;
    CHECK_STATUS(mapi_session_stats_prometheus(session, stats, 4, &small), MAPI_ERR_BUFFER_TOO_SMALL);
    CHECK(small > 1000);
    CHECK_STATUS(mapi_session_stats_json(NULL, stats, sizeof stats, &len), MAPI_ERR_NULL_ARGUMENT);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures) return 1;
    printf("accounting OK\n");
    return 0;
}
