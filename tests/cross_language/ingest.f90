! The cross-language scenario from Fortran (see README.md): five records, every field type.
program cross_language
  use messageapi
  use, intrinsic :: iso_fortran_env, only: int64, real64, error_unit
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: r
  type(mapi_response_t) :: response
  character(len=4096) :: manifest, out_dir
  character(:), allocatable :: id, line
  integer :: i, j, stat, unit

  call get_command_argument(1, manifest)
  call get_command_argument(2, out_dir)
  call mapi_session_open(session, trim(manifest), trim(out_dir), stat=stat)
  if (stat /= MAPI_OK) then
     write(error_unit, '(a)') mapi_last_error()
     error stop 1
  end if
  call mapi_request_new(request, session)

  call mapi_request_add_record(request, r)
  call mapi_record_set(r, 'id', 'a1')
  call mapi_record_set(r, 'station', 'KILX')
  call mapi_record_set(r, 'count', 7_int64)
  call mapi_record_set(r, 'ratio', 0.25_real64)
  call mapi_record_set(r, 'single', 1.5_real64)
  call mapi_record_set(r, 'ok', .true.)
  call mapi_record_set_datetime(r, 'when', '2019-05-06T12:30:00Z')
  call mapi_record_set(r, 'ids', [1_int64, 2_int64, 3_int64])
  call mapi_record_set(r, 'temps', [20.5_real64, -3.25_real64])
  call mapi_record_set_json(r, 'tags', '["x", "y z"]')
  call mapi_record_set_json(r, 'extra', '{"k": [1, null]}')
  call mapi_record_set_condition(r, 'count-below', 100_int64)

  call mapi_request_add_record(request, r)
  call mapi_record_set(r, 'id', 'a2')
  call mapi_record_set(r, 'station', 'KILX')
  call mapi_record_set(r, 'count', 12_int64)
  call mapi_record_set(r, 'ratio', -0.001_real64)
  call mapi_record_set(r, 'single', 0.1_real64)
  call mapi_record_set(r, 'ok', .false.)
  call mapi_record_set_datetime(r, 'when', '2020-01-01T00:00:00+02:00')
  call mapi_record_set(r, 'ids', [-9007199254740993_int64])
  call mapi_record_set(r, 'temps', [0.0_real64])
  call mapi_record_set_json(r, 'tags', '[]')
  call mapi_record_set_json(r, 'extra', '"text"')
  call mapi_record_set_condition(r, 'count-below', 100_int64)

  call mapi_request_add_record(request, r)
  call mapi_record_set(r, 'station', 'KORD')
  call mapi_record_set(r, 'count', 1_int64)
  call mapi_record_set_condition(r, 'count-below', 100_int64)

  call mapi_request_add_record(request, r)
  call mapi_record_set(r, 'id', 'a4')
  call mapi_record_set(r, 'station', 'KORD')
  call mapi_record_set(r, 'count', 500_int64)
  call mapi_record_set_condition(r, 'count-below', 100_int64)

  call mapi_request_add_record(request, r)
  call mapi_record_set(r, 'id', 'a5')
  call mapi_record_set(r, 'station', 'KORD')
  call mapi_record_set(r, 'count', 3_int64)
  call mapi_record_set_condition(r, 'count-below', 100_int64)

  call mapi_request_submit(request, response)
  call mapi_response_wait(response)

  open(newunit=unit, file=trim(out_dir) // '/summary.txt', status='replace', action='write')
  write(unit, '(a,i0)') 'records: ', mapi_response_record_count(response)
  write(unit, '(a,i0)') 'rejections: ', mapi_response_rejection_count(response)
  do i = 1, mapi_response_rejection_count(response)
     call mapi_response_rejection_record(response, i, r)
     call mapi_record_get(r, 'id', id, stat=stat)
     if (stat /= MAPI_OK) id = '(null)'
     line = 'id=' // id // ':'
     do j = 1, mapi_response_rejection_reason_count(response, i)
        line = line // ' ' // mapi_response_rejection_reason(response, i, j)
     end do
     write(unit, '(a,i0,2a)') 'rejection ', i, ': ', line
  end do
  close(unit)
  print '(a,i0,a,i0,a)', 'Fortran: ', mapi_response_record_count(response), ' records, ', &
       mapi_response_rejection_count(response), ' rejections'
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
end program cross_language
