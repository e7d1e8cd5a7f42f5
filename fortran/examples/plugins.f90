! plugins (Fortran): an endpoint written in Fortran. It totals the readings of the records routed
! to it, keeps a call counter in its state record (stream mode), and returns one summary record
! with the connection's default fields.
module reading_totals
  use messageapi
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
contains
  function totals(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_list_t) :: routed
    type(mapi_record_t) :: r, state, out
    real(real64), allocatable :: readings(:)
    real(real64) :: total
    integer(int64) :: calls
    integer :: i
    status = MAPI_OK
    if (c_associated(user_data)) status = MAPI_ERR_ENDPOINT   ! no user data expected
    routed = mapi_call_records(call)
    total = 0
    do i = 1, mapi_record_list_count(routed)
       r = mapi_record_list_get(routed, i)
       call mapi_record_get(r, 'readings', readings)
       total = total + sum(readings)
    end do
    state = mapi_call_state(call)
    call mapi_record_get(state, 'calls', calls)
    calls = calls + 1
    call mapi_record_set(state, 'calls', calls)
    call mapi_call_add_record(call, out)
    call mapi_record_set(out, 'count', mapi_record_list_count(routed))
    call mapi_record_set(out, 'total', total)
    call mapi_record_set(out, 'calls', calls)
  end function totals
end module reading_totals

program fortran_plugins
  use messageapi
  use reading_totals
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  integer :: failures

  failures = 0
  call mapi_register_endpoint('reading-totals', c_funloc(totals))
  call mapi_session_open_json(session, '{"fields": [{"id": "readings", "type": "list(double)", "required": true}],' // &
       '"collections": [{"id": "obs", "fields": ["readings"]}],' // &
       '"endpoints": [{"plugin": "reading-totals", "connections": [{"id": "totals", "collections": ["obs"],' // &
       '  "constructor": {"default-fields": [{"id": "count", "type": "integer"}, {"id": "total", "type": "double"},' // &
       '                                     {"id": "calls", "type": "integer"}],' // &
       '                 "state-container": [{"id": "calls", "type": "integer", "value": 0}]}}]}]}')
  call mapi_request_new(request, session)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'readings', [10.0_real64, 20.0_real64])
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'readings', [5.0_real64, 5.0_real64, 10.0_real64])
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'readings', [10.0_real64])
  call submit_and_report('submit 1', 3_int64, 60.0_real64, 1_int64)
  call mapi_request_clear(request)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'readings', [5.0_real64])
  call submit_and_report('submit 2', 1_int64, 5.0_real64, 2_int64)
  call mapi_free(request)
  call mapi_free(session)
  if (failures == 0) print '(a)', 'fortran plugins OK'

contains

  subroutine submit_and_report(label, want_count, want_total, want_calls)
    character(*), intent(in) :: label
    integer(int64), intent(in) :: want_count, want_calls
    real(real64), intent(in) :: want_total
    type(mapi_record_t) :: out
    integer(int64) :: count, calls
    real(real64) :: total
    call mapi_request_submit(request, response)
    call mapi_response_wait(response)
    call mapi_response_record(response, 1, out)
    call mapi_record_get(out, 'count', count)
    call mapi_record_get(out, 'total', total)
    call mapi_record_get(out, 'calls', calls)
    print '(a,a,i0,a,f0.1,a,i0)', label, ': ', count, ' records, total ', total, ', calls ', calls
    if (count /= want_count .or. abs(total - want_total) > 1e-9_real64 .or. calls /= want_calls) then
       failures = failures + 1
       print '(a)', 'FAILED'
    end if
    call mapi_free(response)
  end subroutine submit_and_report

end program fortran_plugins
