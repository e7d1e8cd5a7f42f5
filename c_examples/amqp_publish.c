/*
 * amqp_publish: records to a RabbitMQ topic exchange, and back from a queue bound to it (two
 * sessions: a publisher and a consumer). The
 * manifest names no broker: the library's default is MAPI_AMQP_URL, else
 * amqp://guest:guest@localhost:5672/%2f. The queue is declared and bound by the consumer's
 * first submit (a message published before any queue is bound would be unroutable: with
 * `mandatory`, the default, it comes back as a rejection instead of vanishing). Each confirmed
 * record comes back with amqp-exchange and amqp-routing-key.
 *
 *   amqp_publish [COUNT]        (default 1000)
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS                                                                                \
    "\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"           \
    "           {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"               \
    "           {\"id\": \"temp\", \"type\": \"double\", \"required\": false}],"              \
    "\"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"temp\"]}],"

static const char *PUBLISHER =
    "{" FIELDS
    " \"endpoints\": [{\"plugin\": \"amqp-publisher\", \"connections\": [{\"id\": \"to-rabbit\","
    "   \"collections\": [\"obs\"],"
    "   \"constructor\": {\"exchange\": \"observations\", \"routing-key-field\": \"station\"}}]}]}";

/* A queue for every station (routing keys are station ids; "#" matches any). */
static const char *CONSUMER =
    "{" FIELDS
    " \"endpoints\": [{\"plugin\": \"amqp-consumer\", \"connections\": [{\"id\": \"from-rabbit\","
    "   \"constructor\": {\"queue\": \"observations-il\","
    "     \"bindings\": [{\"exchange\": \"observations\", \"routing-key\": \"#\"}],"
    "     \"max-records\": 10000, \"timeout-ms\": 2000}}]}]}";

static void fail(const char *what) {
    char msg[512];
    mapi_last_error(msg, sizeof msg);
    fprintf(stderr, "FAILED: %s: %s\n", what, msg);
    exit(1);
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000;
    mapi_session *pub, *sub;
    if (mapi_session_open_json(PUBLISHER, NULL, &pub) != MAPI_OK) fail("open the publisher");
    if (mapi_session_open_json(CONSUMER, NULL, &sub) != MAPI_OK) fail("open the consumer");
    mapi_request *out, *in;
    if (mapi_request_new(pub, &out) != MAPI_OK || mapi_request_new(sub, &in) != MAPI_OK) fail("request");
    /* The consumer's first submit declares and binds its queue (nothing to read yet). */
    mapi_response *resp;
    mapi_request_submit(in, &resp);
    mapi_response_wait(resp, -1);
    mapi_response_free(resp);

    const char *stations[] = {"KILX", "KORD", "KMDW", "KSPI"};
    for (long i = 0; i < count; i++) {
        mapi_record *r;
        mapi_request_add_record(out, &r);
        mapi_record_set_string(r, "station", stations[i % 4]);
        mapi_record_set_int(r, "seq", i);
        mapi_record_set_double(r, "temp", 15.0 + (double)(i % 20));
    }
    /* Completes when the broker has confirmed every message (or rejected some, with reasons). */
    mapi_request_submit_and_clear(out, &resp);
    mapi_response_wait(resp, -1);
    size_t confirmed = mapi_response_record_count(resp);
    printf("confirmed: %zu\n", confirmed);
    printf("rejected: %zu\n", mapi_response_rejection_count(resp));
    for (size_t i = 0; i < mapi_response_rejection_count(resp) && i < 3; i++)
        printf("  %s\n", mapi_response_rejection_reason(resp, i, 0));
    mapi_response_free(resp);

    /* Read them back; each submit acknowledges the batch before it (freeing the request, the
     * last one). */
    size_t read = 0, kilx = 0;
    for (int round = 0; round < 10 && read < confirmed; round++) {
        mapi_request_submit(in, &resp);
        mapi_response_wait(resp, -1);
        for (size_t i = 0; i < mapi_response_record_count(resp); i++) {
            const char *s = NULL;
            size_t len = 0;
            const mapi_record *r = mapi_response_record(resp, i);
            read++;
            if (mapi_record_get_string(r, "amqp-routing-key", &s, &len) == MAPI_OK && len == 4 &&
                memcmp(s, "KILX", 4) == 0)
                kilx++;
        }
        mapi_response_free(resp);
    }
    printf("read back: %zu, from KILX: %zu\n", read, kilx);
    mapi_request_free(out);
    mapi_request_free(in);
    mapi_session_free(pub);
    mapi_session_free(sub);
    return confirmed == (size_t)count && read == confirmed ? 0 : 1;
}
