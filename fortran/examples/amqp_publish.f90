! amqp_publish (Fortran): a legacy ingest job publishing each line of a text file to a RabbitMQ
! topic exchange, one JSON message per line (station, line number, text), routed by station.
! The broker is MAPI_AMQP_URL (or amqp://guest:guest@localhost:5672/%2f). A queue bound to the
! exchange (declared by a consumer session's first submit) then reads them back. The submit
! completes once the broker has confirmed every message; a line it did not take comes back as
! a rejection with the reason and the job carries on.
!
!   amqp_publish INPUT
program amqp_publish
  use messageapi
  implicit none
  character(len=*), parameter :: schema = '"fields": [' // &
       '{"id": "station", "type": "string", "required": true},' // &
       '{"id": "line", "type": "integer", "required": true},' // &
       '{"id": "text", "type": "string", "required": true}],' // &
       '"collections": [{"id": "lines", "fields": ["station", "line", "text"]}],'
  character(len=1024) :: input, line
  type(mapi_session_t) :: publisher, consumer
  type(mapi_request_t) :: request, queue
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  integer :: unit, ios, n, i, stat, read_back

  call get_command_argument(1, input)
  call mapi_session_open_json(publisher, '{' // schema // &
       '"endpoints": [{"plugin": "amqp-publisher", "connections": [{"id": "legacy-feed",' // &
       '  "collections": ["lines"], "constructor": {"exchange": "legacy-lines",' // &
       '  "routing-key-field": "station"}}]}]}', stat=stat)
  if (stat /= MAPI_OK) error stop 'cannot open the publisher manifest'
  call mapi_session_open_json(consumer, '{' // schema // &
       '"endpoints": [{"plugin": "amqp-consumer", "connections": [{"id": "archive",' // &
       '  "constructor": {"queue": "legacy-archive", "timeout-ms": 2000,' // &
       '  "bindings": [{"exchange": "legacy-lines", "routing-key": "#"}]}}]}]}', stat=stat)
  if (stat /= MAPI_OK) error stop 'cannot open the consumer manifest'
  call mapi_request_new(queue, consumer)
  call mapi_request_submit(queue, response)   ! declares and binds the queue
  call mapi_response_wait(response)
  call mapi_free(response)

  call mapi_request_new(request, publisher)
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
  call mapi_request_submit_and_clear(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'lines confirmed by rabbitmq: ', mapi_response_record_count(response)
  do i = 1, mapi_response_rejection_count(response)
     print '(a)', 'not published: ' // mapi_response_rejection_reason(response, i, 1)
  end do
  call mapi_free(response)

  read_back = 0
  do i = 1, 5
     call mapi_request_submit(queue, response)
     call mapi_response_wait(response)
     read_back = read_back + mapi_response_record_count(response)
     call mapi_free(response)
     if (read_back >= 10) exit
  end do
  print '(a,i0)', 'lines read back from the queue: ', read_back
  call mapi_free(queue)
  call mapi_free(request)
  call mapi_free(consumer)
  call mapi_free(publisher)
end program amqp_publish
