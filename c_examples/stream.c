/*
 * stream: resubmitting the same request keeps endpoint state (stream mode); a new request
 * starts fresh (batch mode). The endpoint counts batches and records in its state record.
 */
#include <messageapi.h>

#include <stdio.h>

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"line\", \"type\": \"string\", \"required\": true}],"
    " \"collections\": [{\"id\": \"lines\", \"fields\": [\"line\"]}],"
    " \"endpoints\": [{\"plugin\": \"batch-counter\", \"connections\": [{\"id\": \"counter\", \"collections\": [\"lines\"],"
    "   \"constructor\": {"
    "     \"state-container\": [{\"id\": \"batches\", \"type\": \"integer\", \"value\": 0},"
    "                           {\"id\": \"records\", \"type\": \"integer\", \"value\": 0}],"
    "     \"default-fields\": [{\"id\": \"batches\", \"type\": \"integer\"}, {\"id\": \"records\", \"type\": \"integer\"}]}}]}]}";

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);          \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static mapi_status batch_counter(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    mapi_record *state = mapi_call_state(call);
    int64_t batches, records;
    mapi_record_get_int(state, "batches", &batches);
    mapi_record_get_int(state, "records", &records);
    batches += 1;
    records += (int64_t)mapi_record_list_count(mapi_call_records(call));
    mapi_record_set_int(state, "batches", batches);
    mapi_record_set_int(state, "records", records);
    mapi_record *out;
    mapi_call_add_record(call, &out);
    mapi_record_set_int(out, "batches", batches);
    mapi_record_set_int(out, "records", records);
    return MAPI_OK;
}

static void report(const char *label, mapi_response *resp, int64_t want_batches, int64_t want_records) {
    CHECK(mapi_response_wait(resp, -1) == MAPI_OK);
    const mapi_record *r = mapi_record_list_get(mapi_response_records(resp), 0);
    int64_t batches = -1, records = -1;
    mapi_record_get_int(r, "batches", &batches);
    mapi_record_get_int(r, "records", &records);
    printf("%s: batches %lld, records %lld\n", label, (long long)batches, (long long)records);
    CHECK(batches == want_batches && records == want_records);
    mapi_response_free(resp);
}

static void add_line(mapi_request *req, const char *text) {
    mapi_record *r;
    mapi_request_add_record(req, &r);
    mapi_record_set_string(r, "line", text);
}

int main(void) {
    mapi_register_endpoint("batch-counter", batch_counter, NULL);
    mapi_session *session;
    if (mapi_session_open_json(MANIFEST, NULL, &session) != MAPI_OK) {
        fprintf(stderr, "FAILED: open\n");
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);
    add_line(req, "a");
    add_line(req, "b");
    mapi_response *first, *second, *third;
    mapi_request_submit(req, &first);
    /* The first response is still pending, perhaps: the request can be reused at once. */
    mapi_request_clear(req);
    add_line(req, "c");
    add_line(req, "d");
    add_line(req, "e");
    mapi_request_submit(req, &second);
    mapi_request_clear(req);
    mapi_request_submit(req, &third);
    report("submit 1", first, 1, 2);
    report("submit 2", second, 2, 5);
    report("submit 3", third, 3, 5);

    mapi_request *fresh;
    mapi_request_new(session, &fresh);
    add_line(fresh, "z");
    mapi_response *resp;
    mapi_request_submit(fresh, &resp);
    report("new request", resp, 1, 1);

    mapi_request_free(fresh);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures == 0) printf("stream OK\n");
    return failures != 0;
}
