/*
 * kafka_consume: reads a topic in batches (stream mode: the same request resubmitted), with a
 * filter (a schema condition each record must pass). Offsets are committed only when the
 * request is submitted again or freed: a crash never loses a batch (at-least-once).
 *
 *   kafka_consume [EXPECTED]     (default 1000: stops when that many messages were read)
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
    "              {\"id\": \"temp\", \"type\": \"double\", \"required\": false}],"
    " \"conditions\": [{\"id\": \"warm\", \"type\": \"comparison\", \"operator\": \">=\", \"field\": \"temp\", \"value\": 30.0}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"temp\"]}],"
    " \"endpoints\": [{\"plugin\": \"kafka-consumer\", \"connections\": [{\"id\": \"from-kafka\","
    "   \"constructor\": {\"topics\": [\"observations\"], \"group.id\": \"c-example\", \"filter\": [\"warm\"],"
    "                     \"max-records\": 500, \"timeout-ms\": 3000}}]}]}";

int main(int argc, char **argv) {
    long expected_warm = argc > 1 ? atol(argv[1]) / 4 : 250; /* temp 30..34 of 15..34 */
    mapi_session *session;
    if (mapi_session_open_json(MANIFEST, NULL, &session) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: %s\n", msg);
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);
    long warm = 0, empty = 0, batches = 0;
    while (warm < expected_warm && empty < 3) {
        mapi_response *resp;
        mapi_request_submit(req, &resp);
        mapi_response_wait(resp, -1);
        size_t n = mapi_response_record_count(resp);
        for (size_t i = 0; i < n; i++) {
            double temp = 0;
            mapi_record_get_double(mapi_response_record(resp, i), "temp", &temp);
            if (temp < 30.0) { printf("FAILED: the filter let %.1f through\n", temp); return 1; }
        }
        warm += (long)n;
        empty = n ? 0 : empty + 1;
        batches++;
        mapi_response_free(resp);
    }
    printf("warm records: %ld in %ld batches\n", warm, batches);
    mapi_request_free(req); /* commits the last batch's offsets */
    mapi_session_free(session);
    return warm == expected_warm ? 0 : 1;
}
