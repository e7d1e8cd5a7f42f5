/*
 * json_lines: bulk input as JSON Lines (all or nothing, errors name the line), and the
 * file-writer endpoint writing each record as one JSON object per line.
 */
#include <messageapi.h>

#include <stdio.h>
#include <string.h>

#ifndef MAPI_BINARY_DIR
#define MAPI_BINARY_DIR "."
#endif

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__);          \
            failures++;                                                          \
        }                                                                        \
    } while (0)

int main(void) {
    const char *out_path = MAPI_BINARY_DIR "/json_lines_out.jsonl";
    char manifest[2048];
    snprintf(manifest, sizeof manifest,
             "{\"fields\": [{\"id\": \"station\", \"type\": \"string\", \"required\": true},"
             "              {\"id\": \"temps\", \"type\": \"list(double)\", \"required\": false},"
             "              {\"id\": \"at\", \"type\": \"datetime\", \"required\": false},"
             "              {\"id\": \"ok\", \"type\": \"boolean\", \"required\": false}],"
             " \"collections\": [{\"id\": \"obs\", \"fields\": [\"station\", \"temps\", \"at\", \"ok\"]}],"
             " \"endpoints\": [{\"plugin\": \"file-writer\", \"connections\": [{\"id\": \"archive\", \"collections\": [\"obs\"],"
             "   \"constructor\": {\"path\": \"%s\", \"mode\": \"truncate\"}}]}]}",
             out_path);
    mapi_session *session;
    if (mapi_session_open_json(manifest, NULL, &session) != MAPI_OK) {
        fprintf(stderr, "FAILED: open\n");
        return 1;
    }
    mapi_request *req;
    mapi_request_new(session, &req);

    const char *good =
        "{\"station\": \"KILX\", \"temps\": [20.5, 21], \"at\": \"2019-05-06T12:00:00Z\", \"ok\": true}\n"
        "{\"station\": \"KORD\"}\n"
        "\n"
        "{\"station\": \"KMDW\", \"temps\": [], \"ok\": false}\n"
        "{\"station\": \"K\\\"Q\\\"\", \"at\": \"2019-05-06T07:00:00-05:00\"}\n";
    size_t added = 0;
    CHECK(mapi_request_add_json(req, good, strlen(good), &added) == MAPI_OK);
    printf("added: %zu\n", added);

    const char *bad = "{\"station\": \"A\"}\n{\"station\": 7}\n";
    CHECK(mapi_request_add_json(req, bad, strlen(bad), &added) == MAPI_ERR_TYPE_MISMATCH);
    char msg[256];
    mapi_last_error(msg, sizeof msg);
    printf("refused: %s\n", msg);
    CHECK(strncmp(msg, "line 2: ", 8) == 0);
    const char *broken = "{\"station\": \"A\"}\n{\"station\": \n";
    CHECK(mapi_request_add_json(req, broken, strlen(broken), NULL) == MAPI_ERR_JSON);
    CHECK(mapi_request_record_count(req) == 4);

    mapi_response *resp;
    mapi_request_submit(req, &resp);
    CHECK(mapi_response_wait(resp, -1) == MAPI_OK);
    printf("written: %zu\n", mapi_record_list_count(mapi_response_records(resp)));
    CHECK(mapi_response_rejection_count(resp) == 0);

    const char *expected =
        "{\"station\":\"KILX\",\"temps\":[20.5,21.0],\"at\":\"2019-05-06T12:00:00Z\",\"ok\":true}\n"
        "{\"station\":\"KORD\",\"temps\":null,\"at\":null,\"ok\":null}\n"
        "{\"station\":\"KMDW\",\"temps\":[],\"at\":null,\"ok\":false}\n"
        "{\"station\":\"K\\\"Q\\\"\",\"temps\":null,\"at\":\"2019-05-06T07:00:00-05:00\",\"ok\":null}\n";
    char disk[1024] = "";
    FILE *f = fopen(out_path, "rb");
    CHECK(f != NULL);
    if (f) {
        size_t n = fread(disk, 1, sizeof disk - 1, f);
        disk[n] = 0;
        fclose(f);
    }
    fputs(disk, stdout);
    CHECK(strcmp(disk, expected) == 0);

    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures == 0) printf("json lines OK\n");
    return failures != 0;
}
