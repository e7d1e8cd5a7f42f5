/*
 * dead_letters: a batch job that keeps every rejected record and reports what it did.
 *
 * The manifest's "dead-letters" entry sends each rejected record (a required field missing, a
 * condition failed, an endpoint refusing it), with its reasons, stage and connection, to a
 * JSON Lines file before the response completes: nothing is lost when the program frees the
 * response without reading every rejection. At the end the job prints its statistics and
 * writes them as Prometheus text for the node-exporter textfile collector.
 *
 *   dead_letters [DIR]     (DIR: where dead_letters.jsonl and dead_letters.prom go; default .)
 */
#include <messageapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *MANIFEST =
    "{\"fields\": ["
    "   {\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "   {\"id\": \"temp\", \"type\": \"double\", \"required\": true}],"
    " \"conditions\": ["
    "   {\"id\": \"plausible\", \"type\": \"comparison\", \"operator\": \"<\", \"field\": \"temp\"}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"temp\"]}],"
    " \"endpoints\": [{\"plugin\": \"file-writer\", \"connections\": [{\"id\": \"archive\","
    "   \"collections\": [\"obs\"], \"constructor\": {\"path\": \"{}/observations.jsonl\", \"mode\": \"truncate\"}}]}],"
    " \"dead-letters\": {\"plugin\": \"file-writer\","
    "   \"constructor\": {\"path\": \"{}/dead_letters.jsonl\", \"mode\": \"truncate\"}}}";

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);          \
            failures++;                                                          \
        }                                                                        \
    } while (0)

/* Text from a function with the buffer/needed-length convention, in a malloc'ed buffer. */
static char *stats_text(const mapi_session *s,
                        mapi_status (*fn)(const mapi_session *, char *, size_t, size_t *)) {
    size_t need = 0;
    if (fn(s, NULL, 0, &need) != MAPI_ERR_BUFFER_TOO_SMALL) return NULL;
    for (;;) {
        size_t cap = need + 1 + 1024; /* the figures may grow between the two calls */
        char *buf = malloc(cap);
        if (!buf) return NULL;
        mapi_status st = fn(s, buf, cap, &need);
        if (st == MAPI_OK) return buf;
        free(buf);
        if (st != MAPI_ERR_BUFFER_TOO_SMALL) return NULL;
    }
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    mapi_session *session;
    /* DIR plays the manifest's directory: the `{}` root. */
    mapi_status s = mapi_session_open_json(MANIFEST, dir, &session);
    if (s != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: open: %s\n", msg);
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);
    const char *stations[] = {"KILX", "KORD", NULL, "KMDW", "KSPI"};
    const double temps[] = {21.5, 18.0, 20.0, 85.0, 19.5};
    for (int i = 0; i < 5; i++) {
        mapi_record *r;
        mapi_request_add_record(req, &r);
        if (stations[i]) mapi_record_set_string(r, "station", stations[i]);
        mapi_record_set_double(r, "temp", temps[i]);
        /* Readings above 60 degrees are sensor faults. */
        mapi_record_set_condition_double(r, "plausible", 60.0);
    }
    mapi_response *resp;
    mapi_request_submit(req, &resp);
    mapi_response_wait(resp, -1);
    printf("archived: %zu\n", mapi_response_record_count(resp));
    for (size_t i = 0; i < mapi_response_rejection_count(resp); i++) {
        const char *conn = mapi_response_rejection_connection(resp, i);
        printf("rejected (%s%s%s): %s\n", mapi_response_rejection_stage(resp, i), conn ? ", " : "",
               conn ? conn : "", mapi_response_rejection_reason(resp, i, 0));
    }
    CHECK(mapi_response_record_count(resp) == 3);
    CHECK(mapi_response_rejection_count(resp) == 2);
    CHECK(strcmp(mapi_response_rejection_stage(resp, 0), "required") == 0);
    CHECK(strcmp(mapi_response_rejection_stage(resp, 1), "condition") == 0);
    mapi_response_free(resp);

    char path[4096];
    snprintf(path, sizeof path, "%s/dead_letters.jsonl", dir);
    int dead = count_lines(path);
    printf("dead letters in %s: %d\n", path, dead);
    CHECK(dead == 2);

    char *json = stats_text(session, mapi_session_stats_json);
    CHECK(json != NULL);
    if (json) {
        CHECK(strstr(json, "\"records_dead_lettered\":2") != NULL);
        CHECK(strstr(json, "\"records_submitted\":5") != NULL);
        free(json);
    }
    char *prom = stats_text(session, mapi_session_stats_prometheus);
    CHECK(prom != NULL);
    if (prom) {
        /* A summary for the log, then the textfile (written whole, then renamed into place). */
        const char *keep[] = {"messageapi_records_submitted_total ", "messageapi_records_accepted_total ",
                              "messageapi_records_rejected_total{", "messageapi_records_dead_lettered_total ",
                              NULL};
        char *copy = strdup(prom);
        for (char *line = copy ? strtok(copy, "\n") : NULL; line; line = strtok(NULL, "\n"))
            for (int k = 0; keep[k]; k++)
                if (strncmp(line, keep[k], strlen(keep[k])) == 0) printf("%s\n", line);
        free(copy);
        char tmp[4200], final_path[4200];
        snprintf(tmp, sizeof tmp, "%s/dead_letters.prom.tmp", dir);
        snprintf(final_path, sizeof final_path, "%s/dead_letters.prom", dir);
        FILE *f = fopen(tmp, "w");
        CHECK(f != NULL);
        if (f) {
            fputs(prom, f);
            fclose(f);
            CHECK(rename(tmp, final_path) == 0);
        }
        free(prom);
    }
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures) return 1;
    printf("dead letters OK\n");
    return 0;
}
