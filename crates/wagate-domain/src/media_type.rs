//! The media types an upload may have, each with the largest file of that
//! type: LINK v1.9.4's "Upload Media" table ([`LINK_UPLOAD_TYPES`]) and the
//! types of a resumable upload ([`RESUMABLE_UPLOAD_TYPES`]). The sandbox
//! keeps Meta's own table in the same form.
//!
//! | kind | types | largest |
//! | --- | --- | --- |
//! | image | `image/jpeg`, `image/png` | 16 MB |
//! | document | `text/plain`, `application/pdf`, the Office formats | 100 MB |
//! | audio | `audio/aac`, `audio/mp4`, `audio/mpeg`, `audio/amr`, `audio/ogg`, `audio/opus` | 16 MB |
//! | video | `video/mp4`, `video/3gp` | 16 MB |
//! | sticker | `image/webp` | 500 KB (animated; a static one is 100 KB, which needs the file's contents to tell apart) |
//!
//! A megabyte here is 1024 × 1024 bytes, the generous reading.

/// One MIME type and the largest file of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    pub mime: &'static str,
    pub max_bytes: u64,
}

pub const KB: u64 = 1024;
pub const MB: u64 = 1024 * 1024;

const fn of(mime: &'static str, max_bytes: u64) -> MediaType {
    MediaType { mime, max_bytes }
}

/// `mediaContentType` of `POST /media`.
pub const LINK_UPLOAD_TYPES: &[MediaType] = &[
    of("image/jpeg", 16 * MB),
    of("image/png", 16 * MB),
    of("text/plain", 100 * MB),
    of("application/pdf", 100 * MB),
    of("application/vnd.ms-powerpoint", 100 * MB),
    of("application/msword", 100 * MB),
    of("application/vnd.ms-excel", 100 * MB),
    of(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        100 * MB,
    ),
    of(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        100 * MB,
    ),
    of(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        100 * MB,
    ),
    of("audio/aac", 16 * MB),
    of("audio/mp4", 16 * MB),
    of("audio/mpeg", 16 * MB),
    of("audio/amr", 16 * MB),
    of("audio/ogg", 16 * MB),
    of("audio/opus", 16 * MB),
    of("video/mp4", 16 * MB),
    of("video/3gp", 16 * MB),
    of("image/webp", 500 * KB),
];

/// The names of [`LINK_UPLOAD_TYPES`], for error messages.
pub const LINK_UPLOAD_MIMES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "text/plain",
    "application/pdf",
    "application/vnd.ms-powerpoint",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "audio/aac",
    "audio/mp4",
    "audio/mpeg",
    "audio/amr",
    "audio/ogg",
    "audio/opus",
    "video/mp4",
    "video/3gp",
    "image/webp",
];

/// The `media` part of `POST /media/resumable` (`image/jpg` is LINK's
/// spelling of `image/jpeg`); the limits are those of the same types above.
pub const RESUMABLE_UPLOAD_TYPES: &[MediaType] = &[
    of("application/pdf", 100 * MB),
    of("image/jpeg", 16 * MB),
    of("image/jpg", 16 * MB),
    of("image/png", 16 * MB),
    of("video/mp4", 16 * MB),
];

/// The names of [`RESUMABLE_UPLOAD_TYPES`].
pub const RESUMABLE_UPLOAD_MIMES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "video/mp4",
];

/// The largest file any of these tables takes.
pub fn largest(table: &[MediaType]) -> u64 {
    table.iter().map(|kind| kind.max_bytes).max().unwrap_or(0)
}

/// The entry of `table` for `mime`: compared without case, parameters
/// (`audio/ogg; codecs=opus`) and surrounding blanks.
pub fn find(table: &[MediaType], mime: &str) -> Option<MediaType> {
    let essence = mime.split(';').next().unwrap_or_default().trim();
    table
        .iter()
        .find(|kind| kind.mime.eq_ignore_ascii_case(essence))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_lists_match_the_tables() {
        let names = |table: &[MediaType]| table.iter().map(|kind| kind.mime).collect::<Vec<_>>();
        assert_eq!(names(LINK_UPLOAD_TYPES), LINK_UPLOAD_MIMES);
        assert_eq!(names(RESUMABLE_UPLOAD_TYPES), RESUMABLE_UPLOAD_MIMES);
    }

    #[test]
    fn types_are_found_with_their_limits() {
        assert_eq!(
            find(LINK_UPLOAD_TYPES, "image/png").map(|kind| kind.max_bytes),
            Some(16 * MB)
        );
        assert_eq!(
            find(LINK_UPLOAD_TYPES, " Application/PDF ").map(|kind| kind.max_bytes),
            Some(100 * MB)
        );
        assert_eq!(
            find(LINK_UPLOAD_TYPES, "audio/ogg; codecs=opus").map(|kind| kind.mime),
            Some("audio/ogg")
        );
        assert_eq!(
            find(LINK_UPLOAD_TYPES, "image/webp").map(|kind| kind.max_bytes),
            Some(500 * KB)
        );
        assert_eq!(find(LINK_UPLOAD_TYPES, "image/gif"), None);
        assert_eq!(find(LINK_UPLOAD_TYPES, ""), None);
        assert!(find(RESUMABLE_UPLOAD_TYPES, "image/jpg").is_some());
        assert!(find(RESUMABLE_UPLOAD_TYPES, "audio/ogg").is_none());
        assert_eq!(largest(LINK_UPLOAD_TYPES), 100 * MB);
        assert_eq!(largest(RESUMABLE_UPLOAD_TYPES), 100 * MB);
    }
}
