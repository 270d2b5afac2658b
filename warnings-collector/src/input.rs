//! Opening an input: compressed logs are read through their decoder, and
//! anything that is not text is refused rather than read as an empty log.
//!
//! CI systems archive logs compressed (`gh run view --log` pipes, build
//! caches, artifact stores), and a compressed log read as text finds no
//! warning: a baseline written from it would say "no warnings" and the
//! ratchet would accept anything after. So the format is told by the
//! first bytes, never by the file's name: gzip (`1f 8b`, also several
//! members one after another, as `cat a.gz b.gz` makes) and zstd
//! (`28 b5 2f fd`) are decoded; other archives (xz, bzip2, zip, 7z) and
//! data with NUL bytes in its first 8 KiB are refused, naming the file.

use std::fmt;
use std::io::{self, Read};

/// How many bytes are looked at to tell text from data.
const SNIFF: usize = 8 << 10;

/// What an input turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Not compressed.
    Plain,
    /// gzip, one member or several.
    Gzip,
    /// zstd, one frame or several.
    Zstd,
}

impl Encoding {
    /// `gzip-compressed ` or `zstd-compressed `, for messages.
    fn adjective(self) -> &'static str {
        match self {
            Encoding::Plain => "",
            Encoding::Gzip => "gzip-compressed ",
            Encoding::Zstd => "zstd-compressed ",
        }
    }
}

/// An input that cannot be read as a log.
#[derive(Debug)]
pub enum NotText {
    /// An archive format the tool does not decode: its name.
    Archive(&'static str),
    /// Binary data (a NUL byte), after decoding if it was compressed.
    Binary {
        /// How it was compressed.
        encoding: Encoding,
        /// The offset of the first NUL byte, in the decoded text.
        at: usize,
    },
}

impl fmt::Display for NotText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotText::Archive(what) => write!(
                f,
                "{what}-compressed; expected a text log, or one compressed with gzip or zstd (decompress it first)"
            ),
            NotText::Binary { encoding, at } => write!(
                f,
                "{}binary data (a NUL byte at offset {at}); expected a text log",
                encoding.adjective()
            ),
        }
    }
}

impl std::error::Error for NotText {}

/// `input` decoded: its text, whether it was compressed or not. An input
/// that is not text is an error of kind `InvalidData` whose source is a
/// [`NotText`]; a truncated or corrupt compressed stream fails the read
/// where it breaks, never as a quiet end of the log.
pub fn open<'a>(
    mut input: impl Read + Send + 'a,
) -> io::Result<(Box<dyn Read + Send + 'a>, Encoding)> {
    let mut head = Vec::with_capacity(SNIFF);
    fill(&mut input, &mut head, 6)?;
    let encoding = match head.as_slice() {
        [0x1f, 0x8b, ..] => Encoding::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Encoding::Zstd,
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => return Err(not_text(NotText::Archive("xz"))),
        [b'B', b'Z', b'h', ..] => return Err(not_text(NotText::Archive("bzip2"))),
        [b'P', b'K', 0x03, 0x04, ..] => return Err(not_text(NotText::Archive("zip"))),
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => return Err(not_text(NotText::Archive("7z"))),
        _ => Encoding::Plain,
    };
    let rest = io::Cursor::new(head).chain(input);
    let mut decoded: Box<dyn Read + Send + 'a> = match encoding {
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(rest)),
        Encoding::Zstd => Box::new(Zstd::new(rest)?),
        Encoding::Plain => Box::new(rest),
    };
    // The decoded text's first bytes tell text from data.
    let mut text = Vec::with_capacity(SNIFF);
    fill(&mut decoded, &mut text, SNIFF)?;
    if let Some(at) = memchr::memchr(0, &text) {
        return Err(not_text(NotText::Binary { encoding, at }));
    }
    Ok((Box::new(io::Cursor::new(text).chain(decoded)), encoding))
}

/// The whole of `input`, decoded (see [`open`]).
pub fn read_all(input: impl Read + Send) -> io::Result<Vec<u8>> {
    let (mut r, _) = open(input)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// Reads into `buf` until it holds `want` bytes or the input ends.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    let mut chunk = [0u8; 4096];
    while buf.len() < want {
        let n = match input.read(&mut chunk[..(want - buf.len()).min(4096)]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn not_text(e: NotText) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The [`NotText`] behind an error of [`open`], if that is what it is.
pub fn not_text_of(e: &io::Error) -> Option<&NotText> {
    e.get_ref()?.downcast_ref::<NotText>()
}

/// A zstd stream of one or more frames (`zstd -c a >> b` appends one).
struct Zstd<'a> {
    /// `None` only while one frame hands over to the next.
    decoder: Option<ruzstd::decoding::StreamingDecoder<Source<'a>, ruzstd::decoding::FrameDecoder>>,
}

/// The compressed bytes, with the byte read to see whether another frame
/// follows put back in front.
struct Source<'a> {
    back: Option<u8>,
    inner: Box<dyn Read + Send + 'a>,
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.back.take() {
            buf[0] = b;
            return Ok(1);
        }
        self.inner.read(buf)
    }
}

