/*
 * soak: streams small records through one request, in batches, with three submits in flight
 * and every response freed, to a C endpoint (a sink that counts) and a file-writer. Prints
 * throughput and peak RSS (VmHWM) at checkpoints, and checks that every record was accounted
 * for: each batch's response returns the batch (written by the file-writer) with no rejection,
 * the C endpoint saw every record, and the file holds one line per record.
 *
 *   soak [--records N] [--batch B] [--warmup W] [--max-growth-mib M] [--file PATH]
 *
 * Defaults: 10,000,000 records in batches of 10,000; checkpoints at W (default 1,000,000) and
 * at the end. With --max-growth-mib, exits 1 (printing FAILED) when the peak RSS at the end
 * exceeds the peak at the warm-up checkpoint by more than M MiB: the memory test runs it with
 * 1,000,000 records, a 100,000-record warm-up and 64 MiB (a memory bound, not a time one).
 */
#include <messageapi.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *MANIFEST_FMT =
    "{\"fields\": [{\"id\": \"seq\", \"type\": \"integer\", \"required\": true},"
    "              {\"id\": \"station\", \"type\": \"string\", \"required\": true},"
    "              {\"id\": \"temp\", \"type\": \"double\", \"required\": false}],"
    " \"collections\": [{\"id\": \"obs\", \"fields\": [\"seq\", \"station\", \"temp\"]}],"
    " \"endpoints\": [{\"plugin\": \"soak-sink\", \"connections\": [{\"id\": \"sink\", \"collections\": [\"obs\"]}]},"
    "               {\"plugin\": \"file-writer\", \"connections\": [{\"id\": \"file\", \"collections\": [\"obs\"],"
    "                  \"constructor\": {\"path\": \"%s\", \"mode\": \"truncate\"}}]}]}";

static atomic_long seen = 0;
static atomic_llong seq_sum = 0;

/* The C endpoint: counts the records and sums their seq (a sink: returns nothing). */
static mapi_status sink(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *list = mapi_call_records(call);
    size_t n = mapi_record_list_count(list);
    long long sum = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t seq = 0;
        if (mapi_record_get_int(mapi_record_list_get(list, i), "seq", &seq) != MAPI_OK) return MAPI_ERR_ENDPOINT;
        sum += seq;
    }
    atomic_fetch_add(&seen, (long)n);
    atomic_fetch_add(&seq_sum, sum);
    return MAPI_OK;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A line of /proc/self/status in KiB ("VmHWM", "VmRSS"). */
static long status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') v = strtol(line + k + 1, NULL, 10);
    fclose(f);
    return v;
}

static int failures = 0;

/* Waits for a batch's response, checks it accounts for the whole batch, frees it. */
static void settle(mapi_response *resp, long batch) {
    if (mapi_response_wait(resp, -1) != MAPI_OK) failures++;
    size_t records = mapi_response_record_count(resp), rejections = mapi_response_rejection_count(resp);
    if (records != (size_t)batch || rejections != 0) {
        fprintf(stderr, "FAILED: a batch of %ld came back as %zu records and %zu rejections%s%s\n", batch, records,
                rejections, rejections ? ": " : "", rejections ? mapi_response_rejection_reason(resp, 0, 0) : "");
        failures++;
    }
    mapi_response_free(resp);
}

int main(int argc, char **argv) {
    long total = 10 * 1000 * 1000, batch = 10 * 1000, warmup = 1000 * 1000, max_growth_mib = -1;
    const char *path = "soak.jsonl";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--records") == 0) total = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0) batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--warmup") == 0) warmup = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--max-growth-mib") == 0) max_growth_mib = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--file") == 0) path = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (batch <= 0 || total % batch != 0 || warmup % batch != 0) {
        fprintf(stderr, "--records and --warmup must be multiples of --batch\n");
        return 2;
    }
    char manifest[2048];
    snprintf(manifest, sizeof manifest, MANIFEST_FMT, path);
    mapi_session *session = NULL;
    mapi_request *req = NULL;
    if (mapi_register_endpoint("soak-sink", sink, NULL) != MAPI_OK || mapi_session_open_json(manifest, NULL, &session) != MAPI_OK ||
        mapi_request_new(session, &req) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg);
        fprintf(stderr, "FAILED: %s\n", msg);
        return 1;
    }
    enum { IN_FLIGHT = 3 };
    mapi_response *flight[IN_FLIGHT] = {NULL};
    long sent = 0, warm_hwm = -1;
    static const char *stations[] = {"USW00094728", "USW00023174", "USC00045721", "USW00012960"};
    double start = now_s(), warm_at = 0;
    for (long b = 0; sent < total; b++) {
        for (long i = 0; i < batch; i++) {
            mapi_record *r = NULL;
            mapi_request_add_record(req, &r);
            mapi_record_set_int(r, "seq", sent + i);
            mapi_record_set_string(r, "station", stations[(sent + i) & 3]);
            mapi_record_set_double(r, "temp", (double)((sent + i) % 400) / 10.0 - 20.0);
        }
        sent += batch;
        mapi_response **slot = &flight[b % IN_FLIGHT];
        if (*slot) settle(*slot, batch); /* the oldest of three in flight */
        if (mapi_request_submit_and_clear(req, slot) != MAPI_OK) failures++;
        if (sent == warmup || sent == total) {
            for (int k = 1; k <= IN_FLIGHT; k++) { /* drain, so the figures count every record */
                mapi_response **s = &flight[(b + k) % IN_FLIGHT];
                if (*s) settle(*s, batch);
                *s = NULL;
            }
            double t = now_s();
            long hwm = status_kib("VmHWM"), rss = status_kib("VmRSS");
            printf("soak: %ld records in %.2f s: %.0f records/s; peak RSS %.1f MiB, RSS %.1f MiB\n", sent, t - start,
                   (double)sent / (t - start), hwm / 1024.0, rss / 1024.0);
            if (sent == warmup) {
                warm_hwm = hwm;
                warm_at = t;
            } else if (warm_hwm >= 0) {
                printf("soak: after the warm-up: %.0f records/s; peak RSS grew %.1f MiB\n",
                       (double)(total - warmup) / (t - warm_at), (hwm - warm_hwm) / 1024.0);
                if (max_growth_mib >= 0 && hwm - warm_hwm > max_growth_mib * 1024) {
                    fprintf(stderr, "FAILED: peak RSS grew %.1f MiB after the warm-up (bound %ld MiB)\n",
                            (hwm - warm_hwm) / 1024.0, max_growth_mib);
                    failures++;
                }
            }
            fflush(stdout);
        }
    }
    mapi_request_free(req);
    mapi_session_free(session);
    /* Every record: seen by the C endpoint once, and one line each in the file. */
    long long want_sum = (long long)total * (total - 1) / 2;
    if (atomic_load(&seen) != total || atomic_load(&seq_sum) != want_sum) {
        fprintf(stderr, "FAILED: the C endpoint saw %ld records (seq sum %lld), not %ld (%lld)\n", atomic_load(&seen),
                (long long)atomic_load(&seq_sum), total, want_sum);
        failures++;
    }
    FILE *f = fopen(path, "r");
    long lines = 0;
    if (f) {
        char buf[1 << 16];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            for (size_t i = 0; i < n; i++) lines += buf[i] == '\n';
        fclose(f);
    }
    if (lines != total) {
        fprintf(stderr, "FAILED: %s has %ld lines, not %ld\n", path, lines, total);
        failures++;
    }
    remove(path);
    if (failures) return 1;
    printf("soak OK\n");
    return 0;
}
