/*
 * custom_endpoint: a C endpoint and a C transformation, registered by name and used from a
 * manifest. The transformation converts Celsius to Fahrenheit; the endpoint summarises each
 * station (count and mean temperature) into records with the connection's default fields.
 * A second connection uses an endpoint that fails: its records come back as rejections whose
 * reason names the connection; the process carries on.
 */
#include <messageapi.h>

#include <stdio.h>
#include <string.h>

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"temp_c\", \"type\": \"double\", \"required\": true}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"temp_c\"]}],"
    " \"transformations\": [{\"id\": \"fahrenheit\", \"operator\": \"celsius-to-fahrenheit\","
    "                        \"records\": {\"in\": {\"COLLECTION\": \"obs\"}}}],"
    " \"endpoints\": ["
    "   {\"plugin\": \"station-summary\", \"connections\": [{\"id\": \"summary\", \"transformations\": [\"fahrenheit\"],"
    "      \"constructor\": {\"default-fields\": [{\"id\": \"station\", \"type\": \"string\"},"
    "                                            {\"id\": \"count\", \"type\": \"integer\"},"
    "                                            {\"id\": \"mean_f\", \"type\": \"double\"}]}}]},"
    "   {\"plugin\": \"always-fails\", \"connections\": [{\"id\": \"broken-sink\", \"collections\": [\"obs\"]}]}]}";

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);          \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static mapi_status celsius_to_fahrenheit(mapi_transform_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *in;
    mapi_status s = mapi_transform_input(call, "in", &in);
    if (s != MAPI_OK) return s;
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        const mapi_record *r = mapi_record_list_get(in, i);
        double c;
        char station[64];
        if ((s = mapi_record_get_double(r, "temp_c", &c)) != MAPI_OK) return s;
        if ((s = mapi_record_copy_string(r, "station", station, sizeof station, NULL)) != MAPI_OK) return s;
        mapi_record *out;
        mapi_transform_add_record(call, NULL, &out); /* an open record: fields appear as set */
        mapi_record_set_string(out, "station", station);
        mapi_record_set_double(out, "temp_f", c * 9.0 / 5.0 + 32.0);
    }
    return MAPI_OK;
}

struct station { char name[64]; long count; double sum; };

static mapi_status station_summary(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    struct station stations[16];
    size_t n = 0;
    const mapi_record_list *f;
    mapi_status s = mapi_call_records_by_transformation(call, "fahrenheit", &f);
    if (s != MAPI_OK) return s;
    for (size_t i = 0; i < mapi_record_list_count(f); i++) {
        const mapi_record *r = mapi_record_list_get(f, i);
        char name[64];
        double t;
        mapi_record_copy_string(r, "station", name, sizeof name, NULL);
        mapi_record_get_double(r, "temp_f", &t);
        size_t k = 0;
        while (k < n && strcmp(stations[k].name, name) != 0) k++;
        if (k == n) {
            if (n == 16) { mapi_call_set_error(call, "too many stations"); return MAPI_ERR_ENDPOINT; }
            strcpy(stations[n].name, name);
            stations[n].count = 0;
            stations[n].sum = 0;
            n++;
        }
        stations[k].count++;
        stations[k].sum += t;
    }
    for (size_t k = 0; k < n; k++) {
        mapi_record *out;
        mapi_call_add_record(call, &out);
        mapi_record_set_string(out, "station", stations[k].name);
        mapi_record_set_int(out, "count", stations[k].count);
        mapi_record_set_double(out, "mean_f", stations[k].sum / (double)stations[k].count);
    }
    return MAPI_OK;
}

static mapi_status always_fails(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    mapi_call_set_error(call, "the archive disk is full");
    return MAPI_ERR_ENDPOINT;
}

int main(void) {
    CHECK(mapi_register_transformation("celsius-to-fahrenheit", celsius_to_fahrenheit, NULL) == MAPI_OK);
    CHECK(mapi_register_endpoint("station-summary", station_summary, NULL) == MAPI_OK);
    CHECK(mapi_register_endpoint("always-fails", always_fails, NULL) == MAPI_OK);
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
    const char *stations[] = {"KILX", "KORD", "KILX", "KILX"};
    const double temps[] = {20.0, -5.0, 22.0, 24.0};
    for (int i = 0; i < 4; i++) {
        mapi_record *r;
        mapi_request_add_record(req, &r);
        mapi_record_set_string(r, "station", stations[i]);
        mapi_record_set_double(r, "temp_c", temps[i]);
    }
    mapi_response *resp;
    mapi_request_submit(req, &resp);
    CHECK(mapi_response_wait(resp, -1) == MAPI_OK);
    const mapi_record_list *out = mapi_response_records(resp);
    CHECK(mapi_record_list_count(out) == 2);
    for (size_t i = 0; i < mapi_record_list_count(out); i++) {
        const mapi_record *r = mapi_record_list_get(out, i);
        char name[64];
        int64_t count;
        double mean;
        CHECK(mapi_record_field_count(r) == 3);
        mapi_record_copy_string(r, "station", name, sizeof name, NULL);
        mapi_record_get_int(r, "count", &count);
        mapi_record_get_double(r, "mean_f", &mean);
        printf("%s %lld %.1f\n", name, (long long)count, mean);
    }
    CHECK(mapi_response_rejection_count(resp) == 4);
    const char *reason = mapi_response_rejection_reason(resp, 0, 0);
    printf("rejection: %s\n", reason);
    CHECK(reason && strcmp(reason, "connection broken-sink: the archive disk is full") == 0);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures == 0) printf("custom endpoint OK\n");
    return failures != 0;
}
