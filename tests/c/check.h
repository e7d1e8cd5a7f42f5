/* Minimal checks for the C tests: a failed check prints FAILED with its line and counts. */
#ifndef MAPI_TEST_CHECK_H
#define MAPI_TEST_CHECK_H
#include <messageapi.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            char check_msg_[512];                                                \
            mapi_last_error(check_msg_, sizeof check_msg_);                      \
            fprintf(stderr, "FAILED: %s (line %d; last error: %s)\n", #cond,     \
                    __LINE__, check_msg_);                                       \
            failures++;                                                          \
        }                                                                        \
    } while (0)
#define CHECK_STATUS(call, want)                                                 \
    do {                                                                         \
        mapi_status got_ = (call);                                               \
        if (got_ != (want)) {                                                    \
            char check_msg_[512];                                                \
            mapi_last_error(check_msg_, sizeof check_msg_);                      \
            fprintf(stderr, "FAILED: %s gave %s, not %s (line %d; %s)\n", #call,  \
                    mapi_status_name(got_), mapi_status_name(want), __LINE__,    \
                    check_msg_);                                                 \
            failures++;                                                          \
        }                                                                        \
    } while (0)
/* The last error contains `text`. */
#define CHECK_ERROR_HAS(text)                                                    \
    do {                                                                         \
        char check_msg_[1024];                                                   \
        mapi_last_error(check_msg_, sizeof check_msg_);                          \
        if (!strstr(check_msg_, (text))) {                                       \
            fprintf(stderr, "FAILED: last error \"%s\" lacks \"%s\" (line %d)\n", \
                    check_msg_, (text), __LINE__);                               \
            failures++;                                                          \
        }                                                                        \
    } while (0)
#endif