fn zstd_error(e: impl fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}

impl<'a> Zstd<'a> {
    fn new(input: impl Read + Send + 'a) -> io::Result<Self> {
        let source = Source {
            back: None,
            inner: Box::new(input),
        };
        let decoder = ruzstd::decoding::StreamingDecoder::new(source).map_err(zstd_error)?;
        Ok(Zstd {
            decoder: Some(decoder),
        })
    }
}

impl Read for Zstd<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The frame ended: another may follow.
            let (mut source, frames) = self.decoder.take().expect("a decoder").into_parts();
            let mut next = [0u8; 1];
            loop {
                match source.read(&mut next) {
                    Ok(0) => return Ok(0),
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            source.back = Some(next[0]);
            self.decoder = Some(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(source, frames)
                    .map_err(zstd_error)?,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &[u8] = b"ok\nsrc/a.rb:3: warning: old is deprecated\n";

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn decoded(bytes: &[u8]) -> io::Result<(Vec<u8>, Encoding)> {
        let (mut r, enc) = open(bytes)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok((out, enc))
    }

    #[test]
    fn plain_gzip_and_zstd_read_the_same() {
        assert_eq!(decoded(LOG).unwrap(), (LOG.to_vec(), Encoding::Plain));
        assert_eq!(decoded(&gzip(LOG)).unwrap(), (LOG.to_vec(), Encoding::Gzip));
        assert_eq!(decoded(&zstd(LOG)).unwrap(), (LOG.to_vec(), Encoding::Zstd));
        // Empty and tiny inputs are text.
        assert_eq!(decoded(b"").unwrap().0, b"");
        assert_eq!(decoded(b"a").unwrap().0, b"a");
    }

    #[test]
    fn concatenated_members_and_frames_are_all_read() {
        let mut two = gzip(b"first\n");
        two.extend(gzip(b"second\n"));
        assert_eq!(decoded(&two).unwrap().0, b"first\nsecond\n");
        let mut two = zstd(b"first\n");
        two.extend(zstd(b"second\n"));
        assert_eq!(decoded(&two).unwrap().0, b"first\nsecond\n");
    }

    #[test]
    fn a_large_log_survives_the_sniffing() {
        let big: Vec<u8> = LOG.iter().copied().cycle().take(3 * SNIFF + 17).collect();
        assert_eq!(decoded(&big).unwrap().0, big);
        assert_eq!(decoded(&gzip(&big)).unwrap().0, big);
        assert_eq!(decoded(&zstd(&big)).unwrap().0, big);
    }

    #[test]
    fn truncated_compressed_logs_fail_instead_of_ending_early() {
        let big: Vec<u8> = LOG.iter().copied().cycle().take(64 << 10).collect();
        for packed in [gzip(&big), zstd(&big)] {
            let cut = &packed[..packed.len() / 2];
            assert!(decoded(cut).is_err(), "a truncated stream read as complete");
        }
    }

    #[test]
    fn data_and_other_archives_are_refused() {
        let err = |b: &[u8]| {
            let e = decoded(b).unwrap_err();
            not_text_of(&e).expect("a NotText error").to_string()
        };
        assert_eq!(
            err(b"\x7fELF\x02\x01\x01\x00\x00"),
            "binary data (a NUL byte at offset 7); expected a text log"
        );
        assert_eq!(
            err(&gzip(b"PK\x00\x00")),
            "gzip-compressed binary data (a NUL byte at offset 2); expected a text log"
        );
        assert!(err(b"\xfd7zXZ\x00\x00").starts_with("xz-compressed; expected a text log"));
        assert!(err(b"BZh91AY&SY").starts_with("bzip2-compressed"));
        assert!(err(b"PK\x03\x04\x14\x00").starts_with("zip-compressed"));
        // UTF-16 text has NUL bytes too: refused, not read as nothing.
        assert!(err(b"\xff\xfea\x00b\x00").starts_with("binary data"));
    }
}
