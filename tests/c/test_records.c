/* Every setter and getter: values round-trip through a submit, sizes and types are reported. */
#include "check.h"

static const char *MANIFEST =
    "{\"fields\": ["
    "  {\"id\": \"s\", \"type\": \"string\", \"required\": false},"
    "  {\"id\": \"i\", \"type\": \"integer\", \"required\": false},"
    "  {\"id\": \"f\", \"type\": \"float\", \"required\": false},"
    "  {\"id\": \"d\", \"type\": \"double\", \"required\": false},"
    "  {\"id\": \"b\", \"type\": \"boolean\", \"required\": false},"
    "  {\"id\": \"t\", \"type\": \"datetime\", \"required\": false},"
    "  {\"id\": \"li\", \"type\": \"list(int)\", \"required\": false, \"value\": [7, 8]},"
    "  {\"id\": \"ld\", \"type\": \"list(double)\", \"required\": false},"
    "  {\"id\": \"ls\", \"type\": \"list(string)\", \"required\": false},"
    "  {\"id\": \"j\", \"type\": \"json\", \"required\": false}],"
    " \"collections\": [{\"id\": \"all\", \"fields\": [\"s\", \"i\", \"f\", \"d\", \"b\", \"t\", \"li\", \"ld\", \"ls\", \"j\"]}],"
    " \"endpoints\": [{\"plugin\": \"evaluation\", \"connections\": [{\"id\": \"e\", \"collections\": \"*\"}]}]}";

