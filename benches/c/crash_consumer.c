/*
 * crash_consumer: the consumer half of scripts/lib/crash-test.sh. Reads a broker (the consumer
 * session's manifest) with three submits of one request in flight; writes each response's ids
 * through a second session (a file-writer that syncs every submit) and only then frees the
 * response, which lets the consumer commit (Kafka) or acknowledge (AMQP) it. Messages that do
 * not fit the schema go to the consumer session's dead-letter file (synced too). The script
 * kills this process with SIGKILL at random moments and starts it again; at the end, every id
 * must be in the output or the dead letters.
 *
 *   crash_consumer CONSUMER_MANIFEST WRITER_MANIFEST IDLE [PAUSE_MS]
 *
 * Ends (exit 0) after IDLE empty responses in a row (nothing left to read), once everything
 * read is written and committed. PAUSE_MS: a pause after a response is kept and before it is
 * freed (the window where a kill costs duplicates), so that a small run spans many kills.
 * Exit 2 when a write fails or a record lacks its id.
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define IN_FLIGHT 3

static void fail(const char *what) {
    char msg[512];
    mapi_last_error(msg, sizeof msg);
    fprintf(stderr, "crash_consumer: %s: %s\n", what, msg);
    exit(2);
}

/* Writes the ids of `r` through `w` (synced before it completes). Returns the records read. */
static size_t keep(const mapi_response *r, mapi_request *w) {
    size_t n = mapi_response_record_count(r);
    if (n == 0) return 0;
    if (mapi_request_clear(w) != MAPI_OK) fail("clear");
    for (size_t i = 0; i < n; i++) {
        int64_t id = 0;
        mapi_record *out = NULL;
        if (mapi_record_get_int(mapi_response_record(r, i), "id", &id) != MAPI_OK) fail("id");
        if (mapi_request_add_record(w, &out) != MAPI_OK) fail("add");
        if (mapi_record_set_int(out, "id", id) != MAPI_OK) fail("set");
    }
    mapi_response *wr = NULL;
    if (mapi_request_submit(w, &wr) != MAPI_OK || mapi_response_wait(wr, -1) != MAPI_OK) fail("write");
    if (mapi_response_rejection_count(wr) != 0 || mapi_response_record_count(wr) != n) {
        fprintf(stderr, "crash_consumer: the writer rejected %zu of %zu records\n",
                mapi_response_rejection_count(wr), n);
        exit(2);
    }
    mapi_response_free(wr);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: crash_consumer CONSUMER_MANIFEST WRITER_MANIFEST IDLE [PAUSE_MS]\n");
        return 2;
    }
    int idle_limit = atoi(argv[3]);
    long pause_ms = argc == 5 ? atol(argv[4]) : 0;
    struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
    mapi_session *consumer = NULL, *writer = NULL;
    mapi_request *q = NULL, *w = NULL;
    if (mapi_session_open(argv[1], NULL, &consumer) != MAPI_OK) fail(argv[1]);
    if (mapi_session_open(argv[2], NULL, &writer) != MAPI_OK) fail(argv[2]);
    if (mapi_request_new(consumer, &q) != MAPI_OK || mapi_request_new(writer, &w) != MAPI_OK) fail("request");
    mapi_response *in_flight[IN_FLIGHT];
    for (int i = 0; i < IN_FLIGHT; i++)
        if (mapi_request_submit(q, &in_flight[i]) != MAPI_OK) fail("submit");
    size_t kept = 0;
    int idle = 0;
    for (int i = 0;; i = (i + 1) % IN_FLIGHT) {
        mapi_response *r = in_flight[i];
        if (mapi_response_wait(r, -1) != MAPI_OK) fail("wait");
        size_t n = keep(r, w);
        size_t rejected = mapi_response_rejection_count(r);
        kept += n;
        if (n > 0 && pause_ms > 0) nanosleep(&pause, NULL);
        /* Kept (and its dead letters written): the consumer may commit it now. */
        mapi_response_free(r);
        idle = n == 0 && rejected == 0 ? idle + 1 : 0;
        if (idle >= idle_limit) {
            /* The others in flight: kept too before the request goes. */
            for (int k = 1; k < IN_FLIGHT; k++) {
                mapi_response *rest = in_flight[(i + k) % IN_FLIGHT];
                if (mapi_response_wait(rest, -1) != MAPI_OK) fail("wait");
                kept += keep(rest, w);
                mapi_response_free(rest);
            }
            break;
        }
        if (mapi_request_submit(q, &in_flight[i]) != MAPI_OK) fail("submit");
    }
    mapi_request_free(q);
    mapi_request_free(w);
    mapi_session_free(consumer);
    mapi_session_free(writer);
    printf("crash_consumer: kept %zu records\n", kept);
    return 0;
}
