! read_back: reads the file that ingest_lines wrote, through a file-reader session, and gets
! each record back into Fortran variables: the JSON line of each record is added to a request
! of the ingest schema, submitted to an evaluation endpoint, and read field by field.
!
!   read_back READER_MANIFEST INGEST_MANIFEST ROOT
program read_back
  use messageapi
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  character(len=1024) :: reader_manifest, ingest_manifest, root
  type(mapi_session_t) :: reader, schema
  type(mapi_request_t) :: request, parsed
  type(mapi_record_t) :: record
  type(mapi_response_t) :: lines, records
  character(:), allocatable :: value, station, text
  integer(int64) :: line_no
  real(real64), allocatable :: readings(:)
  logical :: has_numbers
  integer :: i, stat, failures

  failures = 0
  call get_command_argument(1, reader_manifest)
  call get_command_argument(2, ingest_manifest)
  call get_command_argument(3, root)

  ! 1. The file, line by line, through the file-reader endpoint.
  call mapi_session_open(reader, reader_manifest, stat=stat)
  if (stat /= MAPI_OK) error stop 'cannot open the reader manifest'
  call mapi_request_new(request, reader)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'path', trim(root) // '/ingest_lines.jsonl')
  call mapi_request_submit(request, lines)
  call mapi_response_wait(lines)
  print '(a,i0)', 'lines in file: ', mapi_response_record_count(lines)

  ! 2. Each line back into a record of the ingest schema (an evaluation endpoint returns it).
  call mapi_session_open_json(schema, '{"fields": [' // &
       '{"id": "station", "type": "string", "required": true},' // &
       '{"id": "line", "type": "integer", "required": true},' // &
       '{"id": "text", "type": "string", "required": true},' // &
       '{"id": "readings", "type": "list(double)", "required": false},' // &
       '{"id": "has_numbers", "type": "boolean", "required": false}],' // &
       '"collections": [{"id": "all", "fields": ["station", "line", "text", "readings", "has_numbers"]}],' // &
       '"endpoints": [{"plugin": "evaluation", "connections": [{"id": "back", "collections": ["all"]}]}]}')
  call mapi_request_new(parsed, schema)
  do i = 1, mapi_response_record_count(lines)
     call mapi_response_record(lines, i, record)
     call mapi_record_get(record, 'value', value)
     call mapi_request_add_json(parsed, value, stat=stat)
     if (stat /= MAPI_OK) failures = failures + 1
  end do
  call mapi_request_submit(parsed, records)
  call mapi_response_wait(records)
  do i = 1, mapi_response_record_count(records)
     call mapi_response_record(records, i, record)
     call mapi_record_get(record, 'station', station)
     call mapi_record_get(record, 'line', line_no)
     call mapi_record_get(record, 'text', text)
     call mapi_record_get(record, 'readings', readings)
     call mapi_record_get(record, 'has_numbers', has_numbers)
     if (station == 'KILX' .and. line_no == 3) then
        print '(a,i0,a,i0,a,f0.2,a,l1)', 'KILX line ', line_no, ': ', size(readings), ' readings, sum ', &
             sum(readings), ', numbers ', has_numbers
        if (text /= 'KILX  2   72.5  50  61  0  0.0') failures = failures + 1
     end if
  end do
  if (mapi_response_record_count(records) /= mapi_response_record_count(lines)) failures = failures + 1
  if (failures == 0) then
     print '(a)', 'read back OK'
  else
     print '(a,i0)', 'FAILED: ', failures
  end if
  call mapi_free(records)
  call mapi_free(parsed)
  call mapi_free(schema)
  call mapi_free(lines)
  call mapi_free(request)
  call mapi_free(reader)
  if (allocated(value)) deallocate(value)
  if (allocated(station)) deallocate(station)
  if (allocated(text)) deallocate(text)
  if (allocated(readings)) deallocate(readings)
end program read_back
