! dead_letters: a legacy ingest job that never loses a rejected line and reports what it did.
! Each line of INPUT becomes a record; the manifest's "dead-letters" entry writes every
! rejected record (here: blank lines, which have no station) with its reasons to
! {}/dead_letters.jsonl before the response completes, so the job may free the response
! without walking its rejections. At the end it prints its statistics and writes them as
! Prometheus text (ROOT/dead_letters.prom) for the node-exporter textfile collector.
!
!   dead_letters INPUT MANIFEST ROOT
program dead_letters
  use messageapi
  use, intrinsic :: iso_c_binding, only: c_char, c_int, c_null_char
  implicit none
  interface
     ! C's rename(2): replaces the target in one step (the textfile collector never reads a
     ! half-written file).
     integer(c_int) function c_rename(from, to) bind(c, name='rename')
       import :: c_char, c_int
       character(kind=c_char), intent(in) :: from(*), to(*)
     end function c_rename
  end interface
  character(len=1024) :: input, manifest, root, line
  type(mapi_session_t) :: session
  type(mapi_request_t) :: request
  type(mapi_record_t) :: record
  type(mapi_response_t) :: response
  integer :: unit, ios, n_lines, n_dead, stat, k
  character(:), allocatable :: stats, prom

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
     if (len_trim(line) == 0) cycle          ! no station, no text: rejected, dead-lettered
     call mapi_record_set(record, 'station', line(1:index(line, ' ') - 1))
     call mapi_record_set(record, 'text', trim(line))
  end do
  close(unit)
  call mapi_request_submit(request, response)
  call mapi_response_wait(response)
  print '(a,i0)', 'lines read: ', n_lines
  print '(a,i0)', 'archived: ', mapi_response_record_count(response)
  ! The rejections are in the dead-letter file already: the job need not read them.
  call mapi_free(response)

  n_dead = 0
  open(newunit=unit, file=trim(root) // '/dead_letters.jsonl', status='old', action='read', iostat=ios)
  if (ios == 0) then
     do
        read(unit, '(a)', iostat=ios) line
        if (ios /= 0) exit
        n_dead = n_dead + 1
     end do
     close(unit)
  end if
  print '(a,i0)', 'dead letters: ', n_dead

  stats = mapi_session_stats_json(session)
  if (index(stats, '"records_dead_lettered":2') == 0) print '(a)', 'FAILED: statistics: ' // stats
  prom = mapi_session_stats_prometheus(session)
  ! The summary a cron log keeps: submitted, accepted, dead-lettered.
  call print_line(prom, 'messageapi_records_submitted_total ')
  call print_line(prom, 'messageapi_records_accepted_total ')
  call print_line(prom, 'messageapi_records_dead_lettered_total ')
  ! The textfile collector reads whole files: write, then rename into place.
  open(newunit=unit, file=trim(root) // '/dead_letters.prom.tmp', status='replace', action='write', &
       access='stream', form='unformatted', iostat=ios)
  if (ios == 0) then
     write(unit) prom
     close(unit)
     k = c_rename(trim(root) // '/dead_letters.prom.tmp' // c_null_char, &
          trim(root) // '/dead_letters.prom' // c_null_char)
     if (k /= 0) ios = k
  end if
  if (n_dead == 2 .and. ios == 0) then
     print '(a)', 'dead letters OK'
  else
     print '(a)', 'FAILED: dead letters or metrics file'
  end if
  call mapi_free(request)
  call mapi_free(session)
  deallocate(stats, prom)

contains

  !> Prints the line of `text` that starts with `prefix`.
  subroutine print_line(text, prefix)
    character(*), intent(in) :: text, prefix
    integer :: at, eol
    at = index(text, new_line('a') // prefix)
    if (at == 0) return
    eol = index(text(at + 1:), new_line('a'))
    print '(a)', text(at + 1:at + eol - 1)
  end subroutine print_line

end program dead_letters
