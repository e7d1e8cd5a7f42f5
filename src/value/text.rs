//! Text: views into shared, reference-counted UTF-8 buffers. A file's lines are views into one
//! buffer holding the whole file; a NUL follows every view, so C callers borrow NUL-terminated
//! strings without a copy.
//!
//! The buffer is the library's own (rather than an `Arc<str>`) for two things the file reader
//! needs: a buffer filled in place without zeroing first (and at a page-aligned place: the
//! kernel's copy into an unaligned destination is several times slower), and many views made
//! with one reference-count update instead of one atomic operation each ([`TextBuf::views`]).

use std::alloc::{self, Layout};
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

use crate::error::{Error, Result};

#[repr(C)]
struct Header {
    /// Views and buffers holding this buffer.
    count: AtomicUsize,
    /// The bytes that follow the header.
    len: usize,
}

/// The one buffer every empty text shares (never freed: its count starts far from zero).
#[repr(C)]
struct StaticEmpty {
    header: Header,
    bytes: [u8; 8],
}

static EMPTY: StaticEmpty = StaticEmpty {
    header: Header {
        count: AtomicUsize::new(1 << 62),
        len: 1,
    },
    bytes: [0; 8],
};

/// A shared, immutable buffer of UTF-8 text.
pub(crate) struct TextBuf {
    ptr: NonNull<Header>,
}

// SAFETY: the buffer is immutable once made and its count is atomic.
unsafe impl Send for TextBuf {}
// SAFETY: as above.
unsafe impl Sync for TextBuf {}

/// More views than this is a bug (a count about to overflow), as `Arc` treats it.
const MAX_COUNT: usize = isize::MAX as usize;

impl TextBuf {
    fn layout(len: usize) -> Option<Layout> {
        let size = std::mem::size_of::<Header>().checked_add(len)?;
        Layout::from_size_align(size, std::mem::align_of::<Header>()).ok()
    }

    /// A buffer of `len` bytes that `init` fills; `None` when the memory cannot be had (no
    /// abort). `init` must leave all `len` bytes written and valid UTF-8.
    ///
    /// # Safety
    /// After `init` returns, every byte is initialized and the whole is valid UTF-8.
    pub(crate) unsafe fn try_with(
        len: usize,
        init: impl FnOnce(&mut [MaybeUninit<u8>]),
    ) -> Option<TextBuf> {
        let layout = TextBuf::layout(len)?;
        let raw = alloc::alloc(layout).cast::<Header>();
        let ptr = NonNull::new(raw)?;
        raw.write(Header {
            count: AtomicUsize::new(1),
            len,
        });
        let bytes = std::slice::from_raw_parts_mut(raw.add(1).cast::<MaybeUninit<u8>>(), len);
        init(bytes);
        Some(TextBuf { ptr })
    }

    /// A buffer holding a copy of `s` (which ends with the NUL its last view needs).
    pub(crate) fn copy_of(s: &str) -> Option<TextBuf> {
        // SAFETY: copies every byte of valid UTF-8.
        unsafe {
            TextBuf::try_with(s.len(), |dst| {
                std::ptr::copy_nonoverlapping(s.as_ptr(), dst.as_mut_ptr().cast::<u8>(), s.len());
            })
        }
    }

    /// A buffer holding `s` and a NUL after it.
    pub(crate) fn with_nul(s: &str) -> Option<TextBuf> {
        let len = s.len();
        // SAFETY: writes the text (valid UTF-8) and a NUL: every byte.
        unsafe {
            TextBuf::try_with(len + 1, |dst| {
                let dst = dst.as_mut_ptr().cast::<u8>();
                std::ptr::copy_nonoverlapping(s.as_ptr(), dst, len);
                dst.add(len).write(0);
            })
        }
    }

    fn empty() -> TextBuf {
        // From the whole static, so that the bytes after the header are in reach.
        TextBuf {
            ptr: NonNull::from(&EMPTY).cast::<Header>(),
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the header lives as long as any TextBuf pointing at it.
        unsafe { self.ptr.as_ref() }
    }

    /// The buffer's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        // SAFETY: `len` initialized bytes follow the header.
        unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr().add(1).cast::<u8>(), self.header().len)
        }
    }

    /// The buffer's text.
    pub(crate) fn as_str(&self) -> &str {
        // SAFETY: buffers hold valid UTF-8 (`try_with`'s contract).
        unsafe { std::str::from_utf8_unchecked(self.as_bytes()) }
    }

    /// Takes `n` references at once, for `n` views: one atomic update rather than `n`.
    pub(crate) fn views(&self, n: usize) -> Views<'_> {
        let before = self.header().count.fetch_add(n, Ordering::Relaxed);
        if before > MAX_COUNT {
            std::process::abort();
        }
        Views { buf: self, left: n }
    }
}

impl Clone for TextBuf {
    fn clone(&self) -> TextBuf {
        if self.header().count.fetch_add(1, Ordering::Relaxed) > MAX_COUNT {
            std::process::abort();
        }
        TextBuf { ptr: self.ptr }
    }
}

impl Drop for TextBuf {
    fn drop(&mut self) {
        if self.header().count.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let len = self.header().len;
        if let Some(layout) = TextBuf::layout(len) {
            // SAFETY: the last reference; allocated with this layout in `try_with` (the static
            // empty buffer's count never reaches zero).
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) };
        }
    }
}

