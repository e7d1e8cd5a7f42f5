! Three observations through c_examples/quickstart.json: one archived, two rejected.
! Usage: quickstart MANIFEST ROOT   (ROOT: where {}/obs.jsonl goes)
program quickstart
  use messageapi
  use, intrinsic :: iso_fortran_env, only: real64
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  character(len=1024) :: manifest, root
  character(len=4) :: stations(3) = ['KILX', 'KORD', '    ']
  real(real64) :: temps(3) = [21.5_real64, -3.0_real64, 10.0_real64]
  integer :: i, stat

  call get_command_argument(1, manifest)
  call get_command_argument(2, root)
  call mapi_session_open(session, trim(manifest), trim(root), stat=stat)
  if (stat /= MAPI_OK) then
     print '(a)', mapi_last_error()
     error stop 1
  end if
  call mapi_request_new(request, session)
  do i = 1, 3
     call mapi_request_add_record(request, record)
     if (stations(i) /= '') call mapi_record_set(record, 'station', trim(stations(i)))
     call mapi_record_set(record, 'temp', temps(i))
     call mapi_record_set_condition(record, 'warm', 0.0_real64)
  end do
  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'archived: ', mapi_response_record_count(response)
  do i = 1, mapi_response_rejection_count(response)
     print '(a)', 'rejected: ' // mapi_response_rejection_reason(response, i, 1)
  end do
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
end program quickstart
