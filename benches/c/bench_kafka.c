/*
 * bench_kafka: records of about 100 bytes produced and consumed through the C ABI
 * (kafka-producer / kafka-consumer endpoints), for comparison with a raw librdkafka program
 * (examples/kafka_raw.rs). The broker is MAPI_KAFKA_BOOTSTRAP.
 *
 *   bench_kafka produce TOPIC COUNT           records built through the C ABI for every message
 *   bench_kafka produce-again TOPIC COUNT     one batch built once and resubmitted (stream mode),
 *                                             as the raw producer resends one payload
 *   bench_kafka produce-two TOPIC COUNT       records built for every message, two requests in
 *                                             turn (the session's producer is shared), so one
 *                                             batch is sent while the other is being delivered
 *   bench_kafka consume TOPIC COUNT
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

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *topic = argv[2];
    long count = atol(argv[3]);
    char manifest[2048];
    int again = strcmp(argv[1], "produce-again") == 0;
    int two = strcmp(argv[1], "produce-two") == 0;
    int produce = again || two || strcmp(argv[1], "produce") == 0;
    if (produce) {
        snprintf(manifest, sizeof manifest,
                 "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
                 " {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
                 " {\"id\": \"note\", \"type\": \"string\", \"required\": false}],"
                 " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"note\"]}],"
                 " \"endpoints\": [{\"plugin\": \"kafka-producer\", \"connections\": [{\"id\": \"p\", \"collections\": [\"obs\"],"
                 "   \"constructor\": {\"topic\": \"%s\"}}]}]}", topic);
    } else {
        snprintf(manifest, sizeof manifest,
                 "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true}],"
                 " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\"]}],"
                 " \"endpoints\": [{\"plugin\": \"kafka-consumer\", \"connections\": [{\"id\": \"c\","
                 "   \"constructor\": {\"topics\": \"%s\", \"group.id\": \"bench-%ld\", \"format\": \"raw\","
                 "                     \"max-records\": 100000, \"timeout-ms\": 10000}}]}]}", topic, (long)time(NULL));
    }
    mapi_session *session;
    if (mapi_session_open_json(manifest, NULL, &session) != MAPI_OK) return 1;
    mapi_request *req;
    mapi_request_new(session, &req);
    double t = 0, elapsed;
    long done = 0, rejected = 0;
    if (produce) {
        /* A 100-byte JSON payload per record. */
        const char *note = "0123456789012345678901234567890123456789012345678901234567";
        /* Pipelined as a producer program would be: the next batch is built while the previous
         * one is sent (submit returns at once; the request is reused immediately). */
        const long batch = 50000;
        mapi_response *pending = NULL;
        long submitted = 0;
        t = now_s();
        while (again && submitted < count) {
            long n = count - submitted < batch ? count - submitted : batch;
            if (submitted == 0 || n != batch) {
                mapi_request_clear(req);
                for (long i = 0; i < n; i++) {
                    mapi_record *r;
                    mapi_request_add_record(req, &r);
                    mapi_record_set_string(r, "station", "KILX");
                    mapi_record_set_int(r, "seq", 1000000 + i);
                    mapi_record_set_string(r, "note", note);
                }
            }
            mapi_response *resp;
            mapi_request_submit(req, &resp);
            submitted += n;
            if (pending) {
                mapi_response_wait(pending, -1);
                rejected += (long)mapi_response_rejection_count(pending);
                done += (long)mapi_response_record_count(pending) + (long)mapi_response_rejection_count(pending);
                mapi_response_free(pending);
            }
            pending = resp;
        }
        mapi_request *reqs[2] = {req, NULL};
        mapi_response *inflight[2] = {NULL, NULL};
        if (two) mapi_request_new(session, &reqs[1]);
        for (int k = 0; two && submitted < count; k ^= 1) {
            if (inflight[k]) {
                mapi_response_wait(inflight[k], -1);
                rejected += (long)mapi_response_rejection_count(inflight[k]);
                done += (long)mapi_response_record_count(inflight[k]) + (long)mapi_response_rejection_count(inflight[k]);
                mapi_response_free(inflight[k]);
                inflight[k] = NULL;
            }
            long n = count - submitted < batch ? count - submitted : batch;
            mapi_request_clear(reqs[k]);
            for (long i = 0; i < n; i++) {
                mapi_record *r;
                mapi_request_add_record(reqs[k], &r);
                mapi_record_set_string(r, "station", "KILX");
                mapi_record_set_int(r, "seq", 1000000 + submitted + i);
                mapi_record_set_string(r, "note", note);
            }
            mapi_request_submit(reqs[k], &inflight[k]);
            submitted += n;
        }
        for (int k = 0; two && k < 2; k++) {
            if (!inflight[k]) continue;
            mapi_response_wait(inflight[k], -1);
            rejected += (long)mapi_response_rejection_count(inflight[k]);
            done += (long)mapi_response_record_count(inflight[k]) + (long)mapi_response_rejection_count(inflight[k]);
            mapi_response_free(inflight[k]);
        }
        if (two) mapi_request_free(reqs[1]);
        while (!again && !two && submitted < count) {
            mapi_request_clear(req);
            long n = count - submitted < batch ? count - submitted : batch;
            for (long i = 0; i < n; i++) {
                mapi_record *r;
                mapi_request_add_record(req, &r);
                mapi_record_set_string(r, "station", "KILX");
                mapi_record_set_int(r, "seq", 1000000 + submitted + i);
                mapi_record_set_string(r, "note", note);
            }
            mapi_response *resp;
            mapi_request_submit(req, &resp);
            submitted += n;
            if (pending) {
                mapi_response_wait(pending, -1);
                rejected += (long)mapi_response_rejection_count(pending);
                done += (long)mapi_response_record_count(pending) + (long)mapi_response_rejection_count(pending);
                mapi_response_free(pending);
            }
            pending = resp;
        }
        mapi_response_wait(pending, -1);
        rejected += (long)mapi_response_rejection_count(pending);
        done += (long)mapi_response_record_count(pending) + (long)mapi_response_rejection_count(pending);
        mapi_response_free(pending);
        elapsed = now_s() - t;
        printf("C ABI produce: %ld records (%ld rejected) in %.2f s: %.0f msgs/s\n", count, rejected, elapsed, (double)count / elapsed);
    } else {
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
        elapsed = now_s() - t;
        printf("C ABI consume: %ld records in %.2f s: %.0f msgs/s\n", done, elapsed, (double)done / elapsed);
    }
    mapi_request_free(req);
    mapi_session_free(session);
    return 0;
}
