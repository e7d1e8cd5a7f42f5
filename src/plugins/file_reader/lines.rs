//! Where the lines of a file's buffer are: LF, CRLF and lone CR found a block at a time
//! (AVX2 or SSE2 bit masks on x86-64, memchr elsewhere), each line ended with a NUL in place.

/// Line bounds: byte offsets of each line in the shared buffer (a line over `max-line-bytes`
/// starts at [`LEFT_OUT`]).
pub(super) type Lines = Vec<(u32, u32)>;

/// The start of a line left out of the records (over `max-line-bytes`).
pub(super) const LEFT_OUT: u32 = u32::MAX;

/// Finds the lines of `buf[..len]` and puts a NUL where each one ends (over its terminator; a
/// final unterminated line uses `buf[len]`, which must exist). LF, CRLF and lone CR end a line.
/// `\n` and `\r` never occur inside multi-byte UTF-8 sequences, so UTF-8 validity is unchanged.
pub(super) fn split_lines(buf: &mut [u8], len: usize) -> std::io::Result<Lines> {
    /// Input scanned per reservation check: room for a line per byte of it is reserved first
    /// (fallibly), so that the scan itself never grows the table.
    const CHUNK: usize = 4 << 10;
    let entry = std::mem::size_of::<(u32, u32)>();
    let mut lines = Lines::new();
    let first = (len / 32 + 1).max(len.min(CHUNK));
    lines
        .try_reserve(first)
        .map_err(|_| no_memory(first * entry))?;
    let mut start = 0usize;
    // The LF right after a CR (a CRLF) ends nothing of its own.
    let mut lf_of_crlf = usize::MAX;
    let mut from = 0usize;
    while from < len {
        let to = len.min(from + CHUNK);
        if lines.capacity() - lines.len() < to - from {
            let more = (to - from).max(lines.len());
            lines
                .try_reserve(more)
                .map_err(|_| no_memory((lines.len() + more) * entry))?;
        }
        let text: &[u8] = buf;
        for_each_terminator(&text[from..to], |q, is_cr| {
            let p = from + q;
            if p == lf_of_crlf {
                return;
            }
            lines.push((start as u32, p as u32));
            start = p + 1;
            if is_cr && text.get(p + 1) == Some(&b'\n') && p + 1 < len {
                lf_of_crlf = p + 1;
                start = p + 2;
            }
        });
        from = to;
    }
    for &(_, end) in &lines {
        buf[end as usize] = 0;
    }
    if start < len {
        buf[len] = 0;
        lines.try_reserve(1).map_err(|_| no_memory(entry))?;
        lines.push((start as u32, len as u32));
    }
    Ok(lines)
}

pub(super) fn no_memory(bytes: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::OutOfMemory,
        format!("cannot allocate {bytes} bytes for it"),
    )
}

/// Calls `f(position, is_cr)` for every LF and CR of `text`, in order: a block of bytes at a
/// time, with a bit mask of the terminators of each block (no call or setup per line).
#[cfg(target_arch = "x86_64")]
fn for_each_terminator(text: &[u8], f: impl FnMut(usize, bool)) {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present.
        unsafe { terminators_avx2(text, f) }
    } else {
        terminators_sse2(text, f)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn terminators_avx2(text: &[u8], mut f: impl FnMut(usize, bool)) {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let blocks = text.len() / 32;
    let lf = _mm256_set1_epi8(b'\n' as i8);
    let cr = _mm256_set1_epi8(b'\r' as i8);
    for i in 0..blocks {
        // SAFETY: 32 bytes inside `text`.
        let v = unsafe { _mm256_loadu_si256(text.as_ptr().add(i * 32).cast()) };
        let crs = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cr)) as u32;
        let mut both = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf)) as u32 | crs;
        while both != 0 {
            let bit = both.trailing_zeros();
            f(i * 32 + bit as usize, crs & (1 << bit) != 0);
            both &= both - 1;
        }
    }
    tail_terminators(text, blocks * 32, f);
}

#[cfg(target_arch = "x86_64")]
fn terminators_sse2(text: &[u8], mut f: impl FnMut(usize, bool)) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let blocks = text.len() / 16;
    // SAFETY: SSE2 is part of x86_64; each load reads 16 bytes inside `text`.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        for i in 0..blocks {
            let v = _mm_loadu_si128(text.as_ptr().add(i * 16).cast());
            let crs = _mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) as u32;
            let mut both = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) as u32 | crs;
            while both != 0 {
                let bit = both.trailing_zeros();
                f(i * 16 + bit as usize, crs & (1 << bit) != 0);
                both &= both - 1;
            }
        }
    }
    tail_terminators(text, blocks * 16, f);
}

fn tail_terminators(text: &[u8], from: usize, mut f: impl FnMut(usize, bool)) {
    for (p, &b) in text.iter().enumerate().skip(from) {
        if b == b'\n' || b == b'\r' {
            f(p, b == b'\r');
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn for_each_terminator(text: &[u8], mut f: impl FnMut(usize, bool)) {
    for p in memchr::memchr2_iter(b'\n', b'\r', text) {
        f(p, text[p] == b'\r');
    }
}
