! A Fortran endpoint with a large automatic array (built with -fstack-arrays, as LLVM flang
! does by default: the array lives on the stack), in both modes of the process configuration:
!   test_fortran_stack workers   the defaults: the callback runs on a library worker, whose
!                                stack holds the 8 MiB array
!   test_fortran_stack inline    "workers": 0: the callback runs on the main thread, inside
!                                submit, with a 4 MiB array
module big_array_endpoint
  use messageapi
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  interface
     ! pthread_t pthread_self(void);  (an unsigned long on Linux)
     function pthread_self() bind(c, name='pthread_self') result(t)
       import :: c_long
       integer(c_long) :: t
     end function pthread_self
  end interface
  integer(c_long) :: main_thread = 0
  integer :: on_main = 0, elsewhere = 0
contains
  ! Sums an automatic array of `n` doubles (n from the record): 8 * n bytes of stack.
  function sum_big(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_list_t) :: routed
    type(mapi_record_t) :: r, out
    integer(int64) :: n
    status = MAPI_OK
    if (c_associated(user_data)) status = MAPI_ERR_ENDPOINT
    if (pthread_self() == main_thread) then
       on_main = on_main + 1
    else
       elsewhere = elsewhere + 1
    end if
    routed = mapi_call_records(call)
    r = mapi_record_list_get(routed, 1)
    call mapi_record_get(r, 'n', n)
    call mapi_call_add_record(call, out)
    call mapi_record_set(out, 'total', filled_sum(n))
  end function sum_big

  real(real64) function filled_sum(n)
    integer(int64), intent(in) :: n
    real(real64) :: work(n)
    integer(int64) :: i
    do i = 1, n
       work(i) = 0.5_real64
    end do
    filled_sum = sum(work)
  end function filled_sum
end module big_array_endpoint

program test_fortran_stack
  use messageapi
  use big_array_endpoint
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record, out
  type(mapi_response_t) :: response
  character(len=16) :: mode
  integer(int64) :: n
  real(real64) :: total
  integer :: failures, stat
  logical :: complete

  failures = 0
  main_thread = pthread_self()
  call get_command_argument(1, mode)
  if (trim(mode) == 'inline') then
     call mapi_configure('{"workers": 0}', stat=stat)
     if (stat /= MAPI_OK) failures = failures + 1
     n = 524288_int64          ! 4 MiB
  else
     n = 1048576_int64         ! 8 MiB
  end if
  call mapi_register_endpoint('sum-big', c_funloc(sum_big))
  call mapi_session_open_json(session, '{"fields": [{"id": "n", "type": "integer", "required": true}],' // &
       '"collections": [{"id": "c", "fields": ["n"]}],' // &
       '"endpoints": [{"plugin": "sum-big", "connections": [{"id": "big", "collections": ["c"],' // &
       '  "constructor": {"default-fields": [{"id": "total", "type": "double"}]}}]}]}')
  ! Fixed once a session is open.
  call mapi_configure('{"workers": 3}', stat=stat)
  if (stat /= MAPI_ERR_TOO_LATE) failures = failures + 1
  call mapi_request_new(request, session)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'n', n)
  call mapi_request_submit(request, response)
  complete = mapi_response_is_complete(response)
  if (trim(mode) == 'inline' .and. .not. complete) then
     print '(a)', 'FAILED: the response was not complete when submit returned'
     failures = failures + 1
  end if
  call mapi_response_wait(response)
  call mapi_response_record(response, 1, out)
  call mapi_record_get(out, 'total', total)
  print '(a,a,a,f0.1,a,i0,a,i0)', 'mode ', trim(mode), ': total ', total, ', on the main thread ', on_main, &
       ', elsewhere ', elsewhere
  if (abs(total - 0.5_real64 * real(n, real64)) > 1e-6_real64) failures = failures + 1
  if (trim(mode) == 'inline' .and. (on_main /= 1 .or. elsewhere /= 0)) failures = failures + 1
  if (on_main + elsewhere /= 1) failures = failures + 1
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
  if (failures == 0) then
     print '(a)', 'fortran stack OK'
  else
     print '(a,i0)', 'FAILED: ', failures
  end if
end program test_fortran_stack
