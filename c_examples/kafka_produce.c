/*
 * kafka_produce: records to a Kafka topic. The manifest names no broker: the library's default
 * is the environment variable MAPI_KAFKA_BOOTSTRAP, else localhost:9092. Each delivered record
 * comes back with kafka-topic, kafka-partition and kafka-offset; an undelivered one is a
 * rejection (the broker down, the topic missing) and the program goes on.
 *
 *   kafka_produce [COUNT]        (default 1000)
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
    "              {\"id\": \"temp\", \"type\": \"double\", \"required\": false}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"temp\"]}],"
    " \"endpoints\": [{\"plugin\": \"kafka-producer\", \"connections\": [{\"id\": \"to-kafka\", \"collections\": [\"obs\"],"
    "   \"constructor\": {\"topic\": \"observations\", \"create-topic\": true, \"key-field\": \"station\","
    "                     \"message.timeout.ms\": 10000}}]}]}";

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000;
    mapi_session *session;
    if (mapi_session_open_json(MANIFEST, NULL, &session) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: %s\n", msg);
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);
    const char *stations[] = {"KILX", "KORD", "KMDW"};
    for (long i = 0; i < count; i++) {
        mapi_record *r;
        mapi_request_add_record(req, &r);
        mapi_record_set_string(r, "station", stations[i % 3]);
        mapi_record_set_int(r, "seq", i);
        mapi_record_set_double(r, "temp", 15.0 + (double)(i % 20));
    }
    /* The records move into the submit (no copy) and the request is left empty: a producer
     * loop builds the next batch on it while this one is sent (resubmits stream in order). */
    mapi_response *resp;
    mapi_request_submit_and_clear(req, &resp);
    mapi_response_wait(resp, -1);
    size_t delivered = mapi_response_record_count(resp), rejected = mapi_response_rejection_count(resp);
    printf("delivered: %zu\nrejected: %zu\n", delivered, rejected);
    if (rejected > 0) printf("first reason: %s\n", mapi_response_rejection_reason(resp, 0, 0));
    if (delivered > 0) {
        const mapi_record *last = mapi_response_record(resp, delivered - 1);
        int64_t partition = -1, offset = -1;
        char topic[64] = "";
        mapi_record_copy_string(last, "kafka-topic", topic, sizeof topic, NULL);
        mapi_record_get_int(last, "kafka-partition", &partition);
        mapi_record_get_int(last, "kafka-offset", &offset);
        printf("last: %s partition %lld offset %lld\n", topic, (long long)partition, (long long)offset);
    }
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    return delivered == (size_t)count ? 0 : 1;
}