int main(void) {
    mapi_session *session;
    CHECK_STATUS(mapi_session_open_json(MANIFEST, NULL, &session), MAPI_OK);
    mapi_request *req;
    mapi_request_new(session, &req);
    mapi_record *r;
    mapi_request_add_record(req, &r);

    int64_t ints[] = {1, -2, 3000000000LL};
    double reals[] = {0.5, -1e300};
    CHECK_STATUS(mapi_record_set_string_n(r, "s", "a\0b", 3), MAPI_OK);
    CHECK_STATUS(mapi_record_set_int(r, "i", INT64_MIN), MAPI_OK);
    CHECK_STATUS(mapi_record_set_double(r, "f", 0.1), MAPI_OK);
    CHECK_STATUS(mapi_record_set_int(r, "d", 42), MAPI_OK); /* widens */
    CHECK_STATUS(mapi_record_set_bool(r, "b", 1), MAPI_OK);
    CHECK_STATUS(mapi_record_set_datetime(r, "t", "2019-05-06T12:30:00+02:00"), MAPI_OK);
    CHECK_STATUS(mapi_record_set_int_array(r, "li", ints, 3), MAPI_OK);
    CHECK_STATUS(mapi_record_set_double_array(r, "ld", reals, 2), MAPI_OK);
    CHECK_STATUS(mapi_record_set_json(r, "ls", "[\"x\", \"y\"]"), MAPI_OK);
    CHECK_STATUS(mapi_record_set_json(r, "j", "{\"nested\": [1, null]}"), MAPI_OK);
    CHECK_STATUS(mapi_record_set_json(r, "ls", "[1]"), MAPI_ERR_TYPE_MISMATCH);

    CHECK(mapi_record_field_count(r) == 10);
    CHECK(strcmp(mapi_record_field_name(r, 5), "t") == 0);
    CHECK(mapi_record_field_name(r, 10) == NULL);
    CHECK(mapi_record_field_type(r, "s") == MAPI_TYPE_STRING && mapi_record_field_type(r, "i") == MAPI_TYPE_INTEGER &&
          mapi_record_field_type(r, "f") == MAPI_TYPE_FLOAT && mapi_record_field_type(r, "d") == MAPI_TYPE_DOUBLE &&
          mapi_record_field_type(r, "b") == MAPI_TYPE_BOOLEAN && mapi_record_field_type(r, "t") == MAPI_TYPE_DATETIME &&
          mapi_record_field_type(r, "li") == MAPI_TYPE_LIST_INT && mapi_record_field_type(r, "ld") == MAPI_TYPE_LIST_DOUBLE &&
          mapi_record_field_type(r, "ls") == MAPI_TYPE_LIST_STRING && mapi_record_field_type(r, "j") == MAPI_TYPE_JSON);
    CHECK(mapi_record_has_field(r, "j") == 1 && mapi_record_has_field(r, "zz") == 0);

    mapi_response *resp;
    mapi_request_submit(req, &resp);
    /* The request's record may change after submit: the response has a copy. */
    mapi_record_set_int(r, "i", 5);
    CHECK_STATUS(mapi_response_wait(resp, -1), MAPI_OK);
    CHECK(mapi_record_list_count(mapi_response_records(resp)) == 1);
    CHECK(mapi_response_record_count(resp) == 1);
    const mapi_record *o = mapi_response_record(resp, 0);
    CHECK(o == mapi_record_list_get(mapi_response_records(resp), 0));

    const char *sp;
    size_t len;
    CHECK_STATUS(mapi_record_get_string(o, "s", &sp, &len), MAPI_OK);
    CHECK(len == 3 && memcmp(sp, "a\0b", 3) == 0 && sp[3] == '\0');
    int64_t iv;
    CHECK_STATUS(mapi_record_get_int(o, "i", &iv), MAPI_OK);
    CHECK(iv == INT64_MIN);
    double dv;
    CHECK_STATUS(mapi_record_get_double(o, "f", &dv), MAPI_OK);
    CHECK(dv == (double)0.1f);
    CHECK_STATUS(mapi_record_get_double(o, "d", &dv), MAPI_OK);
    CHECK(dv == 42.0);
    CHECK_STATUS(mapi_record_get_double(o, "i", &dv), MAPI_OK); /* integers widen */
    int32_t bv = -1;
    CHECK_STATUS(mapi_record_get_bool(o, "b", &bv), MAPI_OK);
    CHECK(bv == 1);
    CHECK_STATUS(mapi_record_get_string(o, "t", &sp, &len), MAPI_OK);
    CHECK(strcmp(sp, "2019-05-06T12:30:00+02:00") == 0 && len == 25);
    char buf[64];
    CHECK_STATUS(mapi_record_copy_string(o, "t", buf, sizeof buf, &len), MAPI_OK);
    CHECK(strcmp(buf, "2019-05-06T12:30:00+02:00") == 0);

    size_t n = 0;
    int64_t got_ints[3];
    CHECK_STATUS(mapi_record_get_int_array(o, "li", NULL, 0, &n), MAPI_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 3);
    CHECK_STATUS(mapi_record_get_int_array(o, "li", got_ints, 3, &n), MAPI_OK);
    CHECK(got_ints[0] == 1 && got_ints[1] == -2 && got_ints[2] == 3000000000LL);
    double got_reals[3];
    CHECK_STATUS(mapi_record_get_double_array(o, "ld", got_reals, 3, &n), MAPI_OK);
    CHECK(n == 2 && got_reals[0] == 0.5 && got_reals[1] == -1e300);
    CHECK_STATUS(mapi_record_get_double_array(o, "li", got_reals, 3, &n), MAPI_OK); /* widened */
    CHECK(n == 3 && got_reals[2] == 3e9);

    CHECK_STATUS(mapi_record_get_json(o, "ls", buf, sizeof buf, &len), MAPI_OK);
    CHECK(strcmp(buf, "[\"x\",\"y\"]") == 0);
    CHECK_STATUS(mapi_record_get_json(o, "j", buf, sizeof buf, &len), MAPI_OK);
    CHECK(strcmp(buf, "{\"nested\":[1,null]}") == 0);
    char whole[512];
    CHECK_STATUS(mapi_record_get_json(o, NULL, whole, sizeof whole, &len), MAPI_OK);
    CHECK(strncmp(whole, "{\"s\":\"a\\u0000b\",\"i\":-9223372036854775808,", 40) == 0);
    CHECK(strlen(whole) == len);
    CHECK_STATUS(mapi_record_get_json(o, NULL, buf, 8, &len), MAPI_ERR_BUFFER_TOO_SMALL);
    CHECK(len == strlen(whole));

    /* Nulls */
    CHECK_STATUS(mapi_record_set_null(r, "s"), MAPI_OK);
    CHECK(mapi_record_is_null(r, "s") == 1 && mapi_record_is_null(o, "s") == 0 && mapi_record_is_null(r, "zz") == -1);
    CHECK_STATUS(mapi_record_get_string(r, "s", &sp, &len), MAPI_ERR_NULL_VALUE);
    CHECK_STATUS(mapi_record_get_json(r, "s", buf, sizeof buf, &len), MAPI_OK);
    CHECK(strcmp(buf, "null") == 0);

    /* Records from JSON input keep all types. */
    const char *line = "{\"s\": \"x\", \"t\": \"2019-05-06\", \"li\": [], \"b\": false}";
    size_t added;
    CHECK_STATUS(mapi_request_add_json(req, line, strlen(line), &added), MAPI_OK);
    CHECK(added == 1 && mapi_request_record_count(req) == 2);
    CHECK_STATUS(mapi_request_clear(req), MAPI_OK);
    CHECK(mapi_request_record_count(req) == 0);

    /* submit_and_clear moves the records into the submit: the request is empty at once, the
     * response has every record with its values, and the request takes new records. */
    for (int k = 0; k < 3; k++) {
        mapi_record *m;
        CHECK_STATUS(mapi_request_add_record(req, &m), MAPI_OK);
        CHECK_STATUS(mapi_record_set_int(m, "i", 100 + k), MAPI_OK);
        CHECK_STATUS(mapi_record_set_string(m, "s", "moved"), MAPI_OK);
    }
    mapi_response *moved;
    CHECK_STATUS(mapi_request_submit_and_clear(req, &moved), MAPI_OK);
    CHECK(mapi_request_record_count(req) == 0);
    CHECK_STATUS(mapi_request_submit_and_clear(req, NULL), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_request_submit_and_clear(NULL, &moved), MAPI_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mapi_response_wait(moved, -1), MAPI_OK);
    CHECK(mapi_response_record_count(moved) == 3 && mapi_response_rejection_count(moved) == 0);
    for (size_t k = 0; k < 3; k++) {
        int64_t v = 0;
        CHECK_STATUS(mapi_record_get_int(mapi_response_record(moved, k), "i", &v), MAPI_OK);
        CHECK(v == 100 + (int64_t)k);
        CHECK_STATUS(mapi_record_get_string(mapi_response_record(moved, k), "s", &sp, &len), MAPI_OK);
        CHECK(len == 5 && strcmp(sp, "moved") == 0);
    }
    mapi_response_free(moved);

    /* The request record carries manifest condition values; here there are none to set. */
    mapi_record *conditions;
    CHECK_STATUS(mapi_request_conditions(req, &conditions), MAPI_OK);
    CHECK_STATUS(mapi_record_set_condition_int(conditions, "none", 1), MAPI_ERR_UNKNOWN_CONDITION);

    mapi_response_free(resp);
    mapi_request_free(req);
    mapi_session_free(session);
    if (failures == 0) printf("records OK\n");
    return failures != 0;
}
