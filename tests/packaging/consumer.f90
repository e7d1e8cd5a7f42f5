! A Fortran program built against the installed package (find_package + MessageAPI::fortran).
program consumer_fortran
  use messageapi
  implicit none
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  character(:), allocatable :: text
  call mapi_session_open_json(session, '{"fields": [{"id": "greeting", "type": "string", "required": true}],' // &
       '"collections": [{"id": "all", "fields": ["greeting"]}],' // &
       '"endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": "*"}]}]}')
  call mapi_request_new(request, session)
  call mapi_request_add_record(request, record)
  call mapi_record_set(record, 'greeting', 'hello from Fortran')
  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  call mapi_response_record(response, 1, record)
  call mapi_record_get(record, 'greeting', text)
  if (text == 'hello from Fortran') then
     print '(2a)', 'fortran consumer OK (messageapi ', mapi_version() // ')'
  else
     print '(2a)', 'FAILED: got ', text
  end if
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
end program consumer_fortran
