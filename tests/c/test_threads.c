/* A good guest with the default configuration (worker threads): callbacks with 4 MiB and
 * 12 MiB of automatic storage run on library threads; a session whose callbacks block does not
 * hold up another session; a callback that submits to another session and waits for it
 * completes; a SIGALRM handler runs on the main thread while workers are busy, and every
 * library thread blocks SIGALRM and SIGINT; a chain of 10,000 composite conditions and a DAG of
 * 40 levels (each composite naming the next twice) evaluate, the DAG at the cost of its size. */
#define _GNU_SOURCE
#include "check.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* A session of one connection on endpoint `plugin`, for records {"x": integer}. */
static mapi_session *open_on(const char *plugin) {
    char manifest[1024];
    snprintf(manifest, sizeof manifest,
             "{\"fields\": [{\"id\": \"x\", \"type\": \"integer\", \"required\": true}],"
             " \"collections\": [{\"id\": \"c\", \"fields\": [\"x\"]}],"
             " \"endpoints\": [{\"plugin\": \"%s\", \"connections\": [{\"id\": \"conn\", \"collections\": [\"c\"]}]}]}",
             plugin);
    mapi_session *s = NULL;
    CHECK_STATUS(mapi_session_open_json(manifest, NULL, &s), MAPI_OK);
    return s;
}

/* Submits one record {"x": x} on a new request; the request is returned for freeing. */
static mapi_response *submit_one(mapi_session *s, int64_t x, mapi_request **req) {
    mapi_record *r;
    mapi_response *resp = NULL;
    CHECK_STATUS(mapi_request_new(s, req), MAPI_OK);
    CHECK_STATUS(mapi_request_add_record(*req, &r), MAPI_OK);
    CHECK_STATUS(mapi_record_set_int(r, "x", x), MAPI_OK);
    CHECK_STATUS(mapi_request_submit(*req, &resp), MAPI_OK);
    return resp;
}

/* Returns one record whose x is the last byte written to `n` bytes of automatic storage. */
#define BIG_STACK_ENDPOINT(name, n)                                              \
    static mapi_status name(mapi_endpoint_call *call, void *user_data) {        \
        (void)user_data;                                                         \
        volatile char big[n];                                                    \
        memset((char *)big, 7, sizeof big);                                      \
        mapi_record *out;                                                        \
        mapi_status s = mapi_call_add_record(call, &out);                        \
        if (s != MAPI_OK) return s;                                              \
        return mapi_record_set_int(out, "x", big[sizeof big - 1]);               \
    }
BIG_STACK_ENDPOINT(big4, 4 << 20)
BIG_STACK_ENDPOINT(big12, 12 << 20)

static void check_big_stack(const char *plugin) {
    mapi_session *s = open_on(plugin);
    mapi_request *req;
    mapi_response *resp = submit_one(s, 1, &req);
    CHECK_STATUS(mapi_response_wait(resp, 30000), MAPI_OK);
    CHECK(mapi_response_record_count(resp) == 1);
    int64_t x = 0;
    CHECK_STATUS(mapi_record_get_int(mapi_response_record(resp, 0), "x", &x), MAPI_OK);
    CHECK(x == 7);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(s);
}

/* Blocks until released (or 5 s pass), then returns its record. */
static volatile int released = 0;
static volatile int blocked_now = 0;
static mapi_status blocking(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    __sync_fetch_and_add(&blocked_now, 1);
    double until = now_ms() + 5000;
    while (!__sync_fetch_and_add(&released, 0) && now_ms() < until) sleep_ms(5);
    __sync_fetch_and_sub(&blocked_now, 1);
    const mapi_record_list *in = mapi_call_records(call);
    mapi_record *out;
    mapi_status s = mapi_call_add_record(call, &out);
    if (s != MAPI_OK) return s;
    int64_t x = 0;
    mapi_record_get_int(mapi_record_list_get(in, 0), "x", &x);
    return mapi_record_set_int(out, "x", x);
}

/* Returns each routed record. */
static mapi_status echo(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *in = mapi_call_records(call);
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        mapi_record *out;
        int64_t x = 0;
        mapi_record_get_int(mapi_record_list_get(in, i), "x", &x);
        mapi_status s = mapi_call_add_record(call, &out);
        if (s != MAPI_OK) return s;
        mapi_record_set_int(out, "x", x);
    }
    return MAPI_OK;
}

/* Submits x + 100 to the session `user_data` (an "echo" one) and waits for it: returns what
 * came back. */
