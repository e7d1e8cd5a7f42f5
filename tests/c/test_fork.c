/* fork(): in the child, the parent's sessions whose endpoints own no threads (evaluation, a C
 * callback) keep working, their old requests too; a session opened in the child works; the
 * parent's Kafka session rejects each record submitted in the child with a reason saying it
 * was opened before fork(), and freeing it does not hang. A submit whose callback was running
 * on a parent's worker at the fork completes in the child at once with one rejection saying
 * so, and its request refuses later submits there (it stays with the parent). The parent is
 * unaffected. */
#define _GNU_SOURCE
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static mapi_status echo(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *in = mapi_call_records(call);
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        mapi_record *out;
        int64_t x = 0;
        mapi_record_get_int(mapi_record_list_get(in, i), "x", &x);
        mapi_status s = mapi_call_add_record(call, &out);
        if (s != MAPI_OK) return s;
        mapi_record_set_int(out, "x", x * 10);
    }
    return MAPI_OK;
}

/* Echoes after 400 ms. */
static mapi_status slow(mapi_endpoint_call *call, void *user_data) {
    struct timespec t = {0, 400 * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
    return echo(call, user_data);
}

static mapi_session *open_on(const char *plugin, const char *constructor) {
    char manifest[1024];
    snprintf(manifest, sizeof manifest,
             "{\"fields\": [{\"id\": \"x\", \"type\": \"integer\", \"required\": true}],"
             " \"collections\": [{\"id\": \"c\", \"fields\": [\"x\"]}],"
             " \"endpoints\": [{\"plugin\": \"%s\", \"connections\": [{\"id\": \"conn\", \"collections\": [\"c\"],"
             " \"constructor\": %s}]}]}",
             plugin, constructor);
    mapi_session *s = NULL;
    CHECK_STATUS(mapi_session_open_json(manifest, NULL, &s), MAPI_OK);
    return s;
}

/* Submits records x = 1..n on `req` (cleared first); waits at most 3 s; returns the response. */
static mapi_response *submit(mapi_request *req, int n) {
    mapi_record *r;
    mapi_response *resp = NULL;
    CHECK_STATUS(mapi_request_clear(req), MAPI_OK);
    for (int i = 1; i <= n; i++) {
        CHECK_STATUS(mapi_request_add_record(req, &r), MAPI_OK);
        CHECK_STATUS(mapi_record_set_int(r, "x", i), MAPI_OK);
    }
    CHECK_STATUS(mapi_request_submit(req, &resp), MAPI_OK);
    CHECK_STATUS(mapi_response_wait(resp, 3000), MAPI_OK);
    return resp;
}

/* A request on `s` gives n records, the last one x = n * scale. */
static void check_works(mapi_session *s, mapi_request *req, int n, int64_t scale) {
    mapi_response *resp = submit(req, n);
    CHECK(mapi_response_record_count(resp) == (size_t)n);
    CHECK(mapi_response_rejection_count(resp) == 0);
    int64_t x = 0;
    mapi_record_get_int(mapi_response_record(resp, (size_t)n - 1), "x", &x);
    CHECK(x == n * scale);
    mapi_response_free(resp);
    (void)s;
}

/* In the child: the submit that was in the callback at the fork, and its request. */
static void check_left_behind(mapi_request *busy, mapi_response *pending) {
    CHECK_STATUS(mapi_response_wait(pending, 3000), MAPI_OK);
    CHECK(mapi_response_record_count(pending) == 0);
    CHECK(mapi_response_rejection_count(pending) == 1);
    const char *reason = mapi_response_rejection_reason(pending, 0, 0);
    CHECK(reason && strstr(reason, "running on another thread when the process forked"));
    CHECK(mapi_response_rejection_stage(pending, 0) && strcmp(mapi_response_rejection_stage(pending, 0), "internal") == 0);
    mapi_record *r;
    mapi_response *again = NULL;
    CHECK_STATUS(mapi_request_clear(busy), MAPI_OK);
    for (int i = 0; i < 2; i++) {
        CHECK_STATUS(mapi_request_add_record(busy, &r), MAPI_OK);
        CHECK_STATUS(mapi_record_set_int(r, "x", i), MAPI_OK);
    }
    CHECK_STATUS(mapi_request_submit(busy, &again), MAPI_OK);
    CHECK_STATUS(mapi_response_wait(again, 3000), MAPI_OK);
    CHECK(mapi_response_record_count(again) == 0);
    CHECK(mapi_response_rejection_count(again) == 2);
    reason = mapi_response_rejection_reason(again, 1, 0);
    CHECK(reason && strstr(reason, "in use on another thread when the process forked"));
    mapi_response_free(again);
}

static int child(mapi_session *eval, mapi_session *cb, mapi_session *kafka, mapi_request *old_eval) {
    /* The parent's sessions without threads of their own, and a request made before fork(). */
    check_works(eval, old_eval, 5, 1);
    mapi_request *req;
    CHECK_STATUS(mapi_request_new(cb, &req), MAPI_OK);
    check_works(cb, req, 7, 10);
    mapi_request_free(req);
    /* A session opened in the child. */
    mapi_session *fresh = open_on("echo", "{}");
    CHECK_STATUS(mapi_request_new(fresh, &req), MAPI_OK);
    check_works(fresh, req, 3, 10);
    mapi_request_free(req);
    mapi_session_free(fresh);
    /* The parent's Kafka session: each record rejected, saying why. */
    CHECK_STATUS(mapi_request_new(kafka, &req), MAPI_OK);
    mapi_response *resp = submit(req, 2);
    CHECK(mapi_response_record_count(resp) == 0);
    CHECK(mapi_response_rejection_count(resp) == 2);
    for (size_t i = 0; i < mapi_response_rejection_count(resp); i++) {
        const char *reason = mapi_response_rejection_reason(resp, i, 0);
        CHECK(reason && strstr(reason, "opened before fork()") && strstr(reason, "connection conn"));
        CHECK(strcmp(mapi_response_rejection_stage(resp, i), "endpoint") == 0);
        CHECK(strcmp(mapi_response_rejection_connection(resp, i), "conn") == 0);
    }
    if (mapi_response_rejection_count(resp) > 0) printf("child: %s\n", mapi_response_rejection_reason(resp, 0, 0));
    mapi_response_free(resp);
    mapi_request_free(req);
    /* Freeing the parent's sessions never waits for the parent's threads. */
    mapi_request_free(old_eval);
    mapi_session_free(kafka);
    mapi_session_free(cb);
    mapi_session_free(eval);
    if (failures == 0) printf("child OK\n");
    return failures != 0;
}

int main(void) {
    CHECK_STATUS(mapi_register_endpoint("echo", echo, NULL), MAPI_OK);
    CHECK_STATUS(mapi_register_endpoint("slow", slow, NULL), MAPI_OK);
    mapi_session *slow_session = open_on("slow", "{}");
    mapi_session *eval = open_on("evaluation", "{}");
    mapi_session *cb = open_on("echo", "{}");
    /* Nothing listens on port 1: the producer's messages time out in the parent. */
    mapi_session *kafka = open_on("kafka-producer",
                                  "{\"topic\": \"fork-test\", \"bootstrap.servers\": \"127.0.0.1:1\","
                                  " \"message.timeout.ms\": 300}");
    if (!eval || !cb || !kafka) return 1;
    /* The parent has worker threads and a Kafka client with threads of its own. */
    mapi_request *old_eval, *req;
    CHECK_STATUS(mapi_request_new(eval, &old_eval), MAPI_OK);
    check_works(eval, old_eval, 4, 1);
    CHECK_STATUS(mapi_request_new(kafka, &req), MAPI_OK);
    mapi_response *resp = submit(req, 1);
    CHECK(mapi_response_rejection_count(resp) == 1);
    mapi_response_free(resp);
    mapi_request_free(req);

    /* A submit in the slow callback, on a worker, while the process forks. */
    mapi_request *busy;
    mapi_record *br;
    mapi_response *pending = NULL;
    CHECK_STATUS(mapi_request_new(slow_session, &busy), MAPI_OK);
    CHECK_STATUS(mapi_request_add_record(busy, &br), MAPI_OK);
    CHECK_STATUS(mapi_record_set_int(br, "x", 9), MAPI_OK);
    CHECK_STATUS(mapi_request_submit(busy, &pending), MAPI_OK);
    struct timespec settle = {0, 150 * 1000000L};
    nanosleep(&settle, NULL);
    /* The child reports through a pipe: its exit status may be valgrind's (which counts the
     * parent's objects the child leaks on purpose). */
    int report[2];
    CHECK(pipe(report) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        check_left_behind(busy, pending);
        int failed = child(eval, cb, kafka, old_eval);
        fflush(stdout);
        ssize_t w = write(report[1], failed ? "F" : "K", 1);
        _exit(w == 1 ? failed : 1);
    }
    CHECK(pid > 0);
    close(report[1]);
    int status = -1;
    for (int waited = 0; waited < 300; waited++) {
        if (waitpid(pid, &status, WNOHANG) == pid) break;
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
        if (waited == 299) {
            fprintf(stderr, "FAILED: the child hung\n");
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            failures++;
        }
    }
    char verdict = 0;
    CHECK(read(report[0], &verdict, 1) == 1 && verdict == 'K');
    close(report[0]);
    CHECK(WIFEXITED(status));
    /* The parent goes on as before: the slow submit completes here, its request works. */
    CHECK_STATUS(mapi_response_wait(pending, 10000), MAPI_OK);
    CHECK(mapi_response_record_count(pending) == 1);
    mapi_response_free(pending);
    check_works(slow_session, busy, 2, 10);
    mapi_request_free(busy);
    mapi_session_free(slow_session);
    check_works(eval, old_eval, 6, 1);
    CHECK_STATUS(mapi_request_new(cb, &req), MAPI_OK);
    check_works(cb, req, 2, 10);
    mapi_request_free(req);
    mapi_request_free(old_eval);
    mapi_session_free(kafka);
    mapi_session_free(cb);
    mapi_session_free(eval);
    if (failures == 0) printf("fork OK\n");
    return failures != 0;
}
