! Fortran module tests: values of every kind round-tripped exactly, rejection reasons as Fortran
! strings, error paths with stat, and one error without stat that prints and goes on.
program test_roundtrip
  use messageapi
  use messageapi_c, only: c_abi_version
  use, intrinsic :: iso_fortran_env, only: int32, int64, real32, real64
  use, intrinsic :: iso_c_binding, only: c_ptr, c_int32_t, c_funloc, c_null_funptr, c_associated
  implicit none
  type(mapi_session_t) :: session, missing
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record, out, rejected
  type(mapi_response_t) :: response
  character(:), allocatable :: s, reason, json
  integer(int64) :: i64
  real(real64) :: r64
  logical :: flag
  integer(int64), allocatable :: ints(:)
  real(real64), allocatable :: reals(:)
  integer :: stat, failures, own, named
  character(len=1024) :: root
  type(mapi_record_list_t) :: list
  type(mapi_session_t) :: filtered
  integer, save :: log_calls = 0

  failures = 0
  call get_command_argument(1, root)

  call check(len(mapi_version()) >= 5, 'version')
  call check(mapi_status_name(MAPI_ERR_MANIFEST) == 'MAPI_ERR_MANIFEST', 'status name')

  ! Missing manifest: stat, and the message names the path.
  call mapi_session_open(missing, '/no/such/manifest.json', stat=stat)
  call check(stat == MAPI_ERR_IO, 'missing manifest gives MAPI_ERR_IO')
  call check(index(mapi_last_error(), '/no/such/manifest.json') > 0, 'the message names the path')

  ! Checking a manifest loads nothing: a native library without the host's consent is refused
  ! by the check as by the open, naming how to allow it.
  open(newunit=own, file='native_check.json', status='replace', action='write')
  write(own, '(a)') '{"fields": [], "collections": [], "endpoints": [{"plugin": "native", ' // &
       '"connections": [{"id": "c", "constructor": {"native-library": "native_check.json", "symbol": "f"}}]}]}'
  close(own)
  call mapi_session_check('native_check.json', stat=stat)
  call check(stat == MAPI_ERR_NOT_ALLOWED, 'a native library without consent is not allowed')
  call check(index(mapi_last_error(), 'native-plugin-dirs') > 0, 'the message says how to allow it')
  call mapi_session_open(missing, 'native_check.json', stat=stat)
  call check(stat == MAPI_ERR_NOT_ALLOWED, 'nor opened')

  call mapi_session_open_json(session, '{"fields": [' // &
       '{"id": "name", "type": "string", "required": true},' // &
       '{"id": "count", "type": "integer", "required": false},' // &
       '{"id": "small", "type": "integer", "required": false},' // &
       '{"id": "ratio", "type": "double", "required": false},' // &
       '{"id": "single", "type": "float", "required": false},' // &
       '{"id": "ok", "type": "boolean", "required": false},' // &
       '{"id": "when", "type": "datetime", "required": false},' // &
       '{"id": "ids", "type": "list(int)", "required": false},' // &
       '{"id": "temps", "type": "list(double)", "required": false}],' // &
       '"conditions": [{"id": "count-below", "type": "comparison", "operator": "<", "field": "count"},' // &
       '               {"id": "name-is", "type": "comparison", "operator": "=", "field": "name"}],' // &
       '"collections": [{"id": "all", "fields": ["name", "count", "small", "ratio", "single", "ok", "when", "ids", "temps"]}],' // &
       '"endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["all"]}]}]}', stat=stat)
  call check(stat == MAPI_OK, 'open')
  call check(mapi_session_field_count(session) == 9, 'field count')
  call check(mapi_session_field_name(session, 2) == 'count', 'field name (1-based)')

  call mapi_request_new(request, session)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'name', 'station KILX   ', stat=stat)        ! trailing blanks trimmed
  call check(stat == MAPI_OK, 'set string')
  call mapi_record_set(record, 'count', 9007199254740993_int64)
  call mapi_record_set(record, 'small', 42_int32)
  call mapi_record_set(record, 'ratio', 0.1_real64)
  call mapi_record_set(record, 'single', 0.1_real32)
  call mapi_record_set(record, 'ok', .true.)
  call mapi_record_set_datetime(record, 'when', '2019-05-06T12:30:00Z')
  call mapi_record_set(record, 'ids', [1_int64, -2_int64, huge(1_int64)])
  call mapi_record_set(record, 'temps', [20.5_real64, -1.0e300_real64])
  call mapi_record_set_condition(record, 'count-below', huge(1_int64))
  call mapi_record_set_condition(record, 'name-is', 'station KILX')

  ! Errors with stat.
  call mapi_record_set(record, 'no-such-field', 'x', stat=stat)
  call check(stat == MAPI_ERR_UNKNOWN_FIELD, 'unknown field gives MAPI_ERR_UNKNOWN_FIELD')
  call mapi_record_set(record, 'name', 5_int64, stat=stat)
  call check(stat == MAPI_ERR_TYPE_MISMATCH, 'type mismatch gives MAPI_ERR_TYPE_MISMATCH')
  call check(index(mapi_last_error(), 'field "name" is string') > 0, 'the mismatch message names the field')
  call mapi_record_set_condition(record, 'no-such-condition', 1, stat=stat)
  call check(stat == MAPI_ERR_UNKNOWN_CONDITION, 'unknown condition')
  call mapi_record_set_datetime(record, 'when', 'not a date', stat=stat)
  call check(stat == MAPI_ERR_INVALID_ARGUMENT, 'bad datetime text')
  ! Without stat: the message goes to error_unit and the program carries on.
  call mapi_record_set(record, 'no-such-field', 1)

  ! A second record missing its required name; a third failing its condition.
  call mapi_request_add_record(request, rejected)
  call mapi_record_set(rejected, 'count', 1)
  call mapi_request_add_record(request, rejected)
  call mapi_record_set(rejected, 'name', 'other')
  call mapi_record_set(rejected, 'count', 100)
  call mapi_record_set_condition(rejected, 'count-below', 50_int64)

  call mapi_request_submit(request, response)
  call mapi_response_wait(response, 0_int64, stat=stat)
  call check(stat == MAPI_OK .or. stat == MAPI_ERR_TIMED_OUT, 'poll')
  call mapi_response_wait(response, 10000_int64, stat=stat)
  call check(stat == MAPI_OK, 'wait')
  call check(mapi_response_is_complete(response), 'complete')
  call check(mapi_response_record_count(response) == 1, 'one record back')
  call check(mapi_response_rejection_count(response) == 2, 'two rejections')
  call check(mapi_response_rejection_reason_count(response, 1) == 1, 'one reason')
  reason = mapi_response_rejection_reason(response, 1, 1)
  call check(reason == 'Required field name was missing a value.', 'required reason: ' // reason)
  reason = mapi_response_rejection_reason(response, 2_int64, 1_int64)
  call check(reason == 'The record fields were invalidated against specified conditions.', 'condition reason')
  call check(mapi_response_rejection_stage(response, 1) == 'required', 'stage required')
  call check(mapi_response_rejection_stage(response, 2) == 'condition', 'stage condition')
  call check(mapi_response_rejection_stage(response, 3) == '', 'no stage out of range')
  call check(mapi_response_rejection_connection(response, 1) == '', 'no connection for validation')
  call mapi_response_rejection_record(response, 2, out)
  call mapi_record_get(out, 'name', s)
  call check(s == 'other', 'rejected record readable')

  call mapi_response_record(response, 1, out)
  call mapi_record_get(out, 'name', s)
  call check(s == 'station KILX', 'string round trip')
  call mapi_record_get(out, 'count', i64)
  call check(i64 == 9007199254740993_int64, 'int64 round trip (beyond double precision)')
  call mapi_record_get(out, 'small', i64)
  call check(i64 == 42, 'int32 widened to int64')
  call mapi_record_get(out, 'ratio', r64)
  call check(r64 == 0.1_real64, 'real64 round trip')
  call mapi_record_get(out, 'single', r64)
  call check(r64 == real(0.1_real32, real64), 'real32 keeps float precision')
  call mapi_record_get(out, 'ok', flag)
  call check(flag, 'logical round trip')
  call mapi_record_get(out, 'when', s)
  call check(s == '2019-05-06T12:30:00Z', 'datetime text')
  call mapi_record_get(out, 'ids', ints)
  call check(size(ints) == 3, 'int array size')
  if (size(ints) == 3) call check(all(ints == [1_int64, -2_int64, huge(1_int64)]), 'int array values')
  call mapi_record_get(out, 'temps', reals)
  call check(size(reals) == 2, 'real array size')
  if (size(reals) == 2) call check(all(reals == [20.5_real64, -1.0e300_real64]), 'real array values')
  call mapi_record_get(out, 'count', reals, stat=stat)
  call check(stat == MAPI_ERR_TYPE_MISMATCH .and. size(reals) == 0, 'array from a scalar field')
  call mapi_record_get(out, 'name', i64, stat=stat)
  call check(stat == MAPI_ERR_TYPE_MISMATCH, 'integer from a string field')
  call check(mapi_record_field_count(out) == 9, 'record field count')
  call check(mapi_record_field_name(out, 9) == 'temps', 'record field name')
  call check(mapi_record_field_type(out, 'when') == MAPI_TYPE_DATETIME, 'field type')
  call check(.not. mapi_record_is_null(out, 'ok'), 'not null')
  json = mapi_record_get_json(out, 'ids')
  call check(json == '[1,-2,9223372036854775807]', 'json of a field: ' // json)
  json = mapi_record_get_json(out)
  call check(index(json, '{"name":"station KILX","count":9007199254740993,') == 1, 'json of the record')

  call mapi_response_rejection_record(response, 1, rejected)
  call mapi_record_get(rejected, 'name', i64, stat=stat)
  call check(stat == MAPI_ERR_NULL_VALUE, 'null value')
  call mapi_response_record(response, 5, out, stat=stat)
  call check(stat == MAPI_ERR_OUT_OF_RANGE, 'record index out of range')

  ! JSON input; the request is reused (stream mode).
  call mapi_request_clear(request)
  call mapi_request_add_json(request, '{"name": "a", "ids": [1, 2]}' // new_line('a') // '{"name": "b"}', stat=stat)
  call check(stat == MAPI_OK, 'JSON lines')
  call check(mapi_request_record_count(request) == 2, 'JSON lines count')
  call mapi_request_add_json(request, '{"name": 5}', stat=stat)
  call check(stat == MAPI_ERR_TYPE_MISMATCH, 'bad JSON value')

  ! submit_and_clear moves the two records into the submit and empties the request.
  call mapi_free(response)
  call mapi_request_submit_and_clear(request, response, stat=stat)
  call check(stat == MAPI_OK, 'submit_and_clear')
  call check(mapi_request_record_count(request) == 0, 'request empty after submit_and_clear')
  call mapi_response_wait(response, 10000_int64, stat=stat)
  call check(mapi_response_record_count(response) == 2, 'moved records back')
  call mapi_response_record(response, 2, out)
  call mapi_record_get(out, 'name', s)
  call check(s == 'b', 'moved record values')

  ! Calls bound since the module was split into messageapi_c and messageapi.
  call check(c_abi_version() == MAPI_ABI_VERSION, 'ABI version of the loaded library')
  list = mapi_response_records(response)
  call check(mapi_record_list_count(list) == 2, 'the response records as a list')
  call check(mapi_session_field_type(session, 2) == MAPI_TYPE_INTEGER, 'session field type')
  call check(mapi_session_field_type(session, 10) == -1, 'session field type out of range')
  call check(mapi_session_field_required(session, 1), 'a required field')
  call check(.not. mapi_session_field_required(session, 2), 'an optional field')
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'count', 3)
  reason = mapi_session_validate(session, record, stat=stat)
  call check(stat == MAPI_OK, 'validate')
  call check(reason == 'Required field name was missing a value.', 'validate: ' // reason)
  call mapi_record_set(record, 'name', 'x')
  reason = mapi_session_validate(session, record)
  call check(reason == '', 'a valid record has no reasons')
  out = mapi_request_record(request, 1)
  call mapi_record_get(out, 'count', i64)
  call check(i64 == 3, 'request record by index')
  call mapi_record_set_condition_datetime(out, 'count-below', '2019-05-06T00:00:00Z', stat=stat)
  call check(stat == MAPI_ERR_TYPE_MISMATCH, 'a datetime for an integer condition')
  call mapi_request_pop_record(request, stat=stat)
  call check(stat == MAPI_OK, 'pop record')
  call check(mapi_request_record_count(request) == 0, 'pop record empties the request')
  call mapi_request_pop_record(request, stat=stat)
  call check(stat == MAPI_ERR_OUT_OF_RANGE, 'pop from an empty request')

  ! A condition operator and a log callback written in Fortran.
  call mapi_register_condition('fortran-even', c_funloc(even), stat=stat)
  call check(stat == MAPI_OK, 'register condition')
  call mapi_set_log_callback(c_funloc(count_log), stat=stat)
  call check(stat == MAPI_OK, 'set log callback')
  call mapi_session_open_json(filtered, '{"fields": [{"id": "n", "type": "integer", "required": true}],' // &
       '"conditions": [{"id": "even", "operator": "fortran-even", "field": "n", "value": 0}],' // &
       '"collections": [{"id": "all", "fields": ["n"], "conditions": ["even"]}],' // &
       '"endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["all"]}]}],' // &
       '"unknown-key": true}', stat=stat)
  call check(stat == MAPI_OK, 'open with a Fortran condition')
  call check(log_calls > 0, 'the log callback heard of the unknown key')
  call mapi_set_log_callback(c_null_funptr)
  call mapi_free(response)
  call mapi_free(request)
  call mapi_request_new(request, filtered)
  do stat = 1, 4
     call mapi_request_add_record(request, record)
     call mapi_record_set(record, 'n', stat)
  end do
  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  call check(mapi_response_record_count(response) == 2, 'the Fortran condition kept the even records')
  call mapi_free(filtered)

  ! A Fortran endpoint that adds an output record, then fails: the connection returns nothing
  ! and every record routed to it comes back rejected, with the message it set.
  call mapi_register_endpoint('fortran-half-done', c_funloc(half_done), stat=stat)
  call check(stat == MAPI_OK, 'register endpoint')
  call mapi_session_open_json(filtered, '{"fields": [{"id": "n", "type": "integer", "required": true}],' // &
       '"collections": [{"id": "all", "fields": ["n"]}],' // &
       '"endpoints": [{"plugin": "fortran-half-done", "connections": [{"id": "half", "collections": ["all"]}]}]}', &
       stat=stat)
  call check(stat == MAPI_OK, 'open with a failing Fortran endpoint')
  call submit_three(filtered, request, response)
  call check(mapi_response_record_count(response) == 0, 'a failed connection returns nothing')
  call check(mapi_response_rejection_count(response) == 3, 'every routed record rejected')
  reason = mapi_response_rejection_reason(response, 3, 1)
  call check(reason == 'connection half: gave up after one', 'the reason names the connection: ' // reason)
  call check(mapi_response_rejection_stage(response, 3) == 'endpoint', 'stage endpoint')
  call check(mapi_response_rejection_connection(response, 3) == 'half', 'the rejecting connection')
  call mapi_free(filtered)

  ! A Fortran endpoint that rejects one record itself, then fails: that record keeps its own
  ! reason (once), the others are rejected naming the connection. A Fortran transformation
  ! that fails: each record routed to the connection asking for it is rejected once.
  call mapi_register_endpoint('fortran-rejects-two', c_funloc(rejects_two), stat=stat)
  call check(stat == MAPI_OK, 'register endpoint')
  call mapi_register_endpoint('fortran-via-bad', c_funloc(via_bad), stat=stat)
  call check(stat == MAPI_OK, 'register endpoint')
  call mapi_register_transformation('fortran-bad', c_funloc(bad_transformation), stat=stat)
  call check(stat == MAPI_OK, 'register transformation')
  call mapi_session_open_json(filtered, '{"fields": [{"id": "n", "type": "integer", "required": true}],' // &
       '"collections": [{"id": "all", "fields": ["n"]}],' // &
       '"transformations": [{"id": "bad", "operator": "fortran-bad", "records": {"in": {"COLLECTION": "all"}}}],' // &
       '"endpoints": [{"plugin": "fortran-rejects-two", "connections": [{"id": "rej", "collections": ["all"]}]},' // &
       '{"plugin": "fortran-via-bad", "connections": [{"id": "via", "transformations": ["bad"]}]}]}', stat=stat)
  call check(stat == MAPI_OK, 'open with a failing Fortran transformation')
  call submit_three(filtered, request, response)
  call check(mapi_response_record_count(response) == 0, 'failed connections return nothing')
  call check(mapi_response_rejection_count(response) == 6, 'each routed record rejected once')
  own = 0
  named = 0
  do stat = 1, mapi_response_rejection_count(response)
     reason = mapi_response_rejection_reason(response, stat, 1)
     if (reason == 'n may not be 2') then
        own = own + 1
        call mapi_response_rejection_record(response, stat, out)
        call mapi_record_get(out, 'n', i64)
        call check(i64 == 2, 'the record rejected by the plug-in is n = 2')
     else if (reason == 'connection rej: gave up') then
        named = named + 1
     else
        call check(reason == 'connection via: transformation bad failed: no station table', 'reason: ' // reason)
     end if
  end do
  call check(own == 1 .and. named == 2, 'one own rejection, two naming the connection')
  call mapi_free(filtered)

  call mapi_free(response)
  call mapi_free(response)                  ! twice is harmless
  call mapi_free(request)
  call mapi_free(session)
  call check(trim(root) /= '', 'root argument')
  deallocate(s, reason, json, ints, reals)
  if (failures == 0) then
     print '(a)', 'roundtrip OK'
  else
     print '(a,i0,a)', 'FAILED: ', failures, ' checks'
  end if

contains

  !> Condition operator: passes records whose field holds an even integer.
  function even(record, field, value_json, user_data) bind(c) result(pass)
    type(c_ptr), value :: record, field, value_json, user_data
    integer(c_int32_t) :: pass
    type(mapi_record_t) :: r
    integer(int64) :: n
    integer :: st
    r%ptr = record
    pass = 0
    call mapi_record_get(r, 'n', n, stat=st)
    if (st == MAPI_OK .and. mod(n, 2_int64) == 0) pass = 1
    if (.not. c_associated(field) .or. .not. c_associated(value_json) .or. c_associated(user_data)) pass = -1
  end function even

  !> Endpoint: adds one output record, then fails.
  function half_done(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_t) :: out
    call mapi_call_add_record(call, out)
    call mapi_record_set(out, 'n', 99)
    call mapi_call_set_error(call, 'gave up after one')
    status = MAPI_ERR_ENDPOINT
    if (c_associated(user_data)) status = MAPI_ERR_PANIC
  end function half_done

  !> Endpoint: rejects the record whose n is 2, then fails.
  function rejects_two(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_list_t) :: list
    type(mapi_record_t) :: r
    integer(int64) :: n
    integer :: i
    list = mapi_call_records(call)
    do i = 1, mapi_record_list_count(list)
       r = mapi_record_list_get(list, i)
       call mapi_record_get(r, 'n', n)
       if (n == 2) call mapi_call_reject(call, r, 'n may not be 2')
    end do
    call mapi_call_set_error(call, 'gave up')
    status = MAPI_ERR_ENDPOINT
    if (c_associated(user_data)) status = MAPI_ERR_PANIC
  end function rejects_two

  !> Endpoint: returns what transformation "bad" gives (it fails: so does the connection).
  function via_bad(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_list_t) :: list
    integer :: st
    call mapi_call_records_by_transformation(call, 'bad', list, stat=st)
    status = st
    if (c_associated(user_data)) status = MAPI_ERR_PANIC
  end function via_bad

  !> Transformation: adds one record, then fails.
  function bad_transformation(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_t) :: out
    call mapi_transform_add_record(call, out)
    call mapi_record_set(out, 'n', 100)
    call mapi_transform_set_error(call, 'no station table')
    status = MAPI_ERR_ENDPOINT
    if (c_associated(user_data)) status = MAPI_ERR_PANIC
  end function bad_transformation

  !> Frees `response` and `request`, then submits records n = 1, 2, 3 in a new request of
  !> `session` and waits for the response.
  subroutine submit_three(session, request, response)
    type(mapi_session_t), intent(in) :: session
    type(mapi_request_t), intent(inout) :: request
    type(mapi_response_t), intent(inout) :: response
    type(mapi_record_t) :: r
    integer :: n
    call mapi_free(response)
    call mapi_free(request)
    call mapi_request_new(request, session)
    do n = 1, 3
       call mapi_request_add_record(request, r)
       call mapi_record_set(r, 'n', n)
    end do
    call mapi_request_submit(request, response)
    call mapi_response_wait(response)
  end subroutine submit_three

  !> Log callback: counts the messages.
  subroutine count_log(level, message, user_data) bind(c)
    integer(c_int32_t), value :: level
    type(c_ptr), value :: message, user_data
    if (level >= MAPI_LOG_ERROR .and. c_associated(message) .and. .not. c_associated(user_data)) then
       log_calls = log_calls + 1
    end if
  end subroutine count_log

  subroutine check(cond, what)
    logical, intent(in) :: cond
    character(*), intent(in) :: what
    if (.not. cond) then
       failures = failures + 1
       print '(2a)', 'FAILED: ', what
    end if
  end subroutine check

end program test_roundtrip
