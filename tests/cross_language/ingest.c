/* The cross-language scenario from C (see README.md): five records, every field type. */
#include <stdio.h>
#include <stdint.h>
#include "messageapi.h"

#define CHECK(call)                                                               \
  do {                                                                            \
    mapi_status s_ = (call);                                                      \
    if (s_ != MAPI_OK) {                                                          \
      char m_[512];                                                               \
      mapi_last_error(m_, sizeof m_);                                             \
      fprintf(stderr, "%s: %s: %s\n", #call, mapi_status_name(s_), m_);           \
      return 1;                                                                   \
    }                                                                             \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MANIFEST OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  mapi_session *session;
  mapi_request *request;
  mapi_record *r;
  mapi_response *response;
  CHECK(mapi_session_open(argv[1], argv[2], &session));
  CHECK(mapi_request_new(session, &request));

  CHECK(mapi_request_add_record(request, &r));
  CHECK(mapi_record_set_string(r, "id", "a1"));
  CHECK(mapi_record_set_string(r, "station", "KILX"));
  CHECK(mapi_record_set_int(r, "count", 7));
  CHECK(mapi_record_set_double(r, "ratio", 0.25));
  CHECK(mapi_record_set_double(r, "single", 1.5));
  CHECK(mapi_record_set_bool(r, "ok", 1));
  CHECK(mapi_record_set_datetime(r, "when", "2019-05-06T12:30:00Z"));
  const int64_t ids1[] = {1, 2, 3};
  CHECK(mapi_record_set_int_array(r, "ids", ids1, 3));
  const double temps1[] = {20.5, -3.25};
  CHECK(mapi_record_set_double_array(r, "temps", temps1, 2));
  CHECK(mapi_record_set_json(r, "tags", "[\"x\", \"y z\"]"));
  CHECK(mapi_record_set_json(r, "extra", "{\"k\": [1, null]}"));
  CHECK(mapi_record_set_condition_int(r, "count-below", 100));

  CHECK(mapi_request_add_record(request, &r));
  CHECK(mapi_record_set_string(r, "id", "a2"));
  CHECK(mapi_record_set_string(r, "station", "KILX"));
  CHECK(mapi_record_set_int(r, "count", 12));
  CHECK(mapi_record_set_double(r, "ratio", -0.001));
  CHECK(mapi_record_set_double(r, "single", 0.1));
  CHECK(mapi_record_set_bool(r, "ok", 0));
  CHECK(mapi_record_set_datetime(r, "when", "2020-01-01T00:00:00+02:00"));
  const int64_t ids2[] = {-9007199254740993LL};
  CHECK(mapi_record_set_int_array(r, "ids", ids2, 1));
  const double temps2[] = {0.0};
  CHECK(mapi_record_set_double_array(r, "temps", temps2, 1));
  CHECK(mapi_record_set_json(r, "tags", "[]"));
  CHECK(mapi_record_set_json(r, "extra", "\"text\""));
  CHECK(mapi_record_set_condition_int(r, "count-below", 100));

  CHECK(mapi_request_add_record(request, &r));
  CHECK(mapi_record_set_string(r, "station", "KORD"));
  CHECK(mapi_record_set_int(r, "count", 1));
  CHECK(mapi_record_set_condition_int(r, "count-below", 100));

  CHECK(mapi_request_add_record(request, &r));
  CHECK(mapi_record_set_string(r, "id", "a4"));
  CHECK(mapi_record_set_string(r, "station", "KORD"));
  CHECK(mapi_record_set_int(r, "count", 500));
  CHECK(mapi_record_set_condition_int(r, "count-below", 100));

  CHECK(mapi_request_add_record(request, &r));
  CHECK(mapi_record_set_string(r, "id", "a5"));
  CHECK(mapi_record_set_string(r, "station", "KORD"));
  CHECK(mapi_record_set_int(r, "count", 3));
  CHECK(mapi_record_set_condition_int(r, "count-below", 100));

  CHECK(mapi_request_submit(request, &response));
  CHECK(mapi_response_wait(response, -1));

  char path[4096];
  snprintf(path, sizeof path, "%s/summary.txt", argv[2]);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return 1;
  }
  fprintf(f, "records: %zu\n", mapi_response_record_count(response));
  size_t n = mapi_response_rejection_count(response);
  fprintf(f, "rejections: %zu\n", n);
  for (size_t i = 0; i < n; i++) {
    const mapi_record *rec = mapi_response_rejection_record(response, i);
    char id[64] = "(null)";
    size_t len;
    if (mapi_record_copy_string(rec, "id", id, sizeof id, &len) != MAPI_OK) {
      snprintf(id, sizeof id, "(null)");
    }
    fprintf(f, "rejection %zu: id=%s:", i + 1, id);
    for (size_t j = 0; j < mapi_response_rejection_reason_count(response, i); j++) {
      fprintf(f, " %s", mapi_response_rejection_reason(response, i, j));
    }
    fprintf(f, "\n");
  }
  fclose(f);
  printf("C: %zu records, %zu rejections\n", mapi_response_record_count(response), n);
  mapi_response_free(response);
  mapi_request_free(request);
  mapi_session_free(session);
  return 0;
}