/// References taken with [`TextBuf::views`], handed to views one by one; those not used are
/// given back when it is dropped.
pub(crate) struct Views<'a> {
    buf: &'a TextBuf,
    left: usize,
}

impl Views<'_> {
    /// A view of `buf[start..end]` using one of the references.
    ///
    /// # Safety
    /// `start <= end < buf.len()`, both at character boundaries, `end` fits 32 bits and the
    /// buffer holds a NUL at `end`; a reference is left (at most `n` views).
    #[inline]
    pub(crate) unsafe fn view(&mut self, start: usize, end: usize) -> Text {
        // More views than references taken would free the buffer under them.
        assert!(self.left > 0, "more views than references taken");
        debug_assert!(start <= end && self.buf.as_bytes().get(end) == Some(&0));
        self.left -= 1;
        Text {
            buf: TextBuf { ptr: self.buf.ptr },
            start: start as u32,
            end: end as u32,
        }
    }
}

impl Drop for Views<'_> {
    fn drop(&mut self) {
        if self.left > 0 {
            // Never the last reference: the buffer itself holds one.
            self.buf
                .header()
                .count
                .fetch_sub(self.left, Ordering::Release);
        }
    }
}

/// Text: a thin view into a shared, reference-counted buffer (lines of one file share one).
/// Invariant: the byte after the view is NUL, so C callers get NUL-terminated pointers without
/// a copy (unless the text itself holds NULs).
#[derive(Clone)]
pub struct Text {
    buf: TextBuf,
    start: u32,
    end: u32,
}

impl Default for Text {
    fn default() -> Text {
        Text {
            buf: TextBuf::empty(),
            start: 0,
            end: 0,
        }
    }
}

impl Text {
    /// A view of `parent[range]`; `parent` must hold a NUL right after the range, or the text
    /// is copied.
    #[cfg(test)]
    pub(crate) fn view(parent: &TextBuf, range: std::ops::Range<usize>) -> Text {
        let fits = u32::try_from(range.end).is_ok();
        // Indexing checks the range and its character boundaries.
        let text = &parent.as_str()[range.clone()];
        if fits && parent.as_bytes().get(range.end) == Some(&0) {
            // SAFETY: checked above.
            unsafe { parent.views(1).view(range.start, range.end) }
        } else {
            Text::from(text)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: the range was checked against `buf` (bounds and character boundaries) when
        // this text was made, and `buf` is immutable.
        unsafe {
            self.buf
                .as_str()
                .get_unchecked(self.start as usize..self.end as usize)
        }
    }

    /// Pointer to the bytes; a NUL follows the last one.
    pub fn as_ptr(&self) -> *const u8 {
        self.as_str().as_ptr()
    }

    /// The longest text a field holds: 4 GiB - 1 bytes (views index it with 32 bits).
    pub(crate) const MAX_LEN: usize = u32::MAX as usize;

    /// An error naming the limit when `len` bytes cannot be a field's text.
    pub fn check_len(len: usize) -> Result<()> {
        if len > Text::MAX_LEN {
            return Err(Error::OutOfRange(format!(
                "a text of {len} bytes is longer than a field holds (4 GiB)"
            )));
        }
        Ok(())
    }

    /// A text holding a copy of `s`; `None` when it is too long or the memory cannot be had.
    pub(crate) fn try_copy(s: &str) -> Option<Text> {
        let end = u32::try_from(s.len()).ok()?;
        Some(Text {
            buf: TextBuf::with_nul(s)?,
            start: 0,
            end,
        })
    }
}

impl From<&str> for Text {
    /// Panics for a text longer than 4 GiB - 1 bytes: input paths check with
    /// [`Text::check_len`] (or [`Value::try_string`](crate::value::Value::try_string)) first.
    /// Failing to allocate it is handled as Rust handles allocation failure.
    fn from(s: &str) -> Text {
        if s.is_empty() {
            return Text::default();
        }
        match Text::try_copy(s) {
            Some(t) => t,
            None if s.len() > Text::MAX_LEN => {
                panic!("a text of {} bytes is longer than 4 GiB", s.len())
            }
            None => alloc::handle_alloc_error(
                TextBuf::layout(s.len() + 1).unwrap_or(Layout::new::<Header>()),
            ),
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(s: &str) -> TextBuf {
        TextBuf::with_nul(s).unwrap()
    }

    #[test]
    fn views_share_the_buffer_and_give_back_unused_references() {
        let b = buf("one\0two");
        let count = |b: &TextBuf| b.header().count.load(Ordering::SeqCst);
        {
            let mut v = b.views(3);
            // SAFETY: "one" ends at the NUL at 3.
            let one = unsafe { v.view(0, 3) };
            assert_eq!(one.as_str(), "one");
            assert_eq!(count(&b), 4);
            drop(v);
            // Two unused references went back; `one` keeps its own.
            assert_eq!(count(&b), 2);
            let again = one.clone();
            assert_eq!(count(&b), 3);
            drop((one, again));
        }
        assert_eq!(count(&b), 1);
        let empty = Text::default();
        // The shared empty buffer takes any number of references.
        let copies: Vec<Text> = (0..1000).map(|_| empty.clone()).collect();
        drop(copies);
        assert_eq!(empty.as_str(), "");
        // SAFETY: the empty buffer holds a NUL.
        assert_eq!(unsafe { *empty.as_ptr() }, 0);
        assert_eq!(Text::from(""), empty);
    }
}
