//! Thumbnails of uploaded pictures, made by the server so that a conversation shows small
//! images, never the client's bytes decoded in full. A picture can be a decompression bomb
//! (a few KB of PNG that claim 100,000 × 100,000 pixels), so decoding is bounded three ways:
//! the header's dimensions are checked before any pixel is decoded ([`MAX_SIDE`],
//! [`MAX_PIXELS`]); the decoder runs under `image`'s `Limits` (width, height, and
//! [`MAX_ALLOC`] bytes of allocation); and it runs on a blocking thread within [`TIME_LIMIT`]
//! (past it the upload is refused; the thread, bounded by the limits, ends by itself).

use std::io::Cursor;
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::io::{Limits, Reader};
use image::{DynamicImage, ImageEncoder, ImageFormat};

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The longest side of a picture we decode.
pub const MAX_SIDE: u32 = 8192;
/// The most pixels of a picture we decode (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most memory the decoder may allocate.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// How long making one thumbnail may take.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// Why no thumbnail was made: the upload is then refused as a picture we will not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThumbnailError {
    #[error("the picture is {width} × {height} pixels; at most {MAX_SIDE} a side and {MAX_PIXELS} in all")]
    TooLarge { width: u32, height: u32 },
    #[error("the picture cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the picture took longer than {} s to decode", TIME_LIMIT.as_secs())]
    TooSlow,
}

/// The format a thumbnail is made from, for the types that get one (PNG and JPEG).
pub fn format_of(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        _ => None,
    }
}

/// The thumbnail of `bytes` (a picture in `format`) and its media type, made on a blocking
/// thread within [`TIME_LIMIT`].
pub async fn make(
    bytes: bytes::Bytes,
    format: ImageFormat,
) -> Result<(Vec<u8>, &'static str), ThumbnailError> {
    let work = tokio::task::spawn_blocking(move || make_now(&bytes, format));
    match tokio::time::timeout(TIME_LIMIT, work).await {
        Ok(Ok(made)) => made,
        Ok(Err(e)) => Err(ThumbnailError::Undecodable(e.to_string())),
        Err(_) => Err(ThumbnailError::TooSlow),
    }
}

/// [`make`]'s work, on the calling thread.
pub fn make_now(
    bytes: &[u8],
    format: ImageFormat,
) -> Result<(Vec<u8>, &'static str), ThumbnailError> {
    let undecodable = |e: image::ImageError| ThumbnailError::Undecodable(e.to_string());
    let (width, height) = Reader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(undecodable)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ThumbnailError::TooLarge { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = Reader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbnailError::TooLarge { width, height },
        other => undecodable(other),
    })?;
    let small = picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    encode(&small).map_err(undecodable)
}

/// PNG when the picture has transparency, else JPEG (smaller for photographs).
fn encode(picture: &DynamicImage) -> Result<(Vec<u8>, &'static str), image::ImageError> {
    let mut out = Vec::new();
    if picture.color().has_alpha() {
        let rgba = picture.to_rgba8();
        PngEncoder::new(&mut out).write_image(
            &rgba,
            rgba.width(),
            rgba.height(),
            image::ColorType::Rgba8,
        )?;
        Ok((out, "image/png"))
    } else {
        let rgb = picture.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, 80).write_image(
            &rgb,
            rgb.width(),
            rgb.height(),
            image::ColorType::Rgb8,
        )?;
        Ok((out, "image/jpeg"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let picture = if alpha {
            DynamicImage::ImageRgba8(ImageBuffer::from_pixel(width, height, Rgba([1, 2, 3, 128])))
        } else {
            DynamicImage::ImageRgb8(ImageBuffer::from_pixel(width, height, Rgb([200, 10, 10])))
        };
        picture
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_picture_is_made_small_keeping_its_shape() {
        let (thumb, kind) = make_now(&png(1000, 500, false), ImageFormat::Png).unwrap();
        assert_eq!(kind, "image/jpeg");
        let small = image::load_from_memory(&thumb).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
        let (_, kind) = make_now(&png(10, 10, true), ImageFormat::Png).unwrap();
        assert_eq!(kind, "image/png");
    }

    #[test]
    fn a_header_claiming_too_many_pixels_is_refused_before_decoding() {
        // A valid PNG header (IHDR) claiming 100,000 × 100,000 pixels, and no pixel data.
        let bomb = bomb(&png(1, 1, false), 100_000, 100_000);
        let started = std::time::Instant::now();
        let refused = make_now(&bomb, ImageFormat::Png);
        assert!(
            matches!(
                refused,
                Err(ThumbnailError::TooLarge { width: 100_000, .. })
            ),
            "{refused:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    /// `png` with the dimensions its header (IHDR) claims changed, its checksum made right.
    pub fn bomb(png: &[u8], width: u32, height: u32) -> Vec<u8> {
        let mut bomb = png.to_vec();
        bomb[16..20].copy_from_slice(&width.to_be_bytes());
        bomb[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        bomb
    }

    /// CRC-32 (IEEE), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn garbage_is_undecodable() {
        let refused = make_now(b"\x89PNG\r\n\x1a\nnot really", ImageFormat::Png);
        assert!(matches!(refused, Err(ThumbnailError::Undecodable(_))));
    }
}
