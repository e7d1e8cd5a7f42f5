/*
 * bench_amqp: COUNT records published with confirms through the C ABI (one submit: the records
 * go out, then every confirm is awaited, as the raw lapin baseline does), then consumed back
 * (max-records 1000, prefetch 1000). The broker is MAPI_AMQP_URL. Prints msgs/s for each.
 *
 *   bench_amqp publish EXCHANGE QUEUE COUNT
 *   bench_amqp consume QUEUE COUNT
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static mapi_session *open_session(const char *json) {
    mapi_session *s;
    if (mapi_session_open_json(json, NULL, &s) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: %s\n", msg);
        exit(1);
    }
    return s;
}

#define FIELDS                                                                                 \
    "\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"            \
    "           {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"                \
    "           {\"id\": \"temp\", \"type\": \"double\", \"required\": false}],"               \
    "\"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"temp\"]}],"

int main(int argc, char **argv) {
    char manifest[2048];
    if (argc == 5 && strcmp(argv[1], "publish") == 0) {
        long count = atol(argv[4]);
        /* The queue, declared and bound by a consumer's first submit. */
        snprintf(manifest, sizeof manifest,
                 "{" FIELDS "\"endpoints\": [{\"plugin\": \"amqp-consumer\", \"connections\": [{\"id\": \"q\","
                 "\"constructor\": {\"queue\": \"%s\", \"timeout-ms\": 1, \"max-records\": 1,"
                 "\"bindings\": [{\"exchange\": \"%s\", \"routing-key\": \"#\"}]}}]}]}",
                 argv[3], argv[2]);
        mapi_session *qs = open_session(manifest);
        mapi_request *qr;
        mapi_request_new(qs, &qr);
        mapi_response *resp;
        mapi_request_submit(qr, &resp);
        mapi_response_wait(resp, -1);
        mapi_response_free(resp);
        snprintf(manifest, sizeof manifest,
                 "{" FIELDS "\"endpoints\": [{\"plugin\": \"amqp-publisher\", \"connections\": [{\"id\": \"p\","
                 "\"collections\": [\"obs\"], \"constructor\": {\"exchange\": \"%s\","
                 "\"routing-key-field\": \"station\", \"timeout-ms\": 120000}}]}]}",
                 argv[2]);
        mapi_session *ps = open_session(manifest);
        mapi_request *pr;
        mapi_request_new(ps, &pr);
        const char *stations[] = {"KILX", "KORD", "KMDW"};
        double t0 = now();
        for (long i = 0; i < count; i++) {
            mapi_record *r;
            mapi_request_add_record(pr, &r);
            mapi_record_set_string(r, "station", stations[i % 3]);
            mapi_record_set_int(r, "seq", i);
            mapi_record_set_double(r, "temp", 15.0 + (double)(i % 20));
        }
        mapi_request_submit_and_clear(pr, &resp);
        mapi_response_wait(resp, -1);
        double s = now() - t0;
        size_t confirmed = mapi_response_record_count(resp);
        if (confirmed != (size_t)count) {
            fprintf(stderr, "FAILED: %zu of %ld confirmed: %s\n", confirmed, count,
                    mapi_response_rejection_count(resp) ? mapi_response_rejection_reason(resp, 0, 0) : "");
            return 1;
        }
        printf("msgs/s %.0f\n", count / s);
        mapi_response_free(resp);
        mapi_request_free(pr);
        mapi_request_free(qr);
        mapi_session_free(ps);
        mapi_session_free(qs);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "consume") == 0) {
        long count = atol(argv[3]);
        snprintf(manifest, sizeof manifest,
                 "{" FIELDS "\"endpoints\": [{\"plugin\": \"amqp-consumer\", \"connections\": [{\"id\": \"q\","
                 "\"constructor\": {\"queue\": \"%s\", \"timeout-ms\": 5000, \"max-records\": 1000,"
                 "\"prefetch\": 1000}}]}]}",
                 argv[2]);
        mapi_session *qs = open_session(manifest);
        mapi_request *qr;
        mapi_request_new(qs, &qr);
        double t0 = now();
        long got = 0;
        while (got < count) {
            mapi_response *resp;
            mapi_request_submit(qr, &resp);
            mapi_response_wait(resp, -1);
            size_t n = mapi_response_record_count(resp);
            mapi_response_free(resp);
            if (n == 0) break;
            got += (long)n;
        }
        double s = now() - t0;
        mapi_request_free(qr); /* acknowledges the last batch */
        mapi_session_free(qs);
        if (got != count) {
            fprintf(stderr, "FAILED: consumed %ld of %ld\n", got, count);
            return 1;
        }
        printf("msgs/s %.0f\n", count / s);
        return 0;
    }
    fprintf(stderr, "usage: bench_amqp publish EXCHANGE QUEUE COUNT | consume QUEUE COUNT\n");
    return 2;
}