static mapi_status nested(mapi_endpoint_call *call, void *user_data) {
    mapi_session *inner = user_data;
    int64_t x = 0;
    mapi_record_get_int(mapi_record_list_get(mapi_call_records(call), 0), "x", &x);
    mapi_request *req;
    mapi_response *resp = submit_one(inner, x + 100, &req);
    mapi_status s = mapi_response_wait(resp, 10000);
    int64_t got = -1;
    if (s == MAPI_OK && mapi_response_record_count(resp) == 1)
        mapi_record_get_int(mapi_response_record(resp, 0), "x", &got);
    mapi_response_free(resp);
    mapi_request_free(req);
    if (s != MAPI_OK) return s;
    mapi_record *out;
    if ((s = mapi_call_add_record(call, &out)) != MAPI_OK) return s;
    return mapi_record_set_int(out, "x", got);
}

/* Keeps a worker busy for 300 ms. */
static mapi_status spin(mapi_endpoint_call *call, void *user_data) {
    (void)call;
    (void)user_data;
    double until = now_ms() + 300;
    while (now_ms() < until) {
    }
    return MAPI_OK;
}

static pthread_t main_thread;
static volatile sig_atomic_t alarms = 0, alarms_elsewhere = 0;
static void on_alarm(int sig) {
    (void)sig;
    if (pthread_equal(pthread_self(), main_thread)) alarms++;
    else alarms_elsewhere++;
}

/* For every thread of this process named "mapi-...": whether it blocks SIGALRM and SIGINT.
 * Returns how many library threads there are; *open counts those that do not block both. */
static int library_threads(int *open) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    *open = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[300], name[64] = "", line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(name, sizeof name, f)) name[0] = 0;
        fclose(f);
        if (strncmp(name, "mapi-", 5) != 0) continue;
        n++;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        f = fopen(path, "r");
        unsigned long long mask = 0;
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "SigBlk:", 7) == 0) mask = strtoull(line + 7, NULL, 16);
        if (f) fclose(f);
        unsigned long long want = (1ULL << (SIGALRM - 1)) | (1ULL << (SIGINT - 1));
        if ((mask & want) != want) (*open)++;
    }
    if (d) closedir(d);
    return n;
}

/* Builds a manifest whose conditions are a chain (`dag` 0: c_k = and[c_{k-1}]) or a DAG
 * (`dag` 1: c_k = and[c_{k-1}, c_{k-1}]) of `depth` composites over "c_0": x > value. */
static char *condition_manifest(int depth, int dag) {
    size_t cap = (size_t)depth * 96 + 1024, len = 0;
    char *m = malloc(cap);
    len += (size_t)snprintf(m + len, cap - len,
                            "{\"fields\": [{\"id\": \"x\", \"type\": \"integer\", \"required\": true}],"
                            " \"conditions\": [{\"id\": \"c_0\", \"type\": \"comparison\", \"operator\": \">\", \"field\": \"x\"}");
    for (int k = 1; k <= depth; k++) {
        if (dag)
            len += (size_t)snprintf(m + len, cap - len,
                                    ", {\"id\": \"c_%d\", \"type\": \"composite\", \"operator\": \"and\", \"conditions\": [\"c_%d\", \"c_%d\"]}",
                                    k, k - 1, k - 1);
        else
            len += (size_t)snprintf(m + len, cap - len,
                                    ", {\"id\": \"c_%d\", \"type\": \"composite\", \"operator\": \"and\", \"conditions\": [\"c_%d\"]}",
                                    k, k - 1);
    }
    snprintf(m + len, cap - len,
             "], \"collections\": [{\"id\": \"c\", \"fields\": [\"x\"]}],"
             " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"conn\", \"collections\": [\"c\"]}]}]}");
    return m;
}

/* Submits x = 5 and x = -5, each with condition c_0 = 0 (x > 0): the first passes, the second
 * is rejected for its conditions. */
static void check_conditions(int depth, int dag) {
    char *manifest = condition_manifest(depth, dag);
    mapi_session *s = NULL;
    CHECK_STATUS(mapi_session_open_json(manifest, NULL, &s), MAPI_OK);
    free(manifest);
    if (!s) return;
    mapi_request *req;
    mapi_record *r;
    mapi_response *resp;
    CHECK_STATUS(mapi_request_new(s, &req), MAPI_OK);
    for (int i = 0; i < 2; i++) {
        CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);
        CHECK_STATUS(mapi_record_set_int(r, "x", i == 0 ? 5 : -5), MAPI_OK);
        CHECK_STATUS(mapi_record_set_condition_int(r, "c_0", 0), MAPI_OK);
    }
    double t = now_ms();
    CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
    CHECK_STATUS(mapi_response_wait(resp, 20000), MAPI_OK);
    CHECK(mapi_response_record_count(resp) == 1);
    CHECK(mapi_response_rejection_count(resp) == 1);
    const char *reason = mapi_response_rejection_reason(resp, 0, 0);
    CHECK(reason && strcmp(reason, "The record fields were invalidated against specified conditions.") == 0);
    int64_t x = 0;
    mapi_record_get_int(mapi_response_record(resp, 0), "x", &x);
    CHECK(x == 5);
    printf("conditions: %s of depth %d in %.1f ms\n", dag ? "DAG" : "chain", depth, now_ms() - t);
    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(s);
}

