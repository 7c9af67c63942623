//! Sending a file's ciphertext: the whole of it or one byte range, streamed from the blob store
//! part by part. Who may read it was decided by the domain before this is called.

use std::ops::Range;

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use coffer_domain::{vault::Content, Domain, DomainError};

/// How [`content_response`] serves a file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The owner's (or a grantee's) download: `Range` honoured, `private, no-store`.
    Ranged,
    /// A share-link download: always the whole file (`Range` ignored), `no-store`, no referrer.
    Whole,
}

/// The response that streams `content`.
pub fn content_response(
    domain: &Domain,
    headers: &HeaderMap,
    content: &Content,
    delivery: Delivery,
) -> Result<Response, DomainError> {
    let size = content.size;
    let requested = match delivery {
        Delivery::Ranged => requested_range(headers, size)?,
        Delivery::Whole => None,
    };
    let range = requested.clone().unwrap_or(0..size);
    let stream = domain.read_content(content, range.clone());
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, "application/octet-stream".into());
    set(
        h,
        header::CONTENT_LENGTH,
        (range.end - range.start).to_string(),
    );
    let (accept_ranges, cache_control) = match delivery {
        Delivery::Ranged => ("bytes", "private, no-store"),
        Delivery::Whole => ("none", "no-store"),
    };
    set(h, header::ACCEPT_RANGES, accept_ranges.into());
    set(h, header::CACHE_CONTROL, cache_control.into());
    set(
        h,
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{}.coffer\"", content.file_id),
    );
    if delivery == Delivery::Whole {
        set(h, header::REFERRER_POLICY, "no-referrer".into());
    }
    if requested.is_some() {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            res.headers_mut(),
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", range.start, range.end - 1),
        );
    }
    Ok(res)
}

/// The response that streams an export file: `prefix` (the framed sealed metadata), then the
/// whole of `content`. No filename is given: the browser's `download` attribute names it after
/// the decrypted name the server never sees.
pub fn export_response(domain: &Domain, prefix: Vec<u8>, content: &Content) -> Response {
    use futures_util::StreamExt;
    let len = prefix.len() as u64 + content.size;
    let head = futures_util::stream::once(async move { Ok(Bytes::from(prefix)) });
    let stream = head.chain(domain.read_content(content, 0..content.size));
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    res
}

/// One `bytes=` range, resolved against `size`. Anything this server does not do (several
/// ranges, other units, syntax errors) is ignored, which RFC 9110 allows: the whole file is sent.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<Range<u64>>, DomainError> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let unsatisfiable = DomainError::RangeNotSatisfiable { size };
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(unsatisfiable);
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(l) if l >= start => l.saturating_add(1).min(size),
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(unsatisfiable);
        }
        start..end
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<Range<u64>>, DomainError> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&h, size)
    }

    #[test]
    fn byte_ranges_resolve_against_the_size() {
        assert_eq!(range("bytes=0-9", 100).unwrap(), Some(0..10));
        assert_eq!(range("bytes=90-", 100).unwrap(), Some(90..100));
        assert_eq!(range("bytes=-10", 100).unwrap(), Some(90..100));
        assert_eq!(range("bytes=-1000", 100).unwrap(), Some(0..100));
        assert_eq!(range("bytes=95-1000", 100).unwrap(), Some(95..100));
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable_and_odd_ones_ignored() {
        assert!(matches!(
            range("bytes=100-", 100),
            Err(DomainError::RangeNotSatisfiable { size: 100 })
        ));
        assert!(range("bytes=-0", 100).is_err());
        assert_eq!(range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(range("items=0-1", 100).unwrap(), None);
        assert_eq!(range("bytes=9-3", 100).unwrap(), None);
        assert_eq!(range("bytes=x-", 100).unwrap(), None);
    }
}
