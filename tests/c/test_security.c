/* A manifest is configuration, not code: native code only from the directories the host
 * allows, paths only inside the ones it confines them to, secrets never shown. */
#include "check.h"

#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef MAPI_MARKER_LIB
#error "MAPI_MARKER_LIB: the marker library's path"
#endif

static char top[256], allowed[300], data[300], marker[300];

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out);
    if (!in || !out) return;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

/* A manifest with one endpoint connection of `plugin` and `constructor` (a JSON object). */
static char *manifest(const char *plugin, const char *constructor) {
    static char text[4096];
    snprintf(text, sizeof text,
             "{\"fields\": [{\"id\": \"path\", \"type\": \"string\"}],"
             " \"collections\": [{\"id\": \"c\", \"fields\": [\"path\"]}],"
             " \"endpoints\": [{\"plugin\": \"%s\", \"connections\": [{\"id\": \"conn\", \"collections\": [\"c\"],"
             "   \"constructor\": %s}]}]}",
             plugin, constructor);
    return text;
}

static mapi_status open_with(const char *plugin, const char *constructor, const char *base) {
    mapi_session *s = NULL;
    mapi_status st = mapi_session_open_json(manifest(plugin, constructor), base, &s);
    mapi_session_free(s);
    return st;
}

static mapi_status native(const char *library, const char *base) {
    char c[1024];
    snprintf(c, sizeof c, "{\"native-library\": \"%s\", \"symbol\": \"marker_endpoint\"}", library);
    return open_with("native", c, base);
}

static int log_leaks = 0;
static void on_log(int32_t level, const char *message, void *user_data) {
    (void)level;
    (void)user_data;
    if (strstr(message, "pa/ss@w0rd") || strstr(message, "w0rd@")) log_leaks++;
}

