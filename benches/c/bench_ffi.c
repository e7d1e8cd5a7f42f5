/*
 * bench_ffi: C ABI costs. (1) mapi_record_set_* calls per second on a warm record;
 * (2) bulk JSON Lines ingest (mapi_request_add_json) in MB/s. Prints one line per figure.
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

static const char *MANIFEST =
    "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
    "              {\"id\": \"temp\", \"type\": \"double\", \"required\": false},"
    "              {\"id\": \"valid\", \"type\": \"boolean\", \"required\": false},"
    "              {\"id\": \"source\", \"type\": \"string\", \"required\": false},"
    "              {\"id\": \"quality\", \"type\": \"integer\", \"required\": false}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"seq\", \"temp\", \"valid\", \"source\", \"quality\"]}],"
    " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"e\", \"collections\": [\"obs\"]}]}]}";

int main(void) {
    mapi_session *session;
    if (mapi_session_open_json(MANIFEST, NULL, &session) != MAPI_OK) return 1;
    mapi_request *req;
    mapi_record *r;
    mapi_request_new(session, &req);
    mapi_request_add_record(req, &r);

    const long n = 20 * 1000 * 1000;
    long bad = 0;
    double best_int = 1e9, best_double = 1e9, best_string = 1e9;
    for (int round = 0; round < 3; round++) {
        double t = now_s();
        for (long i = 0; i < n; i++) bad += mapi_record_set_int(r, "seq", i) != MAPI_OK;
        double d = now_s() - t;
        if (d < best_int) best_int = d;
        t = now_s();
        for (long i = 0; i < n; i++) bad += mapi_record_set_double(r, "temp", (double)i) != MAPI_OK;
        d = now_s() - t;
        if (d < best_double) best_double = d;
        t = now_s();
        for (long i = 0; i < n / 4; i++) bad += mapi_record_set_string(r, "station", "KILX") != MAPI_OK;
        d = (now_s() - t) * 4;
        if (d < best_string) best_string = d;
    }
    if (bad) { printf("FAILED: %ld calls failed\n", bad); return 1; }
    printf("set_int:    %.1f M calls/s\n", (double)n / best_int / 1e6);
    printf("set_double: %.1f M calls/s\n", (double)n / best_double / 1e6);
    printf("set_string: %.1f M calls/s\n", (double)n / best_string / 1e6);

    /* Bulk JSON Lines: 400,000 lines of about 110 bytes. */
    const long lines = 400000;
    size_t cap = (size_t)lines * 160, len = 0;
    char *text = malloc(cap);
    if (!text) return 1;
    for (long i = 0; i < lines; i++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"station\": \"K%03ld\", \"seq\": %ld, \"temp\": %.2f, \"valid\": %s, "
                                "\"source\": \"asos-feed\", \"quality\": %ld}\n",
                                i % 1000, i, (double)(i % 400) / 10.0 - 5.0, i % 2 ? "true" : "false", i % 7);
    }
    double best_json = 1e9;
    for (int round = 0; round < 3; round++) {
        mapi_request *bulk;
        mapi_request_new(session, &bulk);
        size_t added = 0;
        double t = now_s();
        mapi_status s = mapi_request_add_json(bulk, text, len, &added);
        double d = now_s() - t;
        if (s != MAPI_OK || added != (size_t)lines) { printf("FAILED: add_json %s, %zu added\n", mapi_status_name(s), added); return 1; }
        if (d < best_json) best_json = d;
        mapi_request_free(bulk);
    }
    printf("add_json:   %.0f MB/s (%.1f MB, %ld lines, %.1f ms)\n", (double)len / best_json / 1e6, (double)len / 1e6, lines, best_json * 1e3);
    free(text);
    mapi_request_free(req);
    mapi_session_free(session);
    return 0;
}
