//! Encoded pages of `GET /api/files`, kept while the owner's list is unchanged.
//!
//! Reading, encoding and compressing a page of 500 files costs tens of milliseconds; on two
//! cores, 64 clients asking at once queue for seconds behind that. A page's content only
//! changes when its owner's `list_version` does (the domain bumps it in the same transaction
//! as every change to the files or the usage a page reports), so this cache keeps the JSON and
//! its gzip form per (owner, cursor, page size) together with that version, and hands them out
//! again after one cheap read of the version. Every instance has its own cache and checks the
//! version in the shared database, so no instance serves a page another has made stale.
//!
//! Bounded: at most `budget` bytes (JSON + gzip) in all; the oldest entry goes first; a page
//! larger than a quarter of the budget is never kept. A budget of 0 turns caching off.

use std::{
    collections::{HashMap, VecDeque},
    io::Write,
    sync::Mutex,
};

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, HeaderValue, Response},
};
use coffer_protocol::vault::{FileList, FilePage};

/// Which page of whose list.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ListKey {
    owner: i64,
    after: Option<String>,
    limit: Option<u32>,
}

impl ListKey {
    pub fn new(owner: i64, page: &FilePage) -> Self {
        ListKey {
            owner,
            after: page.after.clone(),
            limit: page.limit,
        }
    }
}

/// One page, encoded, and the list version it shows.
#[derive(Clone, Debug)]
pub struct EncodedPage {
    version: i64,
    json: Bytes,
    gzip: Bytes,
}

impl EncodedPage {
    /// Encodes `list`, which was read at (or after) `version`.
    pub fn new(version: i64, list: &FileList) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_vec(list)?;
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 2),
            flate2::Compression::fast(),
        );
        // Writing to a Vec cannot fail.
        let gzip = gz
            .write_all(&json)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        Ok(EncodedPage {
            version,
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
        })
    }

    fn size(&self) -> usize {
        self.json.len() + self.gzip.len()
    }

    /// The answer: gzip when the request accepts it (the compression layer leaves an answer
    /// that already has a `Content-Encoding` alone), JSON otherwise.
    pub fn response(&self, request: &HeaderMap) -> Response<Body> {
        let gzip = !self.gzip.is_empty() && accepts_gzip(request);
        let mut res = Response::new(Body::from(if gzip {
            self.gzip.clone()
        } else {
            self.json.clone()
        }));
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        // Sealed names and key slots have no business in a browser's disk cache.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        if gzip {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        res
    }
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// The cache (see the module docs).
#[derive(Debug)]
pub struct ListCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    pages: HashMap<ListKey, EncodedPage>,
    /// Keys, oldest first.
    order: VecDeque<ListKey>,
    bytes: usize,
}

impl ListCache {
    pub fn new(budget: usize) -> Self {
        ListCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The page for `key` if it shows `version`.
    pub fn get(&self, key: &ListKey, version: i64) -> Option<EncodedPage> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .pages
            .get(key)
            .filter(|p| p.version == version)
            .cloned()
    }

    /// Keeps `page` for `key` (replacing an older one), evicting the oldest pages to stay in
    /// budget.
    pub fn put(&self, key: ListKey, page: EncodedPage) {
        let size = page.size();
        if self.budget == 0 || size > self.budget / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = inner.pages.remove(&key) {
            if old.version > page.version {
                // A slower request's older page must not replace a newer one.
                inner.pages.insert(key, old);
                return;
            }
            inner.bytes -= old.size();
            inner.order.retain(|k| k != &key);
        }
        while inner.bytes + size > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.pages.remove(&oldest) {
                inner.bytes -= gone.size();
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.clone());
        inner.pages.insert(key, page);
    }

    /// Bytes held (for tests and the log).
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use coffer_protocol::vault::Usage;

    use super::*;

    fn list(n: usize) -> FileList {
        FileList {
            files: Vec::new(),
            usage: Usage {
                stored_bytes: n as u64,
                reserved_bytes: 0,
                quota_bytes: 1 << 30,
                max_file_bytes: 1 << 30,
            },
            next: Some("x".repeat(n)),
        }
    }

    fn key(owner: i64, after: Option<&str>) -> ListKey {
        ListKey::new(
            owner,
            &FilePage {
                after: after.map(str::to_string),
                limit: None,
            },
        )
    }

    #[test]
    fn a_page_is_handed_out_only_for_its_version() {
        let cache = ListCache::new(1 << 20);
        cache.put(key(1, None), EncodedPage::new(7, &list(10)).unwrap());
        assert!(cache.get(&key(1, None), 7).is_some());
        assert!(
            cache.get(&key(1, None), 8).is_none(),
            "a changed list is never served"
        );
        assert!(
            cache.get(&key(2, None), 7).is_none(),
            "another user's page is never served"
        );
        assert!(cache.get(&key(1, Some("1.ab")), 7).is_none());
        // A newer page replaces it; an older one arriving late does not.
        cache.put(key(1, None), EncodedPage::new(8, &list(11)).unwrap());
        cache.put(key(1, None), EncodedPage::new(7, &list(10)).unwrap());
        assert!(cache.get(&key(1, None), 8).is_some());
        assert!(cache.get(&key(1, None), 7).is_none());
    }

    #[test]
    fn the_budget_holds_and_the_oldest_go_first() {
        let one = EncodedPage::new(1, &list(1000)).unwrap().size();
        let cache = ListCache::new(one * 4 + one / 2);
        for owner in 0..10 {
            cache.put(key(owner, None), EncodedPage::new(1, &list(1000)).unwrap());
            assert!(cache.bytes() <= one * 4 + one / 2);
        }
        assert!(cache.get(&key(9, None), 1).is_some());
        assert!(cache.get(&key(0, None), 1).is_none());
        // Too large for a quarter of the budget: not kept. A budget of 0: nothing kept.
        cache.put(key(20, None), EncodedPage::new(1, &list(10_000)).unwrap());
        assert!(cache.get(&key(20, None), 1).is_none());
        let off = ListCache::new(0);
        off.put(key(1, None), EncodedPage::new(1, &list(1)).unwrap());
        assert!(off.get(&key(1, None), 1).is_none());
    }

    #[test]
    fn gzip_only_when_accepted() {
        let page = EncodedPage::new(1, &list(2000)).unwrap();
        let mut h = HeaderMap::new();
        assert!(!page
            .response(&h)
            .headers()
            .contains_key(header::CONTENT_ENCODING));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0"),
        );
        assert!(!page
            .response(&h)
            .headers()
            .contains_key(header::CONTENT_ENCODING));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("deflate, gzip, br"),
        );
        let res = page.response(&h);
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "private, no-store");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&page.gzip[..]),
            &mut plain,
        )
        .unwrap();
        assert_eq!(plain, page.json);
    }
}
