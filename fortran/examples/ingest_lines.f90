! ingest_lines: the legacy-job use case. Reads a text file line by line with plain Fortran I/O
! and puts each line into a record (station id, line number, the text, the numbers found on
! the line as a real(8) array), submits them through a manifest whose endpoint is the
! file-writer, checks the rejections and prints the counts.
!
!   ingest_lines INPUT MANIFEST ROOT      (the manifest writes {}/ingest_lines.jsonl under ROOT)
program ingest_lines
  use messageapi
  use, intrinsic :: iso_fortran_env, only: int64, real64
  implicit none
  character(len=1024) :: input, manifest, root, line
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  real(real64) :: readings(64)
  integer :: unit, ios, n_lines, n_readings, i, stat
  character(:), allocatable :: station

  call get_command_argument(1, input)
  call get_command_argument(2, manifest)
  call get_command_argument(3, root)

  call mapi_session_open(session, manifest, root=root, stat=stat)
  if (stat /= MAPI_OK) then
     print '(a)', 'FAILED: ' // mapi_last_error()
     error stop 1
  end if
  call mapi_request_new(request, session)

  open(newunit=unit, file=trim(input), status='old', action='read', iostat=ios)
  if (ios /= 0) then
     print '(a)', 'FAILED: cannot open ' // trim(input)
     error stop 1
  end if
  n_lines = 0
  do
     read(unit, '(a)', iostat=ios) line
     if (ios /= 0) exit
     n_lines = n_lines + 1
     call mapi_request_add_record(request, record)
     call mapi_record_set(record, 'line', n_lines)
     if (len_trim(line) == 0) cycle          ! no station, no text: the schema rejects it
     call parse_line(line, station, readings, n_readings)
     call mapi_record_set(record, 'station', station)
     call mapi_record_set(record, 'text', trim(line))
     call mapi_record_set(record, 'readings', readings(1:n_readings))
     call mapi_record_set(record, 'has_numbers', n_readings > 0)
  end do
  close(unit)

  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'lines read: ', n_lines
  print '(a,i0)', 'accepted: ', mapi_response_record_count(response)
  print '(a,i0)', 'rejected: ', mapi_response_rejection_count(response)
  do i = 1, mapi_response_rejection_count(response)
     print '(a,i0,2a)', '  rejection ', i, ': ', &
          mapi_response_rejection_reason(response, i, mapi_response_rejection_reason_count(response, i))
  end do
  if (mapi_response_record_count(response) + mapi_response_rejection_count(response) /= n_lines) then
     print '(a)', 'FAILED: records were lost'
  else
     print '(a)', 'ingest OK'
  end if
  call mapi_free(response)
  call mapi_free(request)
  call mapi_free(session)
  if (allocated(station)) deallocate(station)

contains

  !> The first word is the station; every later word that is a plain number is a reading.
  subroutine parse_line(text, station, values, n)
    character(*), intent(in) :: text
    character(:), allocatable, intent(out) :: station
    real(real64), intent(out) :: values(:)
    integer, intent(out) :: n
    integer :: pos, start, word
    real(real64) :: x
    n = 0
    word = 0
    pos = 1
    station = ''
    do
       do while (pos <= len_trim(text))
          if (text(pos:pos) /= ' ') exit
          pos = pos + 1
       end do
       if (pos > len_trim(text)) exit
       start = pos
       do while (pos <= len_trim(text))
          if (text(pos:pos) == ' ') exit
          pos = pos + 1
       end do
       word = word + 1
       if (word == 1) then
          station = text(start:pos - 1)
       else if (is_number(text(start:pos - 1)) .and. n < size(values)) then
          read(text(start:pos - 1), *) x
          n = n + 1
          values(n) = x
       end if
    end do
  end subroutine parse_line

  !> Digits with an optional leading minus and at most one decimal point.
  logical function is_number(word)
    character(*), intent(in) :: word
    integer :: k, dots, digits
    is_number = .false.
    dots = 0
    digits = 0
    do k = 1, len(word)
       select case (word(k:k))
       case ('0':'9')
          digits = digits + 1
       case ('.')
          dots = dots + 1
       case ('-')
          if (k /= 1) return
       case default
          return
       end select
    end do
    is_number = digits > 0 .and. dots <= 1
  end function is_number

end program ingest_lines
