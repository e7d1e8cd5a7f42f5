! kafka_ingest (Fortran): a legacy ingest job sending each line of a text file to Kafka, one
! record per line (station, line number, text). The broker is MAPI_KAFKA_BOOTSTRAP (or
! localhost:9092); undelivered lines come back as rejections and the job carries on.
!
!   kafka_ingest INPUT
program kafka_ingest
  use messageapi
  implicit none
  character(len=1024) :: input, line
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  integer :: unit, ios, n, i, stat

  call get_command_argument(1, input)
  call mapi_session_open_json(session, '{"fields": [' // &
       '{"id": "station", "type": "string", "required": true},' // &
       '{"id": "line", "type": "integer", "required": true},' // &
       '{"id": "text", "type": "string", "required": true}],' // &
       '"collections": [{"id": "lines", "fields": ["station", "line", "text"]}],' // &
       '"endpoints": [{"plugin": "kafka-producer", "connections": [{"id": "legacy-feed", "collections": ["lines"],' // &
       '  "constructor": {"topic": "legacy-lines", "create-topic": true, "key-field": "station",' // &
       '                  "message.timeout.ms": 10000}}]}]}', stat=stat)
  if (stat /= MAPI_OK) error stop 'cannot open the manifest'
  call mapi_request_new(request, session)
  open(newunit=unit, file=trim(input), status='old', action='read', iostat=ios)
  if (ios /= 0) error stop 'cannot open the input'
  n = 0
  do
     read(unit, '(a)', iostat=ios) line
     if (ios /= 0) exit
     n = n + 1
     if (len_trim(line) == 0) cycle
     call mapi_request_add_record(request, record)
     call mapi_record_set(record, 'station', line(1:index(line, ' ') - 1))
     call mapi_record_set(record, 'line', n)
     call mapi_record_set(record, 'text', trim(line))
  end do
  close(unit)
  ! The records move into the submit (no copy); the request is left empty for more.
  call mapi_request_submit_and_clear(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'lines sent to kafka: ', mapi_response_record_count(response)
  do i = 1, mapi_response_rejection_count(response)
     print '(a)', 'not delivered: ' // mapi_response_rejection_reason(response, i, 1)
  end do
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
end program kafka_ingest
