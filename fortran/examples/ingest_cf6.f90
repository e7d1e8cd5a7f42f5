! ingest_cf6 (Fortran): the original's CF6 job through its file-reader manifest, as the C
! example does, with the Java test class FixRelativePathsTransformation replaced by a Fortran
! transformation plug-in (a bind(c) function registered with c_funloc).
!
!   ingest_cf6_fortran ROOT      (ROOT/resources/test is the reference directory)
module cf6_plugins
  use messageapi
  use, intrinsic :: iso_c_binding
  implicit none
  character(len=1024) :: root_dir = '.'
contains
  !> Copies each record of input "transform-key", replacing "{}" with the root in the fields
  !> the constructor's "fields" lists.
  function fix_relative_paths(call, user_data) bind(c) result(status)
    type(c_ptr), value :: call, user_data
    integer(c_int32_t) :: status
    type(mapi_record_list_t) :: input
    type(mapi_record_t) :: in, out
    character(:), allocatable :: key, fields, name, path
    integer :: i, f, at, stat
    status = MAPI_ERR_ENDPOINT
    if (c_associated(user_data)) return          ! this plug-in takes no user data
    key = mapi_transform_parameter(call, 'transform-key', stat)
    if (stat /= MAPI_OK) return
    fields = mapi_transform_parameter(call, 'fields', stat)
    if (stat /= MAPI_OK) return
    call mapi_transform_input(call, key, input, stat)
    if (stat /= MAPI_OK) return
    do i = 1, mapi_record_list_count(input)
       in = mapi_record_list_get(input, i)
       call mapi_transform_add_record(call, out, copy_from=in)
       do f = 1, mapi_record_field_count(out)
          name = mapi_record_field_name(out, f)
          if (index(fields, '"' // name // '"') == 0) cycle
          call mapi_record_get(out, name, path, stat)
          if (stat /= MAPI_OK) cycle
          at = index(path, '{}')
          if (at > 0) call mapi_record_set(out, name, path(1:at - 1) // trim(root_dir) // path(at + 2:))
       end do
    end do
    status = MAPI_OK
  end function fix_relative_paths
end module cf6_plugins

program ingest_cf6_fortran
  use messageapi
  use cf6_plugins
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  character(:), allocatable :: value
  integer(int64) :: length
  integer :: stat

  call get_command_argument(1, root_dir)
  call mapi_register_transformation('gov.noaa.messageapi.test.transformations.FixRelativePathsTransformation', &
       c_funloc(fix_relative_paths))
  call mapi_session_open(session, trim(root_dir) // '/resources/test/file-reader/manifest.json', root=root_dir, stat=stat)
  if (stat /= MAPI_OK) then
     print '(a)', 'FAILED: ' // mapi_last_error()
     error stop 1
  end if
  call mapi_request_new(request, session)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'file-path', '{}/resources/test/inputs/file-reader/proc_sm_gtsnp_data_ftp_CF6_cf6_20190506.txt')
  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'records: ', mapi_response_record_count(response)
  print '(a,i0)', 'rejections: ', mapi_response_rejection_count(response)
  call mapi_response_record(response, 101, record)
  call mapi_record_get(record, 'value', value)
  call mapi_record_get(record, 'length', length)
  print '(3a,i0,a)', 'record 101: ', value, ' (length ', length, ')'
  if (mapi_response_record_count(response) /= 79794) print '(a)', 'FAILED: expected 79794 records'
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
  deallocate(value)
end program ingest_cf6_fortran