int main(void) {
    main_thread = pthread_self();
    CHECK_STATUS(mapi_register_endpoint("big-stack-4m", big4, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("big-stack-12m", big12, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("blocking", blocking, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("echo", echo, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("spin", spin, NULL), MAPI_OK);

    /* The defaults: a callback can use 16 MiB of stack. */
    char config[256];
    size_t len = 0;
    CHECK_STATUS(mapi_configuration(config, sizeof config, &len), MAPI_OK);
    CHECK(strstr(config, "\"stack-bytes\":33554432") != NULL);
    CHECK_STATUS(mapi_configure("{\"workers\": 1}"), MAPI_ERR_TOO_LATE);
    check_big_stack("big-stack-4m");
    check_big_stack("big-stack-12m");

    /* Four submits of session A blocked in their callback; a submit of session B completes
     * within a second all the same. */
    mapi_session *a = open_on("blocking"), *b = open_on("echo");
    mapi_request *areq[4], *breq;
    mapi_response *aresp[4];
    for (int i = 0; i < 4; i++) aresp[i] = submit_one(a, i, &areq[i]);
    double t = now_ms();
    while (__sync_fetch_and_add(&blocked_now, 0) < 2 && now_ms() < t + 5000) sleep_ms(1);
    t = now_ms();
    mapi_response *bresp = submit_one(b, 42, &breq);
    CHECK_STATUS(mapi_response_wait(bresp, 1000), MAPI_OK);
    double took = now_ms() - t;
    printf("session B completed in %.1f ms while %d submits of A were blocked\n", took,
           __sync_fetch_and_add(&blocked_now, 0));
    CHECK(took < 1000);
    CHECK(mapi_response_record_count(bresp) == 1);
    __sync_fetch_and_add(&released, 1);
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(mapi_response_wait(aresp[i], 10000), MAPI_OK);
        CHECK(mapi_response_record_count(aresp[i]) == 1);
        mapi_response_free(aresp[i]);
        mapi_request_free(areq[i]);
    }
    mapi_response_free(bresp);
    mapi_request_free(breq);

    /* A callback that submits to another session and waits for it. */
    CHECK_STATUS(mapi_register_endpoint("nested", nested, b), MAPI_OK);
    mapi_session *n = open_on("nested");
    mapi_request *nreq;
    mapi_response *nresp = submit_one(n, 1, &nreq);
    CHECK_STATUS(mapi_response_wait(nresp, 10000), MAPI_OK);
    int64_t x = 0;
    CHECK(mapi_response_record_count(nresp) == 1);
    mapi_record_get_int(mapi_response_record(nresp, 0), "x", &x);
    CHECK(x == 101);
    mapi_response_free(nresp);
    mapi_request_free(nreq);

    /* SIGALRM every 5 ms while a worker spins: the handler runs on the main thread only. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
    mapi_session *sp = open_on("spin");
    mapi_request *sreq;
    mapi_response *sresp = submit_one(sp, 1, &sreq);
    setitimer(ITIMER_REAL, &every, NULL);
    CHECK_STATUS(mapi_response_wait(sresp, -1), MAPI_OK);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("SIGALRM: %d on the main thread, %d elsewhere\n", (int)alarms, (int)alarms_elsewhere);
    CHECK(alarms > 0);
    CHECK(alarms_elsewhere == 0);
    int open = 0, threads = library_threads(&open);
    printf("library threads: %d, %d of them with SIGALRM or SIGINT unblocked\n", threads, open);
    CHECK(threads >= 1);
    CHECK(open == 0);
    mapi_response_free(sresp);
    mapi_request_free(sreq);

    /* Deep conditions. */
    check_conditions(10000, 0);
    check_conditions(40, 1);

    mapi_session_free(sp);
    mapi_session_free(n);
    mapi_session_free(a);
    mapi_session_free(b);
    if (failures == 0) printf("threads OK\n");
    return failures != 0;
}
