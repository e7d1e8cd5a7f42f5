/* A plugin library for the `native` endpoint, transformation and condition (loaded with dlopen). */
#include <messageapi.h>
#include <string.h>

/* Endpoint: one output record per routed record, with the value doubled; counts calls in state. */
mapi_status native_doubler(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    mapi_record *state = mapi_call_state(call);
    int64_t calls = 0;
    mapi_record_get_int(state, "calls", &calls);
    mapi_record_set_int(state, "calls", calls + 1);
    const mapi_record_list *in = mapi_call_records(call);
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        int64_t v;
        if (mapi_record_get_int(mapi_record_list_get(in, i), "value", &v) != MAPI_OK) continue;
        mapi_record *out;
        mapi_call_add_record(call, &out);
        mapi_record_set_int(out, "doubled", v * 2);
        mapi_record_set_int(out, "calls", calls + 1);
    }
    return MAPI_OK;
}

/* Transformation: keeps records of input "in" whose value is even. */
mapi_status native_evens(mapi_transform_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *in;
    mapi_status s = mapi_transform_input(call, "in", &in);
    if (s != MAPI_OK) return s;
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        const mapi_record *r = mapi_record_list_get(in, i);
        int64_t v;
        mapi_record *out;
        if (mapi_record_get_int(r, "value", &v) == MAPI_OK && v % 2 == 0) mapi_transform_add_record(call, r, &out);
    }
    return MAPI_OK;
}

/* Condition: passes when the field's integer value is a multiple of the condition value. */
int32_t native_multiple_of(const mapi_record *record, const char *field, const char *value_json, void *user_data) {
    (void)user_data;
    int64_t v;
    if (mapi_record_get_int(record, field, &v) != MAPI_OK) return -1;
    long long m = 0;
    for (const char *p = value_json; *p >= '0' && *p <= '9'; p++) m = m * 10 + (*p - '0');
    if (m == 0) return -1;
    return v % m == 0 ? 1 : 0;
}

/* Endpoint: rejects the record whose value is 1 itself, returns one output, then fails. */
mapi_status native_rejects_one_then_fails(mapi_endpoint_call *call, void *user_data) {
    (void)user_data;
    const mapi_record_list *in = mapi_call_records(call);
    for (size_t i = 0; i < mapi_record_list_count(in); i++) {
        int64_t v = 0;
        mapi_record_get_int(mapi_record_list_get(in, i), "value", &v);
        if (v == 1) mapi_call_reject(call, mapi_record_list_get(in, i), "value 1 is reserved");
    }
    mapi_record *out;
    mapi_call_add_record(call, &out);
    mapi_call_set_error(call, "native store unavailable");
    return MAPI_ERR_IO;
}
