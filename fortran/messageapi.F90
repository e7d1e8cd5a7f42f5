!> messageapi: typed records through a declarative pipeline, from Fortran (gfortran >= 9,
!> -std=f2008). The raw bind(c) interfaces to the C ABI, with the header's constants, are in
!> module messageapi_c (fortran/messageapi_c.F90); these wrappers take Fortran strings and
!> values, use 1-based indices, and have an optional `stat` argument: without it an error
!> prints the library's message to error_unit and the program goes on (nothing here ever
!> calls stop).
!>
!> Every C function is bound in messageapi_c. Three have no wrapper of their own, on purpose:
!> mapi_record_set_string and mapi_record_copy_string (the character forms of mapi_record_set
!> and mapi_record_get use mapi_record_set_string_n and mapi_record_get_string, which take and
!> give lengths: Fortran strings are not NUL-terminated and may hold any byte), and
!> mapi_abi_version, whose name Fortran (case-insensitive) cannot tell from the constant
!> MAPI_ABI_VERSION: compare `c_abi_version()` of messageapi_c with MAPI_ABI_VERSION.
!>
!> Handles (mapi_session_t, mapi_request_t, mapi_record_t, mapi_response_t) hold a c_ptr.
!> Free sessions, requests and responses with mapi_free (it nulls the handle; twice is harmless).
!> Records belong to their request or response; record lists to their response or call.
module messageapi
  use, intrinsic :: iso_c_binding
  use messageapi_c
  use, intrinsic :: iso_fortran_env, only: int32, int64, real32, real64, error_unit
  implicit none
  private


  type, public :: mapi_session_t
     type(c_ptr) :: ptr = c_null_ptr
  end type mapi_session_t
  type, public :: mapi_request_t
     type(c_ptr) :: ptr = c_null_ptr
  end type mapi_request_t
  type, public :: mapi_record_t
     type(c_ptr) :: ptr = c_null_ptr
  end type mapi_record_t
  type, public :: mapi_response_t
     type(c_ptr) :: ptr = c_null_ptr
  end type mapi_response_t
  !> A list of records (a response's, or one a plug-in call hands out).
  type, public :: mapi_record_list_t
     type(c_ptr) :: ptr = c_null_ptr
  end type mapi_record_list_t

  public :: mapi_session_open, mapi_session_check, mapi_session_open_json, mapi_session_field_count, mapi_session_field_name
  public :: mapi_request_abandon
  public :: mapi_request_new, mapi_request_add_record, mapi_request_add_json, mapi_request_clear
  public :: mapi_request_record_count, mapi_request_conditions, mapi_request_submit, mapi_request_set_parameter, &
       mapi_request_submit_and_clear
  public :: mapi_record_set, mapi_record_set_condition, mapi_record_set_datetime, mapi_record_set_null
  public :: mapi_record_set_json, mapi_record_set_condition_json
  public :: mapi_record_get, mapi_record_get_json, mapi_record_is_null, mapi_record_has_field
  public :: mapi_record_field_count, mapi_record_field_name, mapi_record_field_type
  public :: mapi_response_wait, mapi_response_is_complete, mapi_response_record_count, mapi_response_record
  public :: mapi_response_rejection_count, mapi_response_rejection_reason_count
  public :: mapi_response_rejection_reason, mapi_response_rejection_record
  public :: mapi_record_list_count, mapi_record_list_get
  public :: mapi_free, mapi_last_error, mapi_version, mapi_status_name
  public :: mapi_register_endpoint, mapi_register_transformation
  public :: mapi_call_connection_id, mapi_call_parameter, mapi_call_records, mapi_call_records_by_collection
  public :: mapi_call_records_by_transformation, mapi_call_state, mapi_call_add_record, mapi_call_reject
  public :: mapi_call_set_error
  public :: mapi_transform_parameter, mapi_transform_input, mapi_transform_add_record, mapi_transform_set_error
  public :: mapi_session_field_type, mapi_session_field_required, mapi_session_validate
  public :: mapi_request_record, mapi_request_pop_record, mapi_record_set_condition_datetime
  public :: mapi_response_records, mapi_register_condition, mapi_call_records_by_classifier
  public :: mapi_set_log_callback
  public :: mapi_configure, mapi_configuration
  public :: mapi_session_stats_json, mapi_session_stats_prometheus
  public :: mapi_response_rejection_stage, mapi_response_rejection_connection
  ! The header's constants, from module messageapi_c.
  public :: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, &
       MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH, MAPI_ERR_NULL_VALUE, MAPI_ERR_OUT_OF_RANGE, &
       MAPI_ERR_BUFFER_TOO_SMALL, MAPI_ERR_MANIFEST, MAPI_ERR_IO, MAPI_ERR_UNKNOWN_PLUGIN, MAPI_ERR_JSON, &
       MAPI_ERR_TIMED_OUT, MAPI_ERR_ENDPOINT, MAPI_ERR_KAFKA, MAPI_ERR_PANIC, MAPI_ERR_TOO_LATE, &
       MAPI_ERR_NOT_ALLOWED
  public :: MAPI_TYPE_STRING, MAPI_TYPE_INTEGER, MAPI_TYPE_FLOAT, MAPI_TYPE_DOUBLE, MAPI_TYPE_BOOLEAN, &
       MAPI_TYPE_DATETIME, MAPI_TYPE_LIST_INT, MAPI_TYPE_LIST_DOUBLE, MAPI_TYPE_LIST_STRING, MAPI_TYPE_JSON
  public :: MAPI_LOG_ERROR, MAPI_LOG_WARN, MAPI_LOG_INFO, MAPI_LOG_DEBUG
  public :: MAPI_VERSION_MAJOR, MAPI_VERSION_MINOR, MAPI_VERSION_PATCH, MAPI_ABI_VERSION

  !> Sets a field: character(*), integer(int32|int64), real(real32|real64), logical,
  !> rank-1 integer(int64) or real(real64) arrays.
  interface mapi_record_set
     module procedure set_string, set_int32, set_int64, set_real32, set_real64, set_logical, &
          set_int64_array, set_real64_array
  end interface mapi_record_set

  !> Sets a condition value for this record (scalar kinds).
  interface mapi_record_set_condition
     module procedure cond_string, cond_int32, cond_int64, cond_real32, cond_real64, cond_logical
  end interface mapi_record_set_condition

  !> Reads a field into character(:), allocatable, integer(int64), real(real64), logical, or
  !> allocatable rank-1 integer(int64) / real(real64).
  interface mapi_record_get
     module procedure get_string, get_int64, get_real64, get_logical, get_int64_array, get_real64_array
  end interface mapi_record_get

  !> Frees a session, request or response and nulls the handle (freeing twice is harmless).
  interface mapi_free
     module procedure free_session, free_request, free_response
  end interface mapi_free

  !> Indices may be default integers or integer(int64).
  interface mapi_response_record
     module procedure response_record_i32, response_record_i64
  end interface mapi_response_record
  interface mapi_response_rejection_reason_count
     module procedure reason_count_i32, reason_count_i64
  end interface mapi_response_rejection_reason_count
  interface mapi_response_rejection_reason
     module procedure reason_i32, reason_i64
  end interface mapi_response_rejection_reason
  interface mapi_response_rejection_record
     module procedure rejection_record_i32, rejection_record_i64
  end interface mapi_response_rejection_record
  interface mapi_record_list_get
     module procedure list_get_i32, list_get_i64
  end interface mapi_record_list_get

  ! ---- the raw C ABI --------------------------------------------------------------------

  !> A NUL-terminated copy of a Fortran string, for passing to C.
  type :: cstring
     character(kind=c_char), allocatable :: chars(:)
  end type cstring

contains

  ! ---- helpers ----------------------------------------------------------------------------

  !> `s` trimmed, plus a NUL.
  subroutine to_c(s, out)
    character(*), intent(in) :: s
    type(cstring), target, intent(out) :: out
    integer :: i, n
    n = len_trim(s)
    allocate(out%chars(n + 1))
    do i = 1, n
       out%chars(i) = s(i:i)
    end do
    out%chars(n + 1) = c_null_char
  end subroutine to_c

  !> The C string at `p` (empty for NULL) as a Fortran string.
  function from_c(p) result(s)
    type(c_ptr), intent(in) :: p
    character(:), allocatable :: s
    if (.not. c_associated(p)) then
       s = ''
       return
    end if
    s = from_c_n(p, c_strlen(p))
  end function from_c

  !> `n` bytes at `p` as a Fortran string.
  function from_c_n(p, n) result(s)
    type(c_ptr), intent(in) :: p
    integer(c_size_t), intent(in) :: n
    character(:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i
    allocate(character(len=int(n)) :: s)
    if (n == 0) return
    call c_f_pointer(p, chars, [n])
    do i = 1, int(n)
       s(i:i) = chars(i)
    end do
  end function from_c_n

  !> Reports `status`: into `stat` when present, else (on error) to error_unit.
  subroutine report(status, what, stat)
    integer(c_int32_t), intent(in) :: status
    character(*), intent(in) :: what
    integer, intent(out), optional :: stat
    if (present(stat)) then
       stat = int(status)
    else if (status /= MAPI_OK) then
       write(error_unit, '(5a)') 'messageapi: ', what, ': ', mapi_status_name(status), ': ' // mapi_last_error()
    end if
  end subroutine report

  ! ---- library ------------------------------------------------------------------------------

  !> Sets the process configuration from a JSON object ("workers", "max-workers",
  !> "stack-bytes"), before the first session opens: `call mapi_configure('{"workers": 0}')`
  !> runs every submit (and every callback) on the calling thread, as MPI programs want.
  !> stat: MAPI_ERR_TOO_LATE once a session has opened, MAPI_ERR_INVALID_ARGUMENT for an
  !> unknown key or a bad value.
  subroutine mapi_configure(options_json, stat)
    character(*), intent(in) :: options_json
    integer, intent(out), optional :: stat
    type(cstring), target :: o
    call to_c(options_json, o)
    call report(c_configure(c_loc(o%chars)), 'mapi_configure', stat)
  end subroutine mapi_configure

  !> The configuration in effect as JSON, every key decided (fixes it, as opening a session
  !> does).
  function mapi_configuration(stat) result(text)
    integer, intent(out), optional :: stat
    character(:), allocatable :: text
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: status
    allocate(buf(256))
    status = c_configuration(c_loc(buf), 256_c_size_t, n)
    if (status == MAPI_ERR_BUFFER_TOO_SMALL) then
       ! Long directory lists: the length needed came back in n.
       deallocate(buf)
       allocate(buf(n + 1))
       status = c_configuration(c_loc(buf), n + 1, n)
    end if
    text = ''
    if (status == MAPI_OK) text = from_c_n(c_loc(buf), n)
    call report(status, 'mapi_configuration', stat)
  end function mapi_configuration

  !> The library version, "MAJOR.MINOR.PATCH".
  function mapi_version() result(v)
    character(:), allocatable :: v
    v = from_c(c_version())
  end function mapi_version

  !> The name of a status, e.g. "MAPI_ERR_MANIFEST".
  function mapi_status_name(status) result(name)
    integer(c_int32_t), intent(in) :: status
    character(:), allocatable :: name
    name = from_c(c_status_name(status))
  end function mapi_status_name

  !> The message of this thread's most recent failed call.
  function mapi_last_error() result(msg)
    character(:), allocatable :: msg
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    n = c_last_error(c_null_ptr, 0_c_size_t)
    allocate(buf(n + 1))
    n = c_last_error(c_loc(buf), n + 1)
    msg = from_c_n(c_loc(buf), n)
  end function mapi_last_error

  ! ---- sessions -----------------------------------------------------------------------------

  !> Opens a manifest; `root` is the expansion of {} (default: MESSAGEAPI_ROOT, else the
  !> manifest's directory).
  subroutine mapi_session_open(session, manifest_path, root, stat)
    type(mapi_session_t), intent(out) :: session
    character(*), intent(in) :: manifest_path
    character(*), intent(in), optional :: root
    integer, intent(out), optional :: stat
    type(cstring), target :: p, r
    type(c_ptr) :: rp
    call to_c(manifest_path, p)
    rp = c_null_ptr
    if (present(root)) then
       call to_c(root, r)
       rp = c_loc(r%chars)
    end if
    call report(c_session_open(c_loc(p%chars), rp, session%ptr), 'mapi_session_open', stat)
  end subroutine mapi_session_open

  !> Checks a manifest as mapi_session_open would open it, loading no native library, reading
  !> no secret and connecting nowhere (what `mapi check` does).
  subroutine mapi_session_check(manifest_path, root, stat)
    character(*), intent(in) :: manifest_path
    character(*), intent(in), optional :: root
    integer, intent(out), optional :: stat
    type(cstring), target :: p, r
    type(c_ptr) :: rp
    call to_c(manifest_path, p)
    rp = c_null_ptr
    if (present(root)) then
       call to_c(root, r)
       rp = c_loc(r%chars)
    end if
    call report(c_session_check(c_loc(p%chars), rp), 'mapi_session_check', stat)
  end subroutine mapi_session_check

  !> Opens a manifest given as JSON text; `base_dir` plays the manifest's directory.
  subroutine mapi_session_open_json(session, manifest_json, base_dir, stat)
    type(mapi_session_t), intent(out) :: session
    character(*), intent(in) :: manifest_json
    character(*), intent(in), optional :: base_dir
    integer, intent(out), optional :: stat
    type(cstring), target :: t, b
    type(c_ptr) :: bp
    call to_c(manifest_json, t)
    bp = c_null_ptr
    if (present(base_dir)) then
       call to_c(base_dir, b)
       bp = c_loc(b%chars)
    end if
    call report(c_session_open_json(c_loc(t%chars), bp, session%ptr), 'mapi_session_open_json', stat)
  end subroutine mapi_session_open_json

  integer function mapi_session_field_count(session)
    type(mapi_session_t), intent(in) :: session
    mapi_session_field_count = int(c_session_field_count(session%ptr))
  end function mapi_session_field_count

  !> Name of schema field i (1-based; empty if out of range).
  function mapi_session_field_name(session, i) result(name)
    type(mapi_session_t), intent(in) :: session
    integer, intent(in) :: i
    character(:), allocatable :: name
    name = from_c(c_session_field_name(session%ptr, int(i - 1, c_size_t)))
  end function mapi_session_field_name

  ! ---- requests -----------------------------------------------------------------------------

  !> A new request (fresh endpoint instances: batch mode).
  subroutine mapi_request_new(request, session, stat)
    type(mapi_request_t), intent(out) :: request
    type(mapi_session_t), intent(in) :: session
    integer, intent(out), optional :: stat
    call report(c_request_new(session%ptr, request%ptr), 'mapi_request_new', stat)
  end subroutine mapi_request_new

  !> Adds a record (owned by the request) and returns it for setting.
  subroutine mapi_request_add_record(request, record, stat)
    type(mapi_request_t), intent(in) :: request
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    call report(c_request_add_record(request%ptr, record%ptr), 'mapi_request_add_record', stat)
  end subroutine mapi_request_add_record

  !> Adds records from JSON text (one object, an array, or JSON Lines); all or nothing.
  subroutine mapi_request_add_json(request, text, added, stat)
    type(mapi_request_t), intent(in) :: request
    character(*), intent(in) :: text
    integer, intent(out), optional :: added
    integer, intent(out), optional :: stat
    type(cstring), target :: t
    integer(c_size_t) :: n
    call to_c(text, t)
    n = 0
    call report(c_request_add_json(request%ptr, c_loc(t%chars), int(size(t%chars) - 1, c_size_t), n), &
         'mapi_request_add_json', stat)
    if (present(added)) added = int(n)
  end subroutine mapi_request_add_json

  integer function mapi_request_record_count(request)
    type(mapi_request_t), intent(in) :: request
    mapi_request_record_count = int(c_request_record_count(request%ptr))
  end function mapi_request_record_count

  !> Drops the records; endpoint state is kept (stream mode).
  subroutine mapi_request_clear(request, stat)
    type(mapi_request_t), intent(in) :: request
    integer, intent(out), optional :: stat
    call report(c_request_clear(request%ptr), 'mapi_request_clear', stat)
  end subroutine mapi_request_clear

  !> The request record: set request-level condition values on it.
  subroutine mapi_request_conditions(request, record, stat)
    type(mapi_request_t), intent(in) :: request
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    call report(c_request_conditions(request%ptr, record%ptr), 'mapi_request_conditions', stat)
  end subroutine mapi_request_conditions

  !> Submits a copy of the records; returns at once.
  subroutine mapi_request_submit(request, response, stat)
    type(mapi_request_t), intent(in) :: request
    type(mapi_response_t), intent(out) :: response
    integer, intent(out), optional :: stat
    call report(c_request_submit(request%ptr, response%ptr), 'mapi_request_submit', stat)
  end subroutine mapi_request_submit

  !> Submits the records and empties the request (moves them: no copy); returns at once.
  subroutine mapi_request_submit_and_clear(request, response, stat)
    type(mapi_request_t), intent(in) :: request
    type(mapi_response_t), intent(out) :: response
    integer, intent(out), optional :: stat
    call report(c_request_submit_and_clear(request%ptr, response%ptr), 'mapi_request_submit_and_clear', stat)
  end subroutine mapi_request_submit_and_clear

  !> Overrides a connection's constructor value (JSON text) for later submits of this request.
  subroutine mapi_request_set_parameter(request, connection_id, key, json_value, stat)
    type(mapi_request_t), intent(in) :: request
    character(*), intent(in) :: connection_id, key, json_value
    integer, intent(out), optional :: stat
    type(cstring), target :: c, k, v
    call to_c(connection_id, c)
    call to_c(key, k)
    call to_c(json_value, v)
    call report(c_request_set_parameter(request%ptr, c_loc(c%chars), c_loc(k%chars), c_loc(v%chars)), &
         'mapi_request_set_parameter', stat)
  end subroutine mapi_request_set_parameter

  ! ---- record setters -------------------------------------------------------------------------

  subroutine set_string(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field, value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    character(kind=c_char, len=len(value)), target :: v
    call to_c(field, f)
    v = value
    call report(c_set_string_n(record%ptr, c_loc(f%chars), c_loc(v), int(len_trim(value), c_size_t)), &
         'mapi_record_set ' // trim(field), stat)
  end subroutine set_string

  subroutine set_int32(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer(int32), intent(in) :: value
    integer, intent(out), optional :: stat
    call set_int64(record, field, int(value, int64), stat)
  end subroutine set_int32

  subroutine set_int64(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer(int64), intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    call to_c(field, f)
    call report(c_set_int(record%ptr, c_loc(f%chars), int(value, c_int64_t)), 'mapi_record_set ' // trim(field), stat)
  end subroutine set_int64

  subroutine set_real32(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    real(real32), intent(in) :: value
    integer, intent(out), optional :: stat
    call set_real64(record, field, real(value, real64), stat)
  end subroutine set_real32

  subroutine set_real64(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    real(real64), intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    call to_c(field, f)
    call report(c_set_double(record%ptr, c_loc(f%chars), real(value, c_double)), 'mapi_record_set ' // trim(field), stat)
  end subroutine set_real64

  subroutine set_logical(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    logical, intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    call to_c(field, f)
    call report(c_set_bool(record%ptr, c_loc(f%chars), merge(1_c_int32_t, 0_c_int32_t, value)), &
         'mapi_record_set ' // trim(field), stat)
  end subroutine set_logical

  subroutine set_int64_array(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer(int64), intent(in) :: value(:)
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    integer(c_int64_t), allocatable, target :: copy(:)
    call to_c(field, f)
    allocate(copy(max(size(value), 1)))
    if (size(value) > 0) copy(1:size(value)) = value
    call report(c_set_int_array(record%ptr, c_loc(f%chars), c_loc(copy), int(size(value), c_size_t)), &
         'mapi_record_set ' // trim(field), stat)
  end subroutine set_int64_array

  subroutine set_real64_array(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    real(real64), intent(in) :: value(:)
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    real(c_double), allocatable, target :: copy(:)
    call to_c(field, f)
    allocate(copy(max(size(value), 1)))
    if (size(value) > 0) copy(1:size(value)) = value
    call report(c_set_double_array(record%ptr, c_loc(f%chars), c_loc(copy), int(size(value), c_size_t)), &
         'mapi_record_set ' // trim(field), stat)
  end subroutine set_real64_array

  !> Sets a datetime field from ISO-8601 / RFC-3339 text.
  subroutine mapi_record_set_datetime(record, field, iso8601, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field, iso8601
    integer, intent(out), optional :: stat
    type(cstring), target :: f, v
    call to_c(field, f)
    call to_c(iso8601, v)
    call report(c_set_datetime(record%ptr, c_loc(f%chars), c_loc(v%chars)), 'mapi_record_set_datetime ' // trim(field), stat)
  end subroutine mapi_record_set_datetime

  !> Sets a field to null.
  subroutine mapi_record_set_null(record, field, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    call to_c(field, f)
    call report(c_set_null(record%ptr, c_loc(f%chars)), 'mapi_record_set_null ' // trim(field), stat)
  end subroutine mapi_record_set_null

  !> Sets a field from JSON text, read as the field's type.
  subroutine mapi_record_set_json(record, field, json, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field, json
    integer, intent(out), optional :: stat
    type(cstring), target :: f, v
    call to_c(field, f)
    call to_c(json, v)
    call report(c_set_json(record%ptr, c_loc(f%chars), c_loc(v%chars)), 'mapi_record_set_json ' // trim(field), stat)
  end subroutine mapi_record_set_json

  ! ---- condition setters ----------------------------------------------------------------------

  subroutine cond_string(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id, value
    integer, intent(out), optional :: stat
    type(cstring), target :: c, v
    call to_c(condition_id, c)
    call to_c(value, v)
    call report(c_cond_string(record%ptr, c_loc(c%chars), c_loc(v%chars)), &
         'mapi_record_set_condition ' // trim(condition_id), stat)
  end subroutine cond_string

  subroutine cond_int32(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id
    integer(int32), intent(in) :: value
    integer, intent(out), optional :: stat
    call cond_int64(record, condition_id, int(value, int64), stat)
  end subroutine cond_int32

  subroutine cond_int64(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id
    integer(int64), intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: c
    call to_c(condition_id, c)
    call report(c_cond_int(record%ptr, c_loc(c%chars), int(value, c_int64_t)), &
         'mapi_record_set_condition ' // trim(condition_id), stat)
  end subroutine cond_int64

  subroutine cond_real32(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id
    real(real32), intent(in) :: value
    integer, intent(out), optional :: stat
    call cond_real64(record, condition_id, real(value, real64), stat)
  end subroutine cond_real32

  subroutine cond_real64(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id
    real(real64), intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: c
    call to_c(condition_id, c)
    call report(c_cond_double(record%ptr, c_loc(c%chars), real(value, c_double)), &
         'mapi_record_set_condition ' // trim(condition_id), stat)
  end subroutine cond_real64

  subroutine cond_logical(record, condition_id, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id
    logical, intent(in) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: c
    call to_c(condition_id, c)
    call report(c_cond_bool(record%ptr, c_loc(c%chars), merge(1_c_int32_t, 0_c_int32_t, value)), &
         'mapi_record_set_condition ' // trim(condition_id), stat)
  end subroutine cond_logical

  !> Sets a condition value from JSON text (for example a list for "in": '["KILX","KORD"]').
  subroutine mapi_record_set_condition_json(record, condition_id, json, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id, json
    integer, intent(out), optional :: stat
    type(cstring), target :: c, v
    call to_c(condition_id, c)
    call to_c(json, v)
    call report(c_cond_json(record%ptr, c_loc(c%chars), c_loc(v%chars)), &
         'mapi_record_set_condition_json ' // trim(condition_id), stat)
  end subroutine mapi_record_set_condition_json

  ! ---- record getters -------------------------------------------------------------------------

  subroutine get_string(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    character(:), allocatable, intent(out) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int32_t) :: s
    call to_c(field, f)
    s = c_get_string(record%ptr, c_loc(f%chars), p, n)
    if (s == MAPI_OK) then
       value = from_c_n(p, n)
    else
       value = ''
    end if
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_string

  subroutine get_int64(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer(int64), intent(out) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    integer(c_int64_t) :: v
    integer(c_int32_t) :: s
    call to_c(field, f)
    v = 0
    s = c_get_int(record%ptr, c_loc(f%chars), v)
    value = int(v, int64)
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_int64

  subroutine get_real64(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    real(real64), intent(out) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    real(c_double) :: v
    integer(c_int32_t) :: s
    call to_c(field, f)
    v = 0
    s = c_get_double(record%ptr, c_loc(f%chars), v)
    value = real(v, real64)
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_real64

  subroutine get_logical(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    logical, intent(out) :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    integer(c_int32_t) :: v, s
    call to_c(field, f)
    v = 0
    s = c_get_bool(record%ptr, c_loc(f%chars), v)
    value = v /= 0
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_logical

  subroutine get_int64_array(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    integer(int64), allocatable, intent(out) :: value(:)
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    integer(c_int64_t), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: s
    call to_c(field, f)
    n = 0
    s = c_get_int_array(record%ptr, c_loc(f%chars), c_null_ptr, 0_c_size_t, n)
    allocate(buf(max(n, 1_c_size_t)))
    if (s == MAPI_ERR_BUFFER_TOO_SMALL) s = c_get_int_array(record%ptr, c_loc(f%chars), c_loc(buf), n, n)
    if (s == MAPI_OK) then
       allocate(value(n))
       if (n > 0) value(:) = int(buf(1:n), int64)
    else
       allocate(value(0))
    end if
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_int64_array

  subroutine get_real64_array(record, field, value, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    real(real64), allocatable, intent(out) :: value(:)
    integer, intent(out), optional :: stat
    type(cstring), target :: f
    real(c_double), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: s
    call to_c(field, f)
    n = 0
    s = c_get_double_array(record%ptr, c_loc(f%chars), c_null_ptr, 0_c_size_t, n)
    allocate(buf(max(n, 1_c_size_t)))
    if (s == MAPI_ERR_BUFFER_TOO_SMALL) s = c_get_double_array(record%ptr, c_loc(f%chars), c_loc(buf), n, n)
    if (s == MAPI_OK) then
       allocate(value(n))
       if (n > 0) value(:) = real(buf(1:n), real64)
    else
       allocate(value(0))
    end if
    call report(s, 'mapi_record_get ' // trim(field), stat)
  end subroutine get_real64_array

  !> A field's value as JSON text; with `field` absent, the whole record as a JSON object.
  function mapi_record_get_json(record, field, stat) result(json)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in), optional :: field
    integer, intent(out), optional :: stat
    character(:), allocatable :: json
    type(cstring), target :: f
    type(c_ptr) :: fp
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: s
    fp = c_null_ptr
    if (present(field)) then
       call to_c(field, f)
       fp = c_loc(f%chars)
    end if
    n = 0
    allocate(buf(1))
    s = c_get_json(record%ptr, fp, c_loc(buf), 1_c_size_t, n)
    if (s == MAPI_ERR_BUFFER_TOO_SMALL) then
       deallocate(buf)
       allocate(buf(n + 1))
       s = c_get_json(record%ptr, fp, c_loc(buf), n + 1, n)
    end if
    if (s == MAPI_OK) then
       json = from_c_n(c_loc(buf), n)
    else
       json = ''
    end if
    call report(s, 'mapi_record_get_json', stat)
  end function mapi_record_get_json

  logical function mapi_record_is_null(record, field)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    type(cstring), target :: f
    call to_c(field, f)
    mapi_record_is_null = c_record_is_null(record%ptr, c_loc(f%chars)) == 1
  end function mapi_record_is_null

  logical function mapi_record_has_field(record, field)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    type(cstring), target :: f
    call to_c(field, f)
    mapi_record_has_field = c_record_has_field(record%ptr, c_loc(f%chars)) == 1
  end function mapi_record_has_field

  integer function mapi_record_field_count(record)
    type(mapi_record_t), intent(in) :: record
    mapi_record_field_count = int(c_record_field_count(record%ptr))
  end function mapi_record_field_count

  !> Name of field i (1-based; empty if out of range).
  function mapi_record_field_name(record, i) result(name)
    type(mapi_record_t), intent(in) :: record
    integer, intent(in) :: i
    character(:), allocatable :: name
    name = from_c(c_record_field_name(record%ptr, int(i - 1, c_size_t)))
  end function mapi_record_field_name

  !> MAPI_TYPE_* of a field, or -1 if the record has no such field.
  integer function mapi_record_field_type(record, field)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: field
    type(cstring), target :: f
    call to_c(field, f)
    mapi_record_field_type = int(c_record_field_type(record%ptr, c_loc(f%chars)))
  end function mapi_record_field_type

  ! ---- responses ------------------------------------------------------------------------------

  !> Waits for completion; `timeout_ms` absent waits forever, 0 polls (MAPI_ERR_TIMED_OUT).
  subroutine mapi_response_wait(response, timeout_ms, stat)
    type(mapi_response_t), intent(in) :: response
    integer(int64), intent(in), optional :: timeout_ms
    integer, intent(out), optional :: stat
    integer(c_int64_t) :: t
    t = -1
    if (present(timeout_ms)) t = int(timeout_ms, c_int64_t)
    call report(c_response_wait(response%ptr, t), 'mapi_response_wait', stat)
  end subroutine mapi_response_wait

  logical function mapi_response_is_complete(response)
    type(mapi_response_t), intent(in) :: response
    mapi_response_is_complete = c_response_is_complete(response%ptr) == 1
  end function mapi_response_is_complete

  !> Number of records that came back (0 until complete).
  integer function mapi_response_record_count(response)
    type(mapi_response_t), intent(in) :: response
    mapi_response_record_count = int(c_response_record_count(response%ptr))
  end function mapi_response_record_count

  subroutine response_record_i32(response, i, record, stat)
    type(mapi_response_t), intent(in) :: response
    integer(int32), intent(in) :: i
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    call response_record_i64(response, int(i, int64), record, stat)
  end subroutine response_record_i32

  !> Record i (1-based) of the response.
  subroutine response_record_i64(response, i, record, stat)
    type(mapi_response_t), intent(in) :: response
    integer(int64), intent(in) :: i
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    record%ptr = c_null_ptr
    if (i >= 1) record%ptr = c_response_record(response%ptr, int(i - 1, c_size_t))
    if (c_associated(record%ptr)) then
       call report(MAPI_OK, 'mapi_response_record', stat)
    else
       if (present(stat)) then
          stat = int(MAPI_ERR_OUT_OF_RANGE)
       else
          write(error_unit, '(a,i0,a)') 'messageapi: mapi_response_record: no record ', i, &
               ' (out of range, or the response is not complete)'
       end if
    end if
  end subroutine response_record_i64

  integer function mapi_response_rejection_count(response)
    type(mapi_response_t), intent(in) :: response
    mapi_response_rejection_count = int(c_rejection_count(response%ptr))
  end function mapi_response_rejection_count

  integer function reason_count_i32(response, i)
    type(mapi_response_t), intent(in) :: response
    integer(int32), intent(in) :: i
    reason_count_i32 = reason_count_i64(response, int(i, int64))
  end function reason_count_i32

  !> Number of reasons of rejection i (1-based).
  integer function reason_count_i64(response, i)
    type(mapi_response_t), intent(in) :: response
    integer(int64), intent(in) :: i
    reason_count_i64 = 0
    if (i >= 1) reason_count_i64 = int(c_reason_count(response%ptr, int(i - 1, c_size_t)))
  end function reason_count_i64

  function reason_i32(response, i, j) result(msg)
    type(mapi_response_t), intent(in) :: response
    integer(int32), intent(in) :: i, j
    character(:), allocatable :: msg
    msg = reason_i64(response, int(i, int64), int(j, int64))
  end function reason_i32

  !> Reason j of rejection i (1-based; empty if out of range).
  function reason_i64(response, i, j) result(msg)
    type(mapi_response_t), intent(in) :: response
    integer(int64), intent(in) :: i, j
    character(:), allocatable :: msg
    msg = ''
    if (i >= 1 .and. j >= 1) msg = from_c(c_reason(response%ptr, int(i - 1, c_size_t), int(j - 1, c_size_t)))
  end function reason_i64

  subroutine rejection_record_i32(response, i, record, stat)
    type(mapi_response_t), intent(in) :: response
    integer(int32), intent(in) :: i
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    call rejection_record_i64(response, int(i, int64), record, stat)
  end subroutine rejection_record_i32

  !> The record of rejection i (1-based).
  subroutine rejection_record_i64(response, i, record, stat)
    type(mapi_response_t), intent(in) :: response
    integer(int64), intent(in) :: i
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    record%ptr = c_null_ptr
    if (i >= 1) record%ptr = c_rejection_record(response%ptr, int(i - 1, c_size_t))
    if (c_associated(record%ptr)) then
       call report(MAPI_OK, 'mapi_response_rejection_record', stat)
    else if (present(stat)) then
       stat = int(MAPI_ERR_OUT_OF_RANGE)
    else
       write(error_unit, '(a,i0)') 'messageapi: mapi_response_rejection_record: no rejection ', i
    end if
  end subroutine rejection_record_i64

  ! ---- record lists ---------------------------------------------------------------------------

  integer function mapi_record_list_count(list)
    type(mapi_record_list_t), intent(in) :: list
    mapi_record_list_count = int(c_list_count(list%ptr))
  end function mapi_record_list_count

  function list_get_i32(list, i) result(record)
    type(mapi_record_list_t), intent(in) :: list
    integer(int32), intent(in) :: i
    type(mapi_record_t) :: record
    record = list_get_i64(list, int(i, int64))
  end function list_get_i32

  !> Record i (1-based) of a list; a null handle if out of range.
  function list_get_i64(list, i) result(record)
    type(mapi_record_list_t), intent(in) :: list
    integer(int64), intent(in) :: i
    type(mapi_record_t) :: record
    record%ptr = c_null_ptr
    if (i >= 1) record%ptr = c_list_get(list%ptr, int(i - 1, c_size_t))
  end function list_get_i64

  ! ---- frees ----------------------------------------------------------------------------------

  subroutine free_session(handle)
    type(mapi_session_t), intent(inout) :: handle
    call c_session_free(handle%ptr)
    handle%ptr = c_null_ptr
  end subroutine free_session

  subroutine free_request(handle)
    type(mapi_request_t), intent(inout) :: handle
    call c_request_free(handle%ptr)
    handle%ptr = c_null_ptr
  end subroutine free_request

  !> Frees a request committing nothing its consumers read that is not committed yet (the
  !> broker delivers those messages again), and nulls the handle.
  subroutine mapi_request_abandon(handle)
    type(mapi_request_t), intent(inout) :: handle
    call c_request_abandon(handle%ptr)
    handle%ptr = c_null_ptr
  end subroutine mapi_request_abandon

  subroutine free_response(handle)
    type(mapi_response_t), intent(inout) :: handle
    call c_response_free(handle%ptr)
    handle%ptr = c_null_ptr
  end subroutine free_response

  ! ---- plug-ins -------------------------------------------------------------------------------
  ! An endpoint is a bind(c) function
  !   integer(c_int32_t) function my_endpoint(call, user_data) bind(c)
  !     type(c_ptr), value :: call, user_data
  ! and a transformation the same with a transformation call; register them with c_funloc.

  !> Registers endpoint plugin `name` (callback_fn = c_funloc(your bind(c) function)).
  subroutine mapi_register_endpoint(name, callback_fn, user_data, stat)
    character(*), intent(in) :: name
    type(c_funptr), value :: callback_fn
    type(c_ptr), intent(in), optional :: user_data
    integer, intent(out), optional :: stat
    type(cstring), target :: n
    type(c_ptr) :: ud
    call to_c(name, n)
    ud = c_null_ptr
    if (present(user_data)) ud = user_data
    call report(c_register_endpoint(c_loc(n%chars), callback_fn, ud), 'mapi_register_endpoint', stat)
  end subroutine mapi_register_endpoint

  !> Registers transformation operator `name`.
  subroutine mapi_register_transformation(name, callback_fn, user_data, stat)
    character(*), intent(in) :: name
    type(c_funptr), value :: callback_fn
    type(c_ptr), intent(in), optional :: user_data
    integer, intent(out), optional :: stat
    type(cstring), target :: n
    type(c_ptr) :: ud
    call to_c(name, n)
    ud = c_null_ptr
    if (present(user_data)) ud = user_data
    call report(c_register_transformation(c_loc(n%chars), callback_fn, ud), 'mapi_register_transformation', stat)
  end subroutine mapi_register_transformation

  !> The connection id (inside an endpoint callback).
  function mapi_call_connection_id(call) result(id)
    type(c_ptr), intent(in) :: call
    character(:), allocatable :: id
    id = from_c(c_call_connection_id(call))
  end function mapi_call_connection_id

  !> A constructor value: strings raw, anything else as JSON (empty + stat when absent).
  function mapi_call_parameter(call, key, stat) result(value)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: key
    integer, intent(out), optional :: stat
    character(:), allocatable :: value
    value = parameter_of(call, key, .false., stat)
  end function mapi_call_parameter

  !> A transformation constructor value (inside a transformation callback).
  function mapi_transform_parameter(call, key, stat) result(value)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: key
    integer, intent(out), optional :: stat
    character(:), allocatable :: value
    value = parameter_of(call, key, .true., stat)
  end function mapi_transform_parameter

  function parameter_of(call, key, transform, stat) result(value)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: key
    logical, intent(in) :: transform
    integer, intent(out), optional :: stat
    character(:), allocatable :: value
    type(cstring), target :: k
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: s
    call to_c(key, k)
    allocate(buf(256))
    n = 0
    if (transform) then
       s = c_transform_parameter(call, c_loc(k%chars), c_loc(buf), 256_c_size_t, n)
    else
       s = c_call_parameter(call, c_loc(k%chars), c_loc(buf), 256_c_size_t, n)
    end if
    if (s == MAPI_ERR_BUFFER_TOO_SMALL) then
       deallocate(buf)
       allocate(buf(n + 1))
       if (transform) then
          s = c_transform_parameter(call, c_loc(k%chars), c_loc(buf), n + 1, n)
       else
          s = c_call_parameter(call, c_loc(k%chars), c_loc(buf), n + 1, n)
       end if
    end if
    value = ''
    if (s == MAPI_OK) value = from_c_n(c_loc(buf), n)
    call report(s, 'parameter ' // trim(key), stat)
  end function parameter_of

  !> Every record routed to the connection.
  function mapi_call_records(call) result(list)
    type(c_ptr), intent(in) :: call
    type(mapi_record_list_t) :: list
    list%ptr = c_call_records(call)
  end function mapi_call_records

  !> The routed records of a collection.
  subroutine mapi_call_records_by_collection(call, collection_id, list, stat)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: collection_id
    type(mapi_record_list_t), intent(out) :: list
    integer, intent(out), optional :: stat
    type(cstring), target :: c
    call to_c(collection_id, c)
    call report(c_call_by_collection(call, c_loc(c%chars), list%ptr), 'mapi_call_records_by_collection', stat)
  end subroutine mapi_call_records_by_collection

  !> The output of a transformation (evaluated at most once per connection per submit).
  subroutine mapi_call_records_by_transformation(call, transformation_id, list, stat)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: transformation_id
    type(mapi_record_list_t), intent(out) :: list
    integer, intent(out), optional :: stat
    type(cstring), target :: c
    call to_c(transformation_id, c)
    call report(c_call_by_transformation(call, c_loc(c%chars), list%ptr), 'mapi_call_records_by_transformation', stat)
  end subroutine mapi_call_records_by_transformation

  !> The state record (persists while the same request is resubmitted).
  function mapi_call_state(call) result(record)
    type(c_ptr), intent(in) :: call
    type(mapi_record_t) :: record
    record%ptr = c_call_state(call)
  end function mapi_call_state

  !> Adds an output record (the connection's default-fields, or open).
  subroutine mapi_call_add_record(call, record, stat)
    type(c_ptr), intent(in) :: call
    type(mapi_record_t), intent(out) :: record
    integer, intent(out), optional :: stat
    call report(c_call_add_record(call, record%ptr), 'mapi_call_add_record', stat)
  end subroutine mapi_call_add_record

  !> Rejects (a copy of) a record with a reason.
  subroutine mapi_call_reject(call, record, reason, stat)
    type(c_ptr), intent(in) :: call
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: reason
    integer, intent(out), optional :: stat
    type(cstring), target :: r
    call to_c(reason, r)
    call report(c_call_reject(call, record%ptr, c_loc(r%chars)), 'mapi_call_reject', stat)
  end subroutine mapi_call_reject

  !> The message a failing endpoint callback reports (return MAPI_ERR_ENDPOINT after it).
  subroutine mapi_call_set_error(call, message)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: message
    type(cstring), target :: m
    integer(c_int32_t) :: s
    call to_c(message, m)
    s = c_call_set_error(call, c_loc(m%chars))
  end subroutine mapi_call_set_error

  !> The records bound to a transformation parameter.
  subroutine mapi_transform_input(call, param, list, stat)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: param
    type(mapi_record_list_t), intent(out) :: list
    integer, intent(out), optional :: stat
    type(cstring), target :: p
    call to_c(param, p)
    call report(c_transform_input(call, c_loc(p%chars), list%ptr), 'mapi_transform_input', stat)
  end subroutine mapi_transform_input

  !> Adds an output record: open, or a copy of `copy_from`.
  subroutine mapi_transform_add_record(call, record, copy_from, stat)
    type(c_ptr), intent(in) :: call
    type(mapi_record_t), intent(out) :: record
    type(mapi_record_t), intent(in), optional :: copy_from
    integer, intent(out), optional :: stat
    type(c_ptr) :: from
    from = c_null_ptr
    if (present(copy_from)) from = copy_from%ptr
    call report(c_transform_add_record(call, from, record%ptr), 'mapi_transform_add_record', stat)
  end subroutine mapi_transform_add_record

  !> The message a failing transformation callback reports.
  subroutine mapi_transform_set_error(call, message)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: message
    type(cstring), target :: m
    integer(c_int32_t) :: s
    call to_c(message, m)
    s = c_transform_set_error(call, c_loc(m%chars))
  end subroutine mapi_transform_set_error

  ! ---- bound since the module was split ------------------------------------------------------

  !> The MAPI_TYPE_* of schema field i (1-based), or -1 if out of range.
  integer function mapi_session_field_type(session, i)
    type(mapi_session_t), intent(in) :: session
    integer, intent(in) :: i
    mapi_session_field_type = int(c_session_field_type(session%ptr, int(i - 1, c_size_t)))
  end function mapi_session_field_type

  !> Whether schema field i (1-based) is required (.false. also when out of range).
  logical function mapi_session_field_required(session, i)
    type(mapi_session_t), intent(in) :: session
    integer, intent(in) :: i
    mapi_session_field_required = c_session_field_required(session%ptr, int(i - 1, c_size_t)) == 1
  end function mapi_session_field_required

  !> The reasons `record` would be rejected for at submit, one per line (empty: it passes).
  function mapi_session_validate(session, record, stat) result(reasons)
    type(mapi_session_t), intent(in) :: session
    type(mapi_record_t), intent(in) :: record
    integer, intent(out), optional :: stat
    character(:), allocatable :: reasons
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n
    integer(c_int32_t) :: status
    allocate(buf(256))
    status = c_session_validate(session%ptr, record%ptr, c_loc(buf), int(size(buf), c_size_t), n)
    if (status == MAPI_ERR_BUFFER_TOO_SMALL) then
       deallocate(buf)
       allocate(buf(n + 1))
       status = c_session_validate(session%ptr, record%ptr, c_loc(buf), n + 1, n)
    end if
    reasons = ''
    if (status == MAPI_OK) reasons = from_c_n(c_loc(buf), n)
    call report(status, 'mapi_session_validate', stat)
  end function mapi_session_validate

  !> Record i (1-based) of the request, to read or change before a submit (null if out of range).
  function mapi_request_record(request, i) result(record)
    type(mapi_request_t), intent(in) :: request
    integer, intent(in) :: i
    type(mapi_record_t) :: record
    record%ptr = c_null_ptr
    if (i >= 1) record%ptr = c_request_record(request%ptr, int(i - 1, c_size_t))
  end function mapi_request_record

  !> Removes the request's last record (MAPI_ERR_OUT_OF_RANGE when it has none).
  subroutine mapi_request_pop_record(request, stat)
    type(mapi_request_t), intent(in) :: request
    integer, intent(out), optional :: stat
    call report(c_request_pop_record(request%ptr), 'mapi_request_pop_record', stat)
  end subroutine mapi_request_pop_record

  !> Sets a datetime condition value from ISO-8601 / RFC-3339 text.
  subroutine mapi_record_set_condition_datetime(record, condition_id, iso8601, stat)
    type(mapi_record_t), intent(in) :: record
    character(*), intent(in) :: condition_id, iso8601
    integer, intent(out), optional :: stat
    type(cstring), target :: c, v
    call to_c(condition_id, c)
    call to_c(iso8601, v)
    call report(c_cond_datetime(record%ptr, c_loc(c%chars), c_loc(v%chars)), &
         'mapi_record_set_condition_datetime ' // trim(condition_id), stat)
  end subroutine mapi_record_set_condition_datetime

  !> The records that came back, as a list (null until the response completes).
  function mapi_response_records(response) result(list)
    type(mapi_response_t), intent(in) :: response
    type(mapi_record_list_t) :: list
    list%ptr = c_response_records(response%ptr)
  end function mapi_response_records

  !> Registers a condition operator: `callback_fn` = c_funloc of a bind(c) function
  !> (record, field, value_json, user_data) returning integer(c_int32_t): 1 pass, 0 fail.
  subroutine mapi_register_condition(name, callback_fn, user_data, stat)
    character(*), intent(in) :: name
    type(c_funptr), value :: callback_fn
    type(c_ptr), intent(in), optional :: user_data
    integer, intent(out), optional :: stat
    type(cstring), target :: n
    type(c_ptr) :: ud
    call to_c(name, n)
    ud = c_null_ptr
    if (present(user_data)) ud = user_data
    call report(c_register_condition(c_loc(n%chars), callback_fn, ud), 'mapi_register_condition', stat)
  end subroutine mapi_register_condition

  !> The routed records of every collection labelled `key` = `value` (`value` absent: any).
  subroutine mapi_call_records_by_classifier(call, key, list, value, stat)
    type(c_ptr), intent(in) :: call
    character(*), intent(in) :: key
    type(mapi_record_list_t), intent(out) :: list
    character(*), intent(in), optional :: value
    integer, intent(out), optional :: stat
    type(cstring), target :: k, v
    type(c_ptr) :: vp
    call to_c(key, k)
    vp = c_null_ptr
    if (present(value)) then
       call to_c(value, v)
       vp = c_loc(v%chars)
    end if
    call report(c_call_by_classifier(call, c_loc(k%chars), vp, list%ptr), 'mapi_call_records_by_classifier', stat)
  end subroutine mapi_call_records_by_classifier

  !> Sends log messages to `callback_fn` (c_funloc of a bind(c) subroutine (level, message,
  !> user_data)); c_null_funptr restores the default (stderr, filtered by MAPI_LOG).
  subroutine mapi_set_log_callback(callback_fn, user_data, stat)
    type(c_funptr), value :: callback_fn
    type(c_ptr), intent(in), optional :: user_data
    integer, intent(out), optional :: stat
    type(c_ptr) :: ud
    ud = c_null_ptr
    if (present(user_data)) ud = user_data
    call report(c_set_log_callback(callback_fn, ud), 'mapi_set_log_callback', stat)
  end subroutine mapi_set_log_callback

  ! ---- dead letters and statistics ------------------------------------------------------------

  !> The session's statistics as one JSON object (docs/statistics.md).
  function mapi_session_stats_json(session, stat) result(text)
    type(mapi_session_t), intent(in) :: session
    integer, intent(out), optional :: stat
    character(:), allocatable :: text
    text = stats_text(session, .false., stat)
  end function mapi_session_stats_json

  !> The session's statistics as Prometheus text exposition (format 0.0.4): write it to a
  !> node-exporter textfile at the end of a batch job.
  function mapi_session_stats_prometheus(session, stat) result(text)
    type(mapi_session_t), intent(in) :: session
    integer, intent(out), optional :: stat
    character(:), allocatable :: text
    text = stats_text(session, .true., stat)
  end function mapi_session_stats_prometheus

  function stats_text(session, prometheus, stat) result(text)
    type(mapi_session_t), intent(in) :: session
    logical, intent(in) :: prometheus
    integer, intent(out), optional :: stat
    character(:), allocatable :: text
    character(kind=c_char), allocatable, target :: buf(:)
    integer(c_size_t) :: n, cap
    integer(c_int32_t) :: status
    cap = 8192
    do
       allocate(buf(cap))
       if (prometheus) then
          status = c_session_stats_prometheus(session%ptr, c_loc(buf), cap, n)
       else
          status = c_session_stats_json(session%ptr, c_loc(buf), cap, n)
       end if
       if (status /= MAPI_ERR_BUFFER_TOO_SMALL) exit
       deallocate(buf)
       cap = n + 1 + 1024   ! the figures may grow between the two calls
    end do
    text = ''
    if (status == MAPI_OK) text = from_c_n(c_loc(buf), n)
    call report(status, 'mapi_session_stats', stat)
  end function stats_text

  !> Where rejection i (1-based) happened: 'required', 'condition', 'endpoint' or 'internal'
  !> (empty if out of range).
  function mapi_response_rejection_stage(response, i) result(stage)
    type(mapi_response_t), intent(in) :: response
    integer, intent(in) :: i
    character(:), allocatable :: stage
    stage = ''
    if (i >= 1) stage = from_c(c_rejection_stage(response%ptr, int(i - 1, c_size_t)))
  end function mapi_response_rejection_stage

  !> The connection that rejected rejection i (1-based): empty for validation rejections.
  function mapi_response_rejection_connection(response, i) result(id)
    type(mapi_response_t), intent(in) :: response
    integer, intent(in) :: i
    character(:), allocatable :: id
    id = ''
    if (i >= 1) id = from_c(c_rejection_connection(response%ptr, int(i - 1, c_size_t)))
  end function mapi_response_rejection_connection

end module messageapi
