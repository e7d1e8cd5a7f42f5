!> messageapi_c: the C ABI of include/messageapi.h as raw bind(c) interfaces, one per C
!> function with its C prototype above it, and the header's constants (tests/fortran_binding.rs
!> checks both against the header). Arguments are C's: NUL-terminated strings and out-parameters
!> as type(c_ptr), 0-based indices. Module messageapi wraps these for Fortran; use this module to
!> call the C ABI directly (plug-in callbacks, for example, get C handles).
module messageapi_c
  use, intrinsic :: iso_c_binding
  implicit none
  public

  ! Status codes (the C ABI's mapi_status).
  integer(c_int32_t), parameter :: MAPI_OK = 0
  integer(c_int32_t), parameter :: MAPI_ERR_NULL_ARGUMENT = 1
  integer(c_int32_t), parameter :: MAPI_ERR_INVALID_ARGUMENT = 2
  integer(c_int32_t), parameter :: MAPI_ERR_UNKNOWN_FIELD = 3
  integer(c_int32_t), parameter :: MAPI_ERR_UNKNOWN_CONDITION = 4
  integer(c_int32_t), parameter :: MAPI_ERR_TYPE_MISMATCH = 5
  integer(c_int32_t), parameter :: MAPI_ERR_NULL_VALUE = 6
  integer(c_int32_t), parameter :: MAPI_ERR_OUT_OF_RANGE = 7
  integer(c_int32_t), parameter :: MAPI_ERR_BUFFER_TOO_SMALL = 8
  integer(c_int32_t), parameter :: MAPI_ERR_MANIFEST = 9
  integer(c_int32_t), parameter :: MAPI_ERR_IO = 10
  integer(c_int32_t), parameter :: MAPI_ERR_UNKNOWN_PLUGIN = 11
  integer(c_int32_t), parameter :: MAPI_ERR_JSON = 12
  integer(c_int32_t), parameter :: MAPI_ERR_TIMED_OUT = 13
  integer(c_int32_t), parameter :: MAPI_ERR_ENDPOINT = 14
  integer(c_int32_t), parameter :: MAPI_ERR_KAFKA = 15
  integer(c_int32_t), parameter :: MAPI_ERR_PANIC = 16
  integer(c_int32_t), parameter :: MAPI_ERR_TOO_LATE = 17
  integer(c_int32_t), parameter :: MAPI_ERR_NOT_ALLOWED = 18

  ! Field type codes.
  integer(c_int32_t), parameter :: MAPI_TYPE_STRING = 0, MAPI_TYPE_INTEGER = 1, &
       MAPI_TYPE_FLOAT = 2, MAPI_TYPE_DOUBLE = 3, MAPI_TYPE_BOOLEAN = 4, MAPI_TYPE_DATETIME = 5, &
       MAPI_TYPE_LIST_INT = 6, MAPI_TYPE_LIST_DOUBLE = 7, MAPI_TYPE_LIST_STRING = 8, MAPI_TYPE_JSON = 9

  ! Log levels (mapi_set_log_callback).
  integer(c_int32_t), parameter :: MAPI_LOG_ERROR = 1, MAPI_LOG_WARN = 2, MAPI_LOG_INFO = 3, &
       MAPI_LOG_DEBUG = 4
  ! The version of the header these interfaces were written against.
  integer(c_int32_t), parameter :: MAPI_VERSION_MAJOR = 1, MAPI_VERSION_MINOR = 0, &
       MAPI_VERSION_PATCH = 0, MAPI_ABI_VERSION = 1

  interface
     ! size_t strlen(const char *s);
     function c_strlen(s) bind(c, name='strlen') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: s
       integer(c_size_t) :: n
     end function c_strlen
     ! const char *mapi_version(void);
     function c_version() bind(c, name='mapi_version') result(p)
       import :: c_ptr
       type(c_ptr) :: p
     end function c_version
     ! const char *mapi_status_name(mapi_status status);
     function c_status_name(s) bind(c, name='mapi_status_name') result(p)
       import :: c_ptr, c_int32_t
       integer(c_int32_t), value :: s
       type(c_ptr) :: p
     end function c_status_name
     ! size_t mapi_last_error(char *buf, size_t buf_len);
     function c_last_error(buf, n) bind(c, name='mapi_last_error') result(full)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: buf
       integer(c_size_t), value :: n
       integer(c_size_t) :: full
     end function c_last_error
     ! mapi_status mapi_configure(const char *options_json);
     function c_configure(options) bind(c, name='mapi_configure') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: options
       integer(c_int32_t) :: s
     end function c_configure
     ! mapi_status mapi_configuration(char *buf, size_t cap, size_t *len);
     function c_configuration(buf, cap, len) bind(c, name='mapi_configuration') result(s)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_configuration
     ! mapi_status mapi_session_open(const char *manifest_path, const char *root, mapi_session
     !    **out);
     function c_session_open(path, root, out) bind(c, name='mapi_session_open') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: path, root
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_session_open
     ! mapi_status mapi_session_check(const char *manifest_path, const char *root);
     function c_session_check(path, root) bind(c, name='mapi_session_check') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: path, root
       integer(c_int32_t) :: s
     end function c_session_check
     ! mapi_status mapi_session_open_json(const char *manifest_json, const char *base_dir,
     !    mapi_session **out);
     function c_session_open_json(text, base, out) bind(c, name='mapi_session_open_json') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: text, base
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_session_open_json
     ! void mapi_session_free(mapi_session *session);
     subroutine c_session_free(p) bind(c, name='mapi_session_free')
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine c_session_free
     ! size_t mapi_session_field_count(const mapi_session *session);
     function c_session_field_count(p) bind(c, name='mapi_session_field_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: p
       integer(c_size_t) :: n
     end function c_session_field_count
     ! const char *mapi_session_field_name(const mapi_session *session, size_t index);
     function c_session_field_name(p, i) bind(c, name='mapi_session_field_name') result(q)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: p
       integer(c_size_t), value :: i
       type(c_ptr) :: q
     end function c_session_field_name
     ! mapi_status mapi_request_new(const mapi_session *session, mapi_request **out);
     function c_request_new(session, out) bind(c, name='mapi_request_new') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: session
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_request_new
     ! void mapi_request_free(mapi_request *request);
     subroutine c_request_free(p) bind(c, name='mapi_request_free')
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine c_request_free
     ! void mapi_request_abandon(mapi_request *request);
     subroutine c_request_abandon(p) bind(c, name='mapi_request_abandon')
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine c_request_abandon
     ! mapi_status mapi_request_add_record(mapi_request *request, mapi_record **out);
     function c_request_add_record(req, out) bind(c, name='mapi_request_add_record') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_request_add_record
     ! mapi_status mapi_request_add_json(mapi_request *request, const char *json, size_t len, size_t
     !    *added);
     function c_request_add_json(req, text, n, added) bind(c, name='mapi_request_add_json') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: req, text
       integer(c_size_t), value :: n
       integer(c_size_t) :: added
       integer(c_int32_t) :: s
     end function c_request_add_json
     ! size_t mapi_request_record_count(const mapi_request *request);
     function c_request_record_count(req) bind(c, name='mapi_request_record_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: req
       integer(c_size_t) :: n
     end function c_request_record_count
     ! mapi_status mapi_request_clear(mapi_request *request);
     function c_request_clear(req) bind(c, name='mapi_request_clear') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       integer(c_int32_t) :: s
     end function c_request_clear
     ! mapi_status mapi_request_conditions(mapi_request *request, mapi_record **out);
     function c_request_conditions(req, out) bind(c, name='mapi_request_conditions') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_request_conditions
     ! mapi_status mapi_request_set_parameter(mapi_request *request, const char *connection_id,
     !    const char *key, const char *json_value);
     function c_request_set_parameter(req, conn, key, json) bind(c, name='mapi_request_set_parameter') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req, conn, key, json
       integer(c_int32_t) :: s
     end function c_request_set_parameter
     ! mapi_status mapi_request_submit(mapi_request *request, mapi_response **out);
     function c_request_submit(req, out) bind(c, name='mapi_request_submit') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_request_submit
     ! mapi_status mapi_request_submit_and_clear(mapi_request *request, mapi_response **out);
     function c_request_submit_and_clear(req, out) bind(c, name='mapi_request_submit_and_clear') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_request_submit_and_clear
     ! mapi_status mapi_record_set_string_n(mapi_record *r, const char *field, const char *value,
     !    size_t len);
     function c_set_string_n(r, f, v, n) bind(c, name='mapi_record_set_string_n') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, v
       integer(c_size_t), value :: n
       integer(c_int32_t) :: s
     end function c_set_string_n
     ! mapi_status mapi_record_set_int(mapi_record *r, const char *field, int64_t value);
     function c_set_int(r, f, v) bind(c, name='mapi_record_set_int') result(s)
       import :: c_ptr, c_int32_t, c_int64_t
       type(c_ptr), value :: r, f
       integer(c_int64_t), value :: v
       integer(c_int32_t) :: s
     end function c_set_int
     ! mapi_status mapi_record_set_double(mapi_record *r, const char *field, double value);
     function c_set_double(r, f, v) bind(c, name='mapi_record_set_double') result(s)
       import :: c_ptr, c_int32_t, c_double
       type(c_ptr), value :: r, f
       real(c_double), value :: v
       integer(c_int32_t) :: s
     end function c_set_double
     ! mapi_status mapi_record_set_bool(mapi_record *r, const char *field, int32_t value);
     function c_set_bool(r, f, v) bind(c, name='mapi_record_set_bool') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t), value :: v
       integer(c_int32_t) :: s
     end function c_set_bool
     ! mapi_status mapi_record_set_datetime(mapi_record *r, const char *field, const char *iso8601);
     function c_set_datetime(r, f, v) bind(c, name='mapi_record_set_datetime') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f, v
       integer(c_int32_t) :: s
     end function c_set_datetime
     ! mapi_status mapi_record_set_null(mapi_record *r, const char *field);
     function c_set_null(r, f) bind(c, name='mapi_record_set_null') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t) :: s
     end function c_set_null
     ! mapi_status mapi_record_set_json(mapi_record *r, const char *field, const char *json_value);
     function c_set_json(r, f, v) bind(c, name='mapi_record_set_json') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f, v
       integer(c_int32_t) :: s
     end function c_set_json
     ! mapi_status mapi_record_set_int_array(mapi_record *r, const char *field, const int64_t
     !    *values, size_t n);
     function c_set_int_array(r, f, v, n) bind(c, name='mapi_record_set_int_array') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, v
       integer(c_size_t), value :: n
       integer(c_int32_t) :: s
     end function c_set_int_array
     ! mapi_status mapi_record_set_double_array(mapi_record *r, const char *field, const double
     !    *values, size_t n);
     function c_set_double_array(r, f, v, n) bind(c, name='mapi_record_set_double_array') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, v
       integer(c_size_t), value :: n
       integer(c_int32_t) :: s
     end function c_set_double_array
     ! mapi_status mapi_record_set_condition_string(mapi_record *r, const char *condition_id, const
     !    char *value);
     function c_cond_string(r, c, v) bind(c, name='mapi_record_set_condition_string') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, c, v
       integer(c_int32_t) :: s
     end function c_cond_string
     ! mapi_status mapi_record_set_condition_int(mapi_record *r, const char *condition_id, int64_t
     !    value);
     function c_cond_int(r, c, v) bind(c, name='mapi_record_set_condition_int') result(s)
       import :: c_ptr, c_int32_t, c_int64_t
       type(c_ptr), value :: r, c
       integer(c_int64_t), value :: v
       integer(c_int32_t) :: s
     end function c_cond_int
     ! mapi_status mapi_record_set_condition_double(mapi_record *r, const char *condition_id, double
     !    value);
     function c_cond_double(r, c, v) bind(c, name='mapi_record_set_condition_double') result(s)
       import :: c_ptr, c_int32_t, c_double
       type(c_ptr), value :: r, c
       real(c_double), value :: v
       integer(c_int32_t) :: s
     end function c_cond_double
     ! mapi_status mapi_record_set_condition_bool(mapi_record *r, const char *condition_id, int32_t
     !    value);
     function c_cond_bool(r, c, v) bind(c, name='mapi_record_set_condition_bool') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, c
       integer(c_int32_t), value :: v
       integer(c_int32_t) :: s
     end function c_cond_bool
     ! mapi_status mapi_record_set_condition_json(mapi_record *r, const char *condition_id, const
     !    char *json_value);
     function c_cond_json(r, c, v) bind(c, name='mapi_record_set_condition_json') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, c, v
       integer(c_int32_t) :: s
     end function c_cond_json
     ! mapi_status mapi_record_get_string(const mapi_record *r, const char *field, const char
     !    **value, size_t *len);
     function c_get_string(r, f, v, n) bind(c, name='mapi_record_get_string') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f
       type(c_ptr) :: v
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_get_string
     ! mapi_status mapi_record_get_int(const mapi_record *r, const char *field, int64_t *out);
     function c_get_int(r, f, v) bind(c, name='mapi_record_get_int') result(s)
       import :: c_ptr, c_int32_t, c_int64_t
       type(c_ptr), value :: r, f
       integer(c_int64_t) :: v
       integer(c_int32_t) :: s
     end function c_get_int
     ! mapi_status mapi_record_get_double(const mapi_record *r, const char *field, double *out);
     function c_get_double(r, f, v) bind(c, name='mapi_record_get_double') result(s)
       import :: c_ptr, c_int32_t, c_double
       type(c_ptr), value :: r, f
       real(c_double) :: v
       integer(c_int32_t) :: s
     end function c_get_double
     ! mapi_status mapi_record_get_bool(const mapi_record *r, const char *field, int32_t *out);
     function c_get_bool(r, f, v) bind(c, name='mapi_record_get_bool') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t) :: v
       integer(c_int32_t) :: s
     end function c_get_bool
     ! mapi_status mapi_record_get_int_array(const mapi_record *r, const char *field, int64_t *buf,
     !    size_t cap, size_t *n);
     function c_get_int_array(r, f, buf, cap, n) bind(c, name='mapi_record_get_int_array') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_get_int_array
     ! mapi_status mapi_record_get_double_array(const mapi_record *r, const char *field, double
     !    *buf, size_t cap, size_t *n);
     function c_get_double_array(r, f, buf, cap, n) bind(c, name='mapi_record_get_double_array') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_get_double_array
     ! mapi_status mapi_record_get_json(const mapi_record *r, const char *field, char *buf, size_t
     !    cap, size_t *len);
     function c_get_json(r, f, buf, cap, n) bind(c, name='mapi_record_get_json') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: r, f, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_get_json
     ! size_t mapi_record_field_count(const mapi_record *r);
     function c_record_field_count(r) bind(c, name='mapi_record_field_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t) :: n
     end function c_record_field_count
     ! const char *mapi_record_field_name(const mapi_record *r, size_t index);
     function c_record_field_name(r, i) bind(c, name='mapi_record_field_name') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_record_field_name
     ! int32_t mapi_record_field_type(const mapi_record *r, const char *field);
     function c_record_field_type(r, f) bind(c, name='mapi_record_field_type') result(t)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t) :: t
     end function c_record_field_type
     ! int32_t mapi_record_has_field(const mapi_record *r, const char *field);
     function c_record_has_field(r, f) bind(c, name='mapi_record_has_field') result(t)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t) :: t
     end function c_record_has_field
     ! int32_t mapi_record_is_null(const mapi_record *r, const char *field);
     function c_record_is_null(r, f) bind(c, name='mapi_record_is_null') result(t)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f
       integer(c_int32_t) :: t
     end function c_record_is_null
     ! size_t mapi_record_list_count(const mapi_record_list *list);
     function c_list_count(l) bind(c, name='mapi_record_list_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: l
       integer(c_size_t) :: n
     end function c_list_count
     ! const mapi_record *mapi_record_list_get(const mapi_record_list *list, size_t index);
     function c_list_get(l, i) bind(c, name='mapi_record_list_get') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: l
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_list_get
     ! mapi_status mapi_response_wait(const mapi_response *response, int64_t timeout_ms);
     function c_response_wait(r, t) bind(c, name='mapi_response_wait') result(s)
       import :: c_ptr, c_int32_t, c_int64_t
       type(c_ptr), value :: r
       integer(c_int64_t), value :: t
       integer(c_int32_t) :: s
     end function c_response_wait
     ! int32_t mapi_response_is_complete(const mapi_response *response);
     function c_response_is_complete(r) bind(c, name='mapi_response_is_complete') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r
       integer(c_int32_t) :: s
     end function c_response_is_complete
     ! size_t mapi_response_record_count(const mapi_response *response);
     function c_response_record_count(r) bind(c, name='mapi_response_record_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t) :: n
     end function c_response_record_count
     ! const mapi_record *mapi_response_record(const mapi_response *response, size_t index);
     function c_response_record(r, i) bind(c, name='mapi_response_record') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_response_record
     ! size_t mapi_response_rejection_count(const mapi_response *response);
     function c_rejection_count(r) bind(c, name='mapi_response_rejection_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t) :: n
     end function c_rejection_count
     ! const mapi_record *mapi_response_rejection_record(const mapi_response *response, size_t i);
     function c_rejection_record(r, i) bind(c, name='mapi_response_rejection_record') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_rejection_record
     ! size_t mapi_response_rejection_reason_count(const mapi_response *response, size_t i);
     function c_reason_count(r, i) bind(c, name='mapi_response_rejection_reason_count') result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       integer(c_size_t) :: n
     end function c_reason_count
     ! const char *mapi_response_rejection_reason(const mapi_response *response, size_t i, size_t
     !    j);
     function c_reason(r, i, j) bind(c, name='mapi_response_rejection_reason') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i, j
       type(c_ptr) :: p
     end function c_reason
     ! void mapi_response_free(mapi_response *response);
     subroutine c_response_free(p) bind(c, name='mapi_response_free')
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine c_response_free
     ! mapi_status mapi_register_endpoint(const char *name, mapi_endpoint_fn callback_fn, void
     !    *user_data);
     function c_register_endpoint(name, fn, ud) bind(c, name='mapi_register_endpoint') result(s)
       import :: c_ptr, c_funptr, c_int32_t
       type(c_ptr), value :: name, ud
       type(c_funptr), value :: fn
       integer(c_int32_t) :: s
     end function c_register_endpoint
     ! mapi_status mapi_register_transformation(const char *name, mapi_transformation_fn
     !    callback_fn, void *user_data);
     function c_register_transformation(name, fn, ud) bind(c, name='mapi_register_transformation') result(s)
       import :: c_ptr, c_funptr, c_int32_t
       type(c_ptr), value :: name, ud
       type(c_funptr), value :: fn
       integer(c_int32_t) :: s
     end function c_register_transformation
     ! const char *mapi_call_connection_id(const mapi_endpoint_call *call);
     function c_call_connection_id(call) bind(c, name='mapi_call_connection_id') result(p)
       import :: c_ptr
       type(c_ptr), value :: call
       type(c_ptr) :: p
     end function c_call_connection_id
     ! mapi_status mapi_call_parameter(const mapi_endpoint_call *call, const char *key, char *buf,
     !    size_t cap, size_t *len);
     function c_call_parameter(call, key, buf, cap, n) bind(c, name='mapi_call_parameter') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: call, key, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_call_parameter
     ! const mapi_record_list *mapi_call_records(const mapi_endpoint_call *call);
     function c_call_records(call) bind(c, name='mapi_call_records') result(p)
       import :: c_ptr
       type(c_ptr), value :: call
       type(c_ptr) :: p
     end function c_call_records
     ! mapi_status mapi_call_records_by_collection(const mapi_endpoint_call *call, const char
     !    *collection_id, const mapi_record_list **out);
     function c_call_by_collection(call, id, out) bind(c, name='mapi_call_records_by_collection') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, id
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_call_by_collection
     ! mapi_status mapi_call_records_by_transformation(const mapi_endpoint_call *call, const char
     !    *transformation_id, const mapi_record_list **out);
     function c_call_by_transformation(call, id, out) bind(c, name='mapi_call_records_by_transformation') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, id
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_call_by_transformation
     ! mapi_record *mapi_call_state(mapi_endpoint_call *call);
     function c_call_state(call) bind(c, name='mapi_call_state') result(p)
       import :: c_ptr
       type(c_ptr), value :: call
       type(c_ptr) :: p
     end function c_call_state
     ! mapi_status mapi_call_add_record(mapi_endpoint_call *call, mapi_record **out);
     function c_call_add_record(call, out) bind(c, name='mapi_call_add_record') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_call_add_record
     ! mapi_status mapi_call_reject(mapi_endpoint_call *call, const mapi_record *record, const char
     !    *reason);
     function c_call_reject(call, rec, reason) bind(c, name='mapi_call_reject') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, rec, reason
       integer(c_int32_t) :: s
     end function c_call_reject
     ! mapi_status mapi_call_set_error(mapi_endpoint_call *call, const char *message);
     function c_call_set_error(call, msg) bind(c, name='mapi_call_set_error') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, msg
       integer(c_int32_t) :: s
     end function c_call_set_error
     ! mapi_status mapi_transform_parameter(const mapi_transform_call *call, const char *key, char
     !    *buf, size_t cap, size_t *len);
     function c_transform_parameter(call, key, buf, cap, n) bind(c, name='mapi_transform_parameter') result(s)
       import :: c_ptr, c_int32_t, c_size_t
       type(c_ptr), value :: call, key, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: n
       integer(c_int32_t) :: s
     end function c_transform_parameter
     ! mapi_status mapi_transform_input(const mapi_transform_call *call, const char *param, const
     !    mapi_record_list **out);
     function c_transform_input(call, param, out) bind(c, name='mapi_transform_input') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, param
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_transform_input
     ! mapi_status mapi_transform_add_record(mapi_transform_call *call, const mapi_record
     !    *copy_from, mapi_record **out);
     function c_transform_add_record(call, from, out) bind(c, name='mapi_transform_add_record') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, from
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_transform_add_record
     ! mapi_status mapi_transform_set_error(mapi_transform_call *call, const char *message);
     function c_transform_set_error(call, msg) bind(c, name='mapi_transform_set_error') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, msg
       integer(c_int32_t) :: s
     end function c_transform_set_error
     ! Bound since the module was split (wrappers in module messageapi).
     ! int32_t mapi_abi_version(void);
     function c_abi_version() bind(c, name='mapi_abi_version') result(v)
       import :: c_int32_t
       integer(c_int32_t) :: v
     end function c_abi_version
     ! int32_t mapi_session_field_type(const mapi_session *session, size_t index);
     function c_session_field_type(p, i) bind(c, name='mapi_session_field_type') result(t)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: p
       integer(c_size_t), value :: i
       integer(c_int32_t) :: t
     end function c_session_field_type
     ! int32_t mapi_session_field_required(const mapi_session *session, size_t index);
     function c_session_field_required(p, i) bind(c, name='mapi_session_field_required') result(t)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: p
       integer(c_size_t), value :: i
       integer(c_int32_t) :: t
     end function c_session_field_required
     ! mapi_status mapi_session_validate(const mapi_session *session, const mapi_record *record,
     !    char *buf, size_t cap, size_t *len);
     function c_session_validate(p, rec, buf, cap, len) bind(c, name='mapi_session_validate') result(s)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: p, rec, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_session_validate
     ! mapi_record *mapi_request_record(mapi_request *request, size_t index);
     function c_request_record(req, i) bind(c, name='mapi_request_record') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: req
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_request_record
     ! mapi_status mapi_request_pop_record(mapi_request *request);
     function c_request_pop_record(req) bind(c, name='mapi_request_pop_record') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: req
       integer(c_int32_t) :: s
     end function c_request_pop_record
     ! mapi_status mapi_record_set_string(mapi_record *r, const char *field, const char *value);
     function c_record_set_string(r, f, v) bind(c, name='mapi_record_set_string') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, f, v
       integer(c_int32_t) :: s
     end function c_record_set_string
     ! mapi_status mapi_record_set_condition_datetime(mapi_record *r, const char *condition_id,
     !    const char *iso8601);
     function c_cond_datetime(r, c, v) bind(c, name='mapi_record_set_condition_datetime') result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: r, c, v
       integer(c_int32_t) :: s
     end function c_cond_datetime
     ! mapi_status mapi_record_copy_string(const mapi_record *r, const char *field, char *buf,
     !    size_t cap, size_t *len);
     function c_record_copy_string(r, f, buf, cap, len) bind(c, name='mapi_record_copy_string') result(s)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: r, f, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_record_copy_string
     ! const mapi_record_list *mapi_response_records(const mapi_response *response);
     function c_response_records(r) bind(c, name='mapi_response_records') result(p)
       import :: c_ptr
       type(c_ptr), value :: r
       type(c_ptr) :: p
     end function c_response_records
     ! mapi_status mapi_register_condition(const char *name, mapi_condition_fn callback_fn, void
     !    *user_data);
     function c_register_condition(name, fn, ud) bind(c, name='mapi_register_condition') result(s)
       import :: c_ptr, c_funptr, c_int32_t
       type(c_ptr), value :: name, ud
       type(c_funptr), value :: fn
       integer(c_int32_t) :: s
     end function c_register_condition
     ! mapi_status mapi_call_records_by_classifier(const mapi_endpoint_call *call, const char *key,
     !    const char *value, const mapi_record_list **out);
     function c_call_by_classifier(call, key, value, out) bind(c, name='mapi_call_records_by_classifier') &
          result(s)
       import :: c_ptr, c_int32_t
       type(c_ptr), value :: call, key, value
       type(c_ptr) :: out
       integer(c_int32_t) :: s
     end function c_call_by_classifier
     ! mapi_status mapi_set_log_callback(mapi_log_fn callback, void *user_data);
     function c_set_log_callback(fn, ud) bind(c, name='mapi_set_log_callback') result(s)
       import :: c_ptr, c_funptr, c_int32_t
       type(c_funptr), value :: fn
       type(c_ptr), value :: ud
       integer(c_int32_t) :: s
     end function c_set_log_callback
     ! mapi_status mapi_session_stats_json(const mapi_session *session, char *buf, size_t cap,
     !    size_t *len);
     function c_session_stats_json(p, buf, cap, len) bind(c, name='mapi_session_stats_json') result(s)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: p, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_session_stats_json
     ! mapi_status mapi_session_stats_prometheus(const mapi_session *session, char *buf, size_t
     !    cap, size_t *len);
     function c_session_stats_prometheus(p, buf, cap, len) bind(c, name='mapi_session_stats_prometheus') &
          result(s)
       import :: c_ptr, c_size_t, c_int32_t
       type(c_ptr), value :: p, buf
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_session_stats_prometheus
     ! const char *mapi_response_rejection_stage(const mapi_response *response, size_t i);
     function c_rejection_stage(r, i) bind(c, name='mapi_response_rejection_stage') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_rejection_stage
     ! const char *mapi_response_rejection_connection(const mapi_response *response, size_t i);
     function c_rejection_connection(r, i) bind(c, name='mapi_response_rejection_connection') result(p)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: r
       integer(c_size_t), value :: i
       type(c_ptr) :: p
     end function c_rejection_connection
     ! mapi_status mapi_kafka_metadata(const char *config_json, int64_t timeout_ms, char *buf,
     !    size_t cap, size_t *len);
     function c_kafka_metadata(config, timeout, buf, cap, len) bind(c, name='mapi_kafka_metadata') result(s)
       import :: c_ptr, c_size_t, c_int32_t, c_int64_t
       type(c_ptr), value :: config, buf
       integer(c_int64_t), value :: timeout
       integer(c_size_t), value :: cap
       integer(c_size_t) :: len
       integer(c_int32_t) :: s
     end function c_kafka_metadata
  end interface
end module messageapi_c
