/*
 * ingest_cf6: the original MessageAPI's headline job. Reads the NOAA CF6 climate file
 * (79,794 lines) through the original file-reader manifest and prints counts and timing.
 *
 *   ingest_cf6 [--repeat N] [MANIFEST [ROOT [FILE]]]
 *
 * With --repeat N the submit is timed N more times on a warm process (new request each time)
 * and the minimum and median are printed (the benchmark figures in BENCHMARKS.md), beside the
 * floor measured in the same process right after: reading the file, splitting it into lines
 * and one malloc per line, in plain C. The ratios printed are the warm median against the
 * floor's median, and the first request of the process against the warm median.
 * Defaults: the reference manifest file-reader/manifest.json, a root under which
 * resources/test is the reference directory, and the CF6 file. The manifest's transformation
 * names the original's Java test class FixRelativePathsTransformation; this program registers
 * a C stand-in for it under that name: it replaces "{}" in the record's path fields with ROOT.
 */
#include <messageapi.h>

#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MAPI_REFERENCE_ROOT
#define MAPI_REFERENCE_ROOT "."
#endif

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void print_error(const char *what, mapi_status s) {
    char msg[1024];
    mapi_last_error(msg, sizeof msg);
    fprintf(stderr, "FAILED: %s: %s: %s\n", what, mapi_status_name(s), msg);
}

/* The stand-in transformation: copies each record of input "transform-key", replacing "{}"
 * with the root in every field listed in the constructor's "fields". */
static mapi_status fix_relative_paths(mapi_transform_call *call, void *user_data) {
    const char *root = (const char *)user_data;
    char key[256], fields[1024];
    size_t len;
    if (mapi_transform_parameter(call, "transform-key", key, sizeof key, &len) != MAPI_OK ||
        mapi_transform_parameter(call, "fields", fields, sizeof fields, &len) != MAPI_OK) {
        return MAPI_ERR_ENDPOINT;
    }
    const mapi_record_list *input;
    mapi_status s = mapi_transform_input(call, key, &input);
    if (s != MAPI_OK) return s;
    for (size_t i = 0; i < mapi_record_list_count(input); i++) {
        const mapi_record *in = mapi_record_list_get(input, i);
        mapi_record *out;
        if ((s = mapi_transform_add_record(call, in, &out)) != MAPI_OK) return s;
        for (size_t f = 0; f < mapi_record_field_count(out); f++) {
            const char *name = mapi_record_field_name(out, f);
            char quoted[300];
            snprintf(quoted, sizeof quoted, "\"%s\"", name);
            const char *value;
            size_t n;
            if (!strstr(fields, quoted) || mapi_record_get_string(out, name, &value, &n) != MAPI_OK) continue;
            const char *mark = strstr(value, "{}");
            if (!mark) continue;
            char fixed[4096];
            snprintf(fixed, sizeof fixed, "%.*s%s%s", (int)(mark - value), value, root, mark + 2);
            if ((s = mapi_record_set_string(out, name, fixed)) != MAPI_OK) return s;
        }
    }
    return MAPI_OK;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One line of the floor: what a hand-written C reader keeps per line. */
struct line {
    const char *text;
    int64_t length;
    int64_t number;
};

/* The floor: read the whole file, split it into lines (LF or CRLF) with memchr, one malloc per
 * line. Returns the milliseconds taken (freeing is not timed, as the response's free is not),
 * or -1. `lines` holds room for `expect` pointers. */
static double floor_once(const char *path, size_t expect, struct line **lines) {
    double t = now_ms();
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return -1;
    size_t size = (size_t)st.st_size;
    /* Page-aligned, as the library reads large files: the kernel copies into an unaligned
     * buffer several times slower. */
    char *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, size + 1) != 0) buf = NULL;
    size_t got = 0, n = 0;
    ssize_t k;
    while (buf && got < size && (k = read(fd, buf + got, size - got)) > 0) got += (size_t)k;
    close(fd);
    if (!buf) return -1;
    char *p = buf, *end = buf + got;
    while (p < end && n < expect) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        struct line *l = malloc(sizeof *l);
        if (!l) return -1;
        l->text = p;
        l->length = (stop > p && stop[-1] == '\r') ? stop - 1 - p : stop - p;
        l->number = (int64_t)n;
        lines[n++] = l;
        p = stop + 1;
    }
    double elapsed = now_ms() - t;
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(buf);
    return n == expect ? elapsed : -1;
}

/* Times `repeat` submits of fresh requests for `file`, then `repeat` runs of the floor on
 * `path` (the same file); prints min and median of both and the ratios. */
