//! Native messaging framing: a 4-byte length in the machine's native byte order, then that many
//! bytes of message body (UTF-8 JSON). Both functions are pure over `Read`/`Write`, so they are
//! testable without a browser.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};

/// Largest frame the host accepts from the browser: 64 MiB, Chromium's browser → host limit.
pub const MAX_INCOMING: u32 = 64 * 1024 * 1024;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The length header announced more than the accepted maximum.
    TooLong {
        /// Announced body length.
        len: u32,
        /// Maximum accepted body length.
        max: u32,
    },
    /// The stream ended inside a length header or a body.
    Truncated {
        /// Bytes the header or body needed.
        expected: usize,
        /// Bytes actually available before end of stream.
        got: usize,
    },
    /// The underlying reader failed.
    Io(io::Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { len, max } => {
                write!(f, "frame length {len} exceeds the maximum of {max} bytes")
            }
            FrameError::Truncated { expected, got } => {
                write!(
                    f,
                    "stream ended inside a frame: needed {expected} bytes, got {got}"
                )
            }
            FrameError::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Reads one frame, accepting bodies up to [`MAX_INCOMING`] bytes.
///
/// Returns `Ok(None)` on a clean end of stream (no byte of a new header read), which for a
/// native host means the browser closed the port.
pub fn read_frame<R: Read>(r: R) -> Result<Option<Vec<u8>>, FrameError> {
    read_frame_with_limit(r, MAX_INCOMING)
}

/// Reads one frame, rejecting an announced length above `max` before reading any of the body.
pub fn read_frame_with_limit<R: Read>(mut r: R, max: u32) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; 4];
    let got = read_full(&mut r, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < header.len() {
        return Err(FrameError::Truncated {
            expected: header.len(),
            got,
        });
    }
    let len = u32::from_ne_bytes(header);
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    // The length is bounded by `max`; `take` keeps a lying header from forcing a big allocation
    // ahead of the data actually arriving.
    let expected = len as usize;
    let mut body = Vec::new();
    loop {
        let want = (expected - body.len()) as u64;
        match r.by_ref().take(want).read_to_end(&mut body) {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    if body.len() < expected {
        return Err(FrameError::Truncated {
            expected,
            got: body.len(),
        });
    }
    Ok(Some(body))
}

/// Fills `buf` as far as the stream allows; returns how many bytes were read (less than
/// `buf.len()` only at end of stream).
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, FrameError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(filled)
}

/// Writes one frame (native-endian length, then `body`) and flushes.
///
/// Fails with `InvalidInput` if `body` does not fit a 32-bit length.
pub fn write_frame<W: Write>(mut w: W, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "frame body of {} bytes does not fit a u32 length",
                body.len()
            ),
        )
    })?;
    w.write_all(&len.to_ne_bytes())?;
    w.write_all(body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_ne_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn roundtrip_several_frames() {
        let bodies: [&[u8]; 3] = [b"{\"a\":1}", b"", "\"h\u{e9}llo \u{1f600}\"".as_bytes()];
        let mut buf = Vec::new();
        for b in bodies {
            write_frame(&mut buf, b).unwrap();
        }
        let mut r = Cursor::new(buf);
        for b in bodies {
            assert_eq!(read_frame(&mut r).unwrap().as_deref(), Some(b));
        }
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn header_is_native_endian() {
        // 0x0102 bytes: the big- and little-endian encodings differ.
        let body = vec![b'x'; 0x0102];
        let mut buf = Vec::new();
        write_frame(&mut buf, &body).unwrap();
        assert_eq!(&buf[..4], &0x0102u32.to_ne_bytes());
        assert_eq!(buf.len(), 4 + 0x0102);

        let mut input = 3u32.to_ne_bytes().to_vec();
        input.extend_from_slice(b"123");
        assert_eq!(
            read_frame(Cursor::new(input)).unwrap().as_deref(),
            Some(&b"123"[..])
        );
    }

    #[test]
    fn eof_before_header_is_none() {
        assert!(read_frame(Cursor::new(Vec::new())).unwrap().is_none());
    }

    #[test]
    fn truncated_header_is_error() {
        let err = read_frame(Cursor::new(vec![5u8, 0])).unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::Truncated {
                    expected: 4,
                    got: 2
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_body_is_error() {
        let mut input = framed(b"hello");
        input.truncate(4 + 3);
        let err = read_frame(Cursor::new(input)).unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::Truncated {
                    expected: 5,
                    got: 3
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn oversized_length_rejected_before_body() {
        // Header only: the rejection must not wait for (or allocate) the body.
        let input = (MAX_INCOMING + 1).to_ne_bytes().to_vec();
        let err = read_frame(Cursor::new(input)).unwrap_err();
        assert!(
            matches!(err, FrameError::TooLong { len, max } if len == MAX_INCOMING + 1 && max == MAX_INCOMING),
            "{err:?}"
        );
        let err = read_frame(Cursor::new(u32::MAX.to_ne_bytes().to_vec())).unwrap_err();
        assert!(matches!(err, FrameError::TooLong { .. }), "{err:?}");
    }

    #[test]
    fn limit_is_inclusive() {
        assert_eq!(
            read_frame_with_limit(Cursor::new(framed(b"1234")), 4)
                .unwrap()
                .as_deref(),
            Some(&b"1234"[..])
        );
        let err = read_frame_with_limit(Cursor::new(framed(b"12345")), 4).unwrap_err();
        assert!(
            matches!(err, FrameError::TooLong { len: 5, max: 4 }),
            "{err:?}"
        );
    }

    /// Hands out one byte per call and reports `Interrupted` before each.
    struct Stuttering {
        data: Vec<u8>,
        pos: usize,
        interrupt: bool,
    }

    impl Read for Stuttering {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::Error::new(ErrorKind::Interrupted, "signal"));
            }
            if self.pos >= self.data.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.data[self.pos];
            self.pos += 1;
            Ok(1)
        }
    }

    #[test]
    fn short_reads_and_interrupts_are_retried() {
        let mut r = Stuttering {
            data: framed(b"[1,2,3]"),
            pos: 0,
            interrupt: false,
        };
        assert_eq!(
            read_frame(&mut r).unwrap().as_deref(),
            Some(&b"[1,2,3]"[..])
        );
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    struct Failing;

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(ErrorKind::BrokenPipe, "gone"))
        }
    }

    #[test]
    fn reader_error_is_io_error() {
        assert!(matches!(read_frame(Failing), Err(FrameError::Io(_))));
    }

    /// Records whether `flush` was called.
    #[derive(Default)]
    struct FlushSpy {
        data: Vec<u8>,
        flushed_len: Option<usize>,
    }

    impl Write for FlushSpy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushed_len = Some(self.data.len());
            Ok(())
        }
    }

    #[test]
    fn write_frame_flushes_after_whole_frame() {
        let mut w = FlushSpy::default();
        write_frame(&mut w, b"{}").unwrap();
        assert_eq!(w.flushed_len, Some(6));
    }
}
