/*
 * bench_kafka: records of about 100 bytes produced and consumed through the C ABI
 * (kafka-producer / kafka-consumer endpoints), for comparison with a raw librdkafka program
 * (examples/kafka_raw.rs, same settings). The broker is MAPI_KAFKA_BOOTSTRAP.
 *
 *   bench_kafka produce TOPIC COUNT [BATCH [DEPTH]]
 *       records built through the C ABI for every message, BATCH per submit (default 25,000),
 *       up to DEPTH submits in flight (default 3): the program builds the next batch while
 *       earlier ones are sent, as a producer loop would.
 *   bench_kafka consume TOPIC COUNT
 *
 * Both print one line with the count, the time and msgs/s (scripts/lib/bench-kafka.sh reads it).
 * Set MAPI_BENCH_TRACE=1 to print when each response came back (seconds since the start).
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits for a response and counts what came back. */
static void collect(mapi_response *resp, long *done, long *rejected) {
    mapi_response_wait(resp, -1);
    *rejected += (long)mapi_response_rejection_count(resp);
    *done += (long)mapi_response_record_count(resp) + (long)mapi_response_rejection_count(resp);
    mapi_response_free(resp);
}

#define MAX_DEPTH 16

static int produce(mapi_request *req, long count, long batch, int depth) {
    /* A 100-byte JSON payload per record. */
    const char *note = "0123456789012345678901234567890123456789012345678901234567";
    const int trace = getenv("MAPI_BENCH_TRACE") != NULL;

    /* Warm-up, outside the timing: connect and acquire the idempotent producer id, as the raw
     * program does (librdkafka otherwise adds 0 or 500 ms at random to the first delivery). */
    mapi_record *w;
    mapi_response *wr;
    mapi_request_add_record(req, &w);
    mapi_record_set_string(w, "station", "warm-up");
    mapi_record_set_int(w, "seq", 0);
    mapi_request_submit_and_clear(req, &wr);
    mapi_response_wait(wr, -1);
    if (mapi_response_record_count(wr) != 1) {
        fprintf(stderr, "bench_kafka: the warm-up record was not delivered\n");
        return 1;
    }
    mapi_response_free(wr);

    mapi_response *ring[MAX_DEPTH] = {NULL};
    long done = 0, rejected = 0, submitted = 0;
    int k = 0;
    double t = now_s();
    while (submitted < count) {
        long n = count - submitted < batch ? count - submitted : batch;
        for (long i = 0; i < n; i++) {
            mapi_record *r;
            mapi_request_add_record(req, &r);
            mapi_record_set_string(r, "station", "KILX");
            mapi_record_set_int(r, "seq", 1000000 + submitted + i);
            mapi_record_set_string(r, "note", note);
        }
        /* The oldest submit must be back before another goes out. */
        if (ring[k]) {
            collect(ring[k], &done, &rejected);
            if (trace) fprintf(stderr, "%.3f s: %ld back\n", now_s() - t, done);
        }
        /* Moves the batch into the submit (no copy) and leaves the request empty. */
        mapi_request_submit_and_clear(req, &ring[k]);
        submitted += n;
        k = (k + 1) % depth;
    }
    for (int j = 0; j < depth; j++, k = (k + 1) % depth) {
        if (ring[k]) collect(ring[k], &done, &rejected);
    }
    double elapsed = now_s() - t;
    if (done != count) {
        fprintf(stderr, "bench_kafka: %ld of %ld records came back\n", done, count);
        return 1;
    }
    printf("C ABI produce: %ld records (%ld rejected) in %.2f s: %.0f msgs/s\n", count, rejected,
           elapsed, (double)count / elapsed);
    return rejected == 0 ? 0 : 1;
}

static int consume(mapi_request *req, long count) {
    long done = 0;
    double t = 0;
    while (done < count) {
        mapi_response *resp;
        mapi_request_submit(req, &resp);
        mapi_response_wait(resp, -1);
        long n = (long)mapi_response_record_count(resp);
        if (n > 0 && t == 0) t = now_s();
        done += n;
        mapi_response_free(resp);
        if (n == 0) break;
    }
    double elapsed = now_s() - t;
    printf("C ABI consume: %ld records in %.2f s: %.0f msgs/s\n", done, elapsed, (double)done / elapsed);
    return done >= count ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_kafka produce|consume TOPIC COUNT [BATCH [DEPTH]]\n");
        return 2;
    }
    const char *topic = argv[2];
    long count = atol(argv[3]);
    int is_produce = strcmp(argv[1], "produce") == 0;
    long batch = argc > 4 ? atol(argv[4]) : 25000;
    int depth = argc > 5 ? atoi(argv[5]) : 3;
    if (batch < 1 || depth < 1 || depth > MAX_DEPTH) return 2;
    /* MAPI_BENCH_KAFKA_CONFIG: a JSON object of librdkafka settings (compression, TLS), added
     * to the constructor, as kafka_raw adds it to its configuration. */
    const char *extra_json = getenv("MAPI_BENCH_KAFKA_CONFIG");
    char extra[1024] = "";
    if (extra_json) {
        const char *open = strchr(extra_json, '{'), *close = strrchr(extra_json, '}');
        if (open && close && close > open + 1 && (size_t)(close - open) < sizeof extra - 2) {
            extra[0] = ',';
            memcpy(extra + 1, open + 1, (size_t)(close - open - 1));
            extra[close - open] = '\0';
        }
    }
    char manifest[4096];
    if (is_produce) {
        snprintf(manifest, sizeof manifest,
                 "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
                 " {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
                 " {\"id\": \"note\", \"type\": \"string\", \"required\": false}],"
                 " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"note\"]}],"
                 " \"endpoints\": [{\"plugin\": \"kafka-producer\", \"connections\": [{\"id\": \"p\", \"collections\": [\"obs\"],"
                 "   \"constructor\": {\"topic\": \"%s\"%s}}]}]}", topic, extra);
    } else {
        snprintf(manifest, sizeof manifest,
                 "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true}],"
                 " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\"]}],"
                 " \"endpoints\": [{\"plugin\": \"kafka-consumer\", \"connections\": [{\"id\": \"c\","
                 "   \"constructor\": {\"topics\": \"%s\", \"group.id\": \"bench-%ld\", \"format\": \"raw\","
                 "                     \"max-records\": 100000, \"timeout-ms\": 10000%s}}]}]}", topic, (long)time(NULL), extra);
    }
    mapi_session *session;
    if (mapi_session_open_json(manifest, NULL, &session) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "bench_kafka: %s\n", msg);
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);
    int rc = is_produce ? produce(req, count, batch, depth) : consume(req, count);
    mapi_request_free(req);
    mapi_session_free(session);
    return rc;
}