static int repeat_submits(mapi_session *session, const char *file, const char *path, int repeat,
                          double first) {
#ifdef __GLIBC__
    /* The floor keeps its freed memory, as the library's allocator does between requests:
     * neither side pays for faulting fresh pages in the warm runs. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
    double *times = calloc((size_t)repeat, sizeof *times);
    double *floors = calloc((size_t)repeat, sizeof *floors);
    struct line **lines = malloc(79794 * sizeof *lines);
    if (!times || !floors || !lines) return 1;
    for (int i = 0; i < repeat; i++) {
        mapi_request *request;
        mapi_record *record;
        mapi_response *response;
        mapi_request_new(session, &request);
        mapi_request_add_record(request, &record);
        mapi_record_set_string(record, "file-path", file);
        double t = now_ms();
        mapi_request_submit(request, &response);
        mapi_response_wait(response, -1);
        times[i] = now_ms() - t;
        if (mapi_response_record_count(response) != 79794) {
            fprintf(stderr, "FAILED: %zu records\n", mapi_response_record_count(response));
            free(lines);
            free(times);
            free(floors);
            return 1;
        }
        mapi_response_free(response);
        mapi_request_free(request);
    }
    for (int i = 0; i < repeat; i++) {
        if ((floors[i] = floor_once(path, 79794, lines)) < 0) {
            fprintf(stderr, "FAILED: the floor could not read %s\n", path);
            free(lines);
            free(times);
            free(floors);
            return 1;
        }
    }
    qsort(times, (size_t)repeat, sizeof *times, compare_doubles);
    qsort(floors, (size_t)repeat, sizeof *floors, compare_doubles);
    double median = times[repeat / 2], floor_median = floors[repeat / 2];
    printf("repeat %d: submit to complete min %.3f ms, median %.3f ms\n", repeat, times[0], median);
    printf("floor (read, split, one malloc per line): min %.3f ms, median %.3f ms\n", floors[0],
           floor_median);
    printf("ratio to the floor (medians): %.2f\n", median / floor_median);
    printf("first request / warm median: %.2f\n", first / median);
    free(lines);
    free(times);
    free(floors);
    return 0;
}

/* The file's path with "{}" replaced by `root`, as the transformation does. */
static void expand(const char *file, const char *root, char *out, size_t cap) {
    const char *mark = strstr(file, "{}");
    if (mark) snprintf(out, cap, "%.*s%s%s", (int)(mark - file), file, root, mark + 2);
    else snprintf(out, cap, "%s", file);
}

int main(int argc, char **argv) {
    int repeat = 0;
    if (argc > 2 && strcmp(argv[1], "--repeat") == 0) {
        repeat = atoi(argv[2]);
        argc -= 2;
        argv += 2;
    }
    const char *manifest = argc > 1 ? argv[1] : MAPI_REFERENCE_ROOT "/resources/test/file-reader/manifest.json";
    const char *root = argc > 2 ? argv[2] : MAPI_REFERENCE_ROOT;
    const char *file = argc > 3 ? argv[3] : "{}/resources/test/inputs/file-reader/proc_sm_gtsnp_data_ftp_CF6_cf6_20190506.txt";
    int is_default = argc <= 3;

    mapi_status s = mapi_register_transformation(
        "gov.noaa.messageapi.test.transformations.FixRelativePathsTransformation", fix_relative_paths, (void *)root);
    if (s != MAPI_OK) { print_error("register", s); return 1; }

    double t0 = now_ms();
    mapi_session *session;
    if ((s = mapi_session_open(manifest, root, &session)) != MAPI_OK) { print_error("open", s); return 1; }
    double t1 = now_ms();

    mapi_request *request;
    mapi_record *record;
    mapi_request_new(session, &request);
    mapi_request_add_record(request, &record);
    if ((s = mapi_record_set_string(record, "file-path", file)) != MAPI_OK) { print_error("set", s); return 1; }

    double t2 = now_ms();
    mapi_response *response;
    mapi_request_submit(request, &response);
    if ((s = mapi_response_wait(response, -1)) != MAPI_OK) { print_error("wait", s); return 1; }
    double t3 = now_ms();

    const mapi_record_list *records = mapi_response_records(response);
    size_t count = mapi_record_list_count(records);
    size_t rejections = mapi_response_rejection_count(response);
    for (size_t i = 0; i < rejections; i++) {
        fprintf(stderr, "rejected: %s\n", mapi_response_rejection_reason(response, i, 0));
    }
    int failed = 0;
    if (is_default) {
        const mapi_record *r100 = mapi_record_list_get(records, 100);
        char value[256];
        int64_t length = -1, number = -1;
        if (!r100 || mapi_record_copy_string(r100, "value", value, sizeof value, NULL) != MAPI_OK ||
            mapi_record_get_int(r100, "length", &length) != MAPI_OK ||
            mapi_record_get_int(r100, "number", &number) != MAPI_OK || number != 100 ||
            mapi_record_field_count(r100) != 3 || strcmp(mapi_record_field_name(r100, 0), "value") != 0 ||
            strcmp(mapi_record_field_name(r100, 1), "length") != 0 ||
            strcmp(mapi_record_field_name(r100, 2), "number") != 0) {
            fprintf(stderr, "FAILED: record 100 is not what the original gives\n");
            failed = 1;
        } else {
            printf("session open: %.3f ms\n", t1 - t0);
            printf("records: %zu\nrejections: %zu\n", count, rejections);
            printf("record 100: %s (length %lld)\n", value, (long long)length);
        }
        if (count != 79794 || rejections != 0) {
            fprintf(stderr, "FAILED: expected 79794 records and no rejections\n");
            failed = 1;
        }
    } else {
        printf("session open: %.3f ms\nrecords: %zu\nrejections: %zu\n", t1 - t0, count, rejections);
    }
    printf("submit to complete: %.3f ms\n", t3 - t2);
    if (repeat > 0 && !failed) {
        char path[4096];
        expand(file, root, path, sizeof path);
        failed = repeat_submits(session, file, path, repeat, t3 - t2);
    }

    mapi_response_free(response);
    mapi_request_free(request);
    mapi_session_free(session);
    return failed;
}