int main(void) {
    strcpy(top, "/tmp/mapi-security-XXXXXX");
    CHECK(mkdtemp(top) != NULL);
    snprintf(allowed, sizeof allowed, "%s/allowed", top);
    snprintf(data, sizeof data, "%s/data", top);
    snprintf(marker, sizeof marker, "%s/marker", top);
    mkdir(allowed, 0700);
    mkdir(data, 0700);
    setenv("MAPI_TEST_MARKER", marker, 1);
    char lib_allowed[400], lib_data[400], link[400], path[600];
    snprintf(lib_allowed, sizeof lib_allowed, "%s/libmarker.so", allowed);
    snprintf(lib_data, sizeof lib_data, "%s/libmarker.so", data);
    copy_file(MAPI_MARKER_LIB, lib_allowed);
    copy_file(MAPI_MARKER_LIB, lib_data);

    /* The host's consent: native code from `allowed` only; files inside `top` only. */
    char config[1024];
    snprintf(config, sizeof config, "{\"native-plugin-dirs\": [\"%s\"], \"confine-paths\": \"%s\"}", allowed, top);
    CHECK_STATUS(mapi_configure(config), MAPI_OK);
    CHECK_STATUS(mapi_set_log_callback(on_log, NULL), MAPI_OK);

    /* Outside the allowed directory: by its own path, relative, through "..", by a link. */
    CHECK_STATUS(native(MAPI_MARKER_LIB, NULL), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("connection conn: native-library");
    CHECK_ERROR_HAS(MAPI_MARKER_LIB);
    CHECK_ERROR_HAS("native-plugin-dirs");
    CHECK_ERROR_HAS("MAPI_NATIVE_PLUGIN_PATH");
    CHECK_STATUS(native("../data/libmarker.so", allowed), MAPI_ERR_NOT_ALLOWED);
    CHECK_STATUS(native("allowed/../data/libmarker.so", top), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS(lib_data);
    snprintf(link, sizeof link, "%s/link.so", allowed);
    CHECK(symlink(lib_data, link) == 0);
    CHECK_STATUS(native("link.so", allowed), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("which resolves to");
    /* A bare name is a file beside the manifest, never a search of the library path. */
    CHECK_STATUS(native("libmarker.so", data), MAPI_ERR_NOT_ALLOWED);
    CHECK_STATUS(native("libmarker.so", top), MAPI_ERR_IO);
    CHECK(!exists(marker));

    /* librdkafka settings that load code: a library outside, a relative one, a provider. */
    snprintf(path, sizeof path, "{\"topic\": \"t\", \"plugin.library.paths\": \"%s\"}", lib_data);
    CHECK_STATUS(open_with("kafka-producer", path, NULL), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("constructor.plugin.library.paths");
    CHECK_STATUS(open_with("kafka-consumer", "{\"topics\": [\"t\"], \"ssl.engine.location\": \"libmarker.so\"}", allowed),
                 MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("not an absolute path");
    CHECK_STATUS(open_with("kafka-producer", "{\"topic\": \"t\", \"ssl.providers\": \"legacy\"}", NULL),
                 MAPI_ERR_NOT_ALLOWED);
    CHECK(!exists(marker));

    /* Checking loads nothing, allowed or not. */
    char manifest_file[400];
    snprintf(manifest_file, sizeof manifest_file, "%s/manifest.json", allowed);
    FILE *m = fopen(manifest_file, "w");
    fputs(manifest("native", "{\"native-library\": \"libmarker.so\", \"symbol\": \"marker_endpoint\"}"), m);
    fclose(m);
    CHECK_STATUS(mapi_session_check(manifest_file, NULL), MAPI_OK);
    CHECK(!exists(marker));

    /* Paths outside the confined directory: refused at open, or the record rejected. */
    CHECK_STATUS(open_with("file-writer", "{\"path\": \"/tmp/mapi-security-outside.txt\"}", NULL), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("/tmp/mapi-security-outside.txt");
    CHECK_ERROR_HAS("confine-paths");
    CHECK_STATUS(open_with("file-writer", "{\"path\": \"../escape.txt\"}", top), MAPI_ERR_NOT_ALLOWED);
    snprintf(link, sizeof link, "%s/to-etc", data);
    CHECK(symlink("/etc", link) == 0);
    CHECK_STATUS(open_with("file-writer", "{\"path\": \"to-etc/mapi.txt\"}", data), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("which resolves to /etc/mapi.txt");
    CHECK_STATUS(open_with("evaluation", "{\"token\": \"${file:/etc/hostname}\"}", NULL), MAPI_ERR_NOT_ALLOWED);
    CHECK_ERROR_HAS("constructor.token: the secret file /etc/hostname");
    CHECK(!exists("/tmp/mapi-security-outside.txt"));

    mapi_session *reader = NULL;
    CHECK_STATUS(mapi_session_open_json(manifest("file-reader", "{\"file-fields\": \"path\"}"), data, &reader), MAPI_OK);
    char inside[400];
    snprintf(inside, sizeof inside, "%s/lines.txt", data);
    FILE *f = fopen(inside, "w");
    fputs("one\ntwo\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/to-etc/passwd", data);
    const char *paths[] = {"/etc/passwd", path, inside};
    mapi_request *req = NULL;
    mapi_record *r = NULL;
    mapi_response *resp = NULL;
    if (reader) {
        CHECK_STATUS(mapi_request_new(reader, &req), MAPI_OK);
        for (int i = 0; i < 3; i++) {
            CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);
            CHECK_STATUS(mapi_record_set_string(r, "path", paths[i]), MAPI_OK);
        }
        CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
        CHECK_STATUS(mapi_response_wait(resp, -1), MAPI_OK);
        CHECK(mapi_response_record_count(resp) == 2);
        CHECK(mapi_response_rejection_count(resp) == 2);
        const char *reason = mapi_response_rejection_reason(resp, 0, 0);
        CHECK(reason && strstr(reason, "/etc/passwd is outside the paths the host confines files to") != NULL);
        reason = mapi_response_rejection_reason(resp, 1, 0);
        CHECK(reason && strstr(reason, "which resolves to /etc/passwd") != NULL);
        mapi_response_free(resp);
        mapi_request_free(req);
    }
    mapi_session_free(reader);

    /* A password holding '/', '@' and ':' never shows in the last error or the log. */
    CHECK_STATUS(open_with("amqp-publisher", "{\"url\": \"amqp://ingest:pa/ss@w0rd@127.0.0.1:port/%2f\", \"exchange\": \"x\"}", NULL),
                 MAPI_ERR_MANIFEST);
    CHECK_ERROR_HAS("amqp://ingest:***@127.0.0.1:port/%2f");
    char error[1024];
    mapi_last_error(error, sizeof error);
    CHECK(strstr(error, "pa/ss") == NULL && strstr(error, "w0rd") == NULL);
    CHECK(log_leaks == 0);

    /* With the host's consent the library is loaded (its initialiser ran) and runs. */
    mapi_session *s = NULL;
    CHECK_STATUS(mapi_session_open(manifest_file, NULL, &s), MAPI_OK);
    CHECK(exists(marker));
    if (s) {
        CHECK_STATUS(mapi_request_new(s, &req), MAPI_OK);
        CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);
        CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
        CHECK_STATUS(mapi_response_wait(resp, -1), MAPI_OK);
        CHECK(mapi_response_rejection_count(resp) == 0);
        mapi_response_free(resp);
        mapi_request_free(req);
    }
    mapi_session_free(s);
    char cleanup[400];
    snprintf(cleanup, sizeof cleanup, "rm -rf %s", top);
    if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", top);
    if (failures == 0) printf("security OK\n");
    return failures != 0;
}
