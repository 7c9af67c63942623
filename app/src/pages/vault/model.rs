//! What the vault page shows: decrypted file rows, transfers, and the helpers that format them.

use coffer_crypto::{ContentBinding, FileVersion};
use leptos::prelude::*;

use crate::{
    protocol::{sharing::SharedFile, vault::FileInfo},
    trust::{RecordState, SharerTrust},
};

/// Where a row's key comes from, kept so the key can be opened again when it is needed (keys
/// are never kept in signals).
#[derive(Clone, Debug, PartialEq)]
pub enum RowSource {
    /// One of the user's own files, as listed; `version` is what its key slot vouches for
    /// (`None`: a format-v1 file accepted once, to be upgraded).
    Own {
        /// The listing entry.
        info: FileInfo,
        /// The verified version.
        version: Option<FileVersion>,
    },
    /// A file shared with the user, as listed.
    Shared(SharedFile),
}

/// One file, as the browser decrypted and checked it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRow {
    /// Server id (32 hex characters).
    pub id: String,
    /// Decrypted name, made safe to save and show (`coffer_crypto::safe_file_name`).
    pub name: String,
    /// Decrypted MIME type (may be empty).
    pub mime: String,
    /// Plaintext size.
    pub size: u64,
    /// Upload time, ms since the epoch.
    pub created_at: i64,
    /// Last modification of the original, ms since the epoch (kept through renames).
    pub modified_ms: i64,
    /// Stored ciphertext size.
    pub ciphertext_size: u64,
    /// What the version record says the content is: checked at the end of every download.
    pub content: ContentBinding,
    /// Where its key comes from.
    pub source: RowSource,
    /// Where its ciphertext is fetched from (the vault's or a share's content route).
    pub content_url: String,
    /// Who shared it with the caller and how far they are trusted (`None` for the caller's own
    /// files and for shares nobody can vouch for).
    pub sharer: Option<(String, Option<SharerTrust>)>,
}

/// A file the server lists in the vault that this account did not make (or that was altered):
/// shown apart, never with a name the server could have chosen, and only deletable.
#[derive(Clone, Debug, PartialEq)]
pub struct UnverifiedRow {
    /// Server id.
    pub id: String,
    /// Stored ciphertext size.
    pub ciphertext_size: u64,
    /// When the server says it was added.
    pub created_at: i64,
}

/// A share that is not offered as genuine, with the reason in words.
#[derive(Clone, Debug, PartialEq)]
pub struct RefusedShare {
    /// Server id.
    pub id: String,
    /// Who the server says shared it.
    pub sharer: String,
    /// Why it is refused.
    pub why: String,
}

/// Columns the table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// File name, case-insensitive.
    Name,
    /// Plaintext size.
    Size,
    /// Upload time.
    Date,
}

/// Sorts and filters rows for display: `query` matches names case-insensitively.
pub fn visible_rows(rows: &[FileRow], query: &str, key: SortKey, ascending: bool) -> Vec<FileRow> {
    let query = query.trim().to_lowercase();
    let mut out: Vec<FileRow> = rows
        .iter()
        .filter(|r| query.is_empty() || r.name.to_lowercase().contains(&query))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        let order = match key {
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Date => a.created_at.cmp(&b.created_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if ascending {
            order
        } else {
            order.reverse()
        }
    });
    out
}

/// How a transfer ended, or that it is still going.
#[derive(Clone, Debug, PartialEq)]
pub enum TransferState {
    /// Encrypting and uploading, or downloading and decrypting.
    Running,
    /// The server cannot be reached: the transfer waits and tries again by itself (for as long
    /// as the page is open), `next_try_in` seconds from now (0: trying now).
    Reconnecting {
        /// Whole seconds until the next try.
        next_try_in: u32,
    },
    /// Finished; the words say what happened.
    Done(String),
    /// Failed; the words say why and what to do.
    Failed(String),
    /// Stopped by the user.
    Cancelled,
}

impl TransferState {
    /// Still going (running or waiting for the server): it can be cancelled.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            TransferState::Running | TransferState::Reconnecting { .. }
        )
    }

    /// When a reconnecting row tries next, in words: "(next try in 4 s)", "(trying now)".
    pub fn next_try_words(next_try_in: u32) -> String {
        if next_try_in == 0 {
            "(trying now)".into()
        } else {
            format!("(next try in {})", human_duration(f64::from(next_try_in)))
        }
    }
}

/// Upload or download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// Encrypt and upload.
    Upload,
    /// Download and decrypt.
    Download,
}

/// One row in the transfers list.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Local id (also the key of its abort controller).
    pub id: u64,
    /// Upload or download.
    pub kind: TransferKind,
    /// The file's name.
    pub name: String,
    /// Bytes to move (ciphertext).
    pub total: u64,
    /// The file's own (plaintext) size, which is what the row shows.
    pub plain_total: u64,
    /// Bytes moved so far.
    pub done: RwSignal<u64>,
    /// Bytes per second, smoothed ([`Pace`]); 0 while not yet known.
    pub rate: RwSignal<f64>,
    /// Where it stands.
    pub state: RwSignal<TransferState>,
    /// Set when a refused resume can be replaced by a fresh upload of the same file.
    pub restartable: RwSignal<bool>,
    /// Set a few seconds after it finished (done or cancelled): the row then folds into the
    /// list's "3 uploads done" line.
    pub folded: RwSignal<bool>,
}

/// Seconds in words: "4 s", "3 min", "2 h 5 min".
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s.div_ceil(60)),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Seconds to wait before try `n` after `n` failures in a row: 1, 2, 4, 8, 15, 30, then every
/// 30 s, for as long as the page is open.
pub fn reconnect_delay(failures: u32) -> u32 {
    const STEPS: [u32; 6] = [1, 2, 4, 8, 15, 30];
    STEPS[(failures.max(1) as usize - 1).min(STEPS.len() - 1)]
}

/// One transfer's waiting for the server. All of its requests share it (three parts may fail at
/// once): a failure while a try is already scheduled waits for that try instead of pushing it
/// further away, so one outage counts once per round, not once per request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Backoff {
    failures: u32,
    due_ms: f64,
}

impl Backoff {
    /// A request failed for want of the server at `now_ms`: when the next try may go.
    pub fn failed(&mut self, now_ms: f64) -> f64 {
        if self.failures > 0 && self.due_ms > now_ms {
            return self.due_ms;
        }
        self.failures += 1;
        self.due_ms = now_ms + f64::from(reconnect_delay(self.failures)) * 1000.0;
        self.due_ms
    }

    /// The server answered: the outage is over. Returns whether there was one.
    pub fn answered(&mut self) -> bool {
        let was_out = self.failures > 0;
        *self = Self::default();
        was_out
    }

    /// Waiting for the server.
    pub fn is_out(&self) -> bool {
        self.failures > 0
    }

    /// Whole seconds from `now_ms` until the next try (0 once it is due).
    pub fn next_try_in(&self, now_ms: f64) -> u32 {
        ((self.due_ms - now_ms).max(0.0) / 1000.0).ceil() as u32
    }
}

/// A transfer's speed, smoothed so that the time left does not jump. Parts finish in bursts
/// (three at once, then nothing for a while) and the start includes setting up, so: nothing is
/// said before the first bytes and for [`Pace::WARM_UP_MS`] after them, then the average over
/// that time; from then on, an exponentially weighted average (over about
/// [`Pace::SMOOTHING_MS`]) of the speed between samples at least [`Pace::SAMPLE_MS`] apart
/// (updates in between only add up), so a burst counts for the time it took to come.
#[derive(Clone, Debug, PartialEq)]
pub struct Pace {
    /// When and at how many bytes the current measurement started (`None` before the first bytes).
    origin: Option<(f64, u64)>,
    /// The last update.
    last: (f64, u64),
    rate: Option<f64>,
}

impl Default for Pace {
    fn default() -> Self {
        Self::new()
    }
}

impl Pace {
    /// Time after the first bytes before a speed is given.
    pub const WARM_UP_MS: f64 = 1500.0;
    /// How far back the average mostly looks.
    pub const SMOOTHING_MS: f64 = 5000.0;
    /// Least time between two samples.
    pub const SAMPLE_MS: f64 = 1000.0;

    /// Nothing measured yet.
    pub fn new() -> Self {
        Self {
            origin: None,
            last: (0.0, 0),
            rate: None,
        }
    }

    /// `bytes` moved in all at `now_ms`: the smoothed speed in bytes per second, once known.
    pub fn update(&mut self, now_ms: f64, bytes: u64) -> Option<f64> {
        let Some((start_ms, start_bytes)) = self.origin else {
            if bytes > 0 {
                self.origin = Some((now_ms, bytes));
                self.last = (now_ms, bytes);
            }
            return self.rate;
        };
        let (last_ms, last_bytes) = self.last;
        let dt = now_ms - last_ms;
        if dt < Self::SAMPLE_MS || bytes < last_bytes {
            return self.rate;
        }
        match self.rate {
            None if now_ms - start_ms >= Self::WARM_UP_MS => {
                let seconds = (now_ms - start_ms) / 1000.0;
                self.rate = Some(bytes.saturating_sub(start_bytes) as f64 / seconds);
            }
            None => {}
            Some(rate) => {
                let instant = (bytes - last_bytes) as f64 / (dt / 1000.0);
                let weight = 1.0 - (-dt / Self::SMOOTHING_MS).exp();
                self.rate = Some(rate + weight * (instant - rate));
            }
        }
        self.last = (now_ms, bytes);
        self.rate
    }

    /// The transfer went on after a pause (an outage): measure from here, keeping the speed
    /// known so far (the time spent waiting is not a slow transfer).
    pub fn resume(&mut self, now_ms: f64, bytes: u64) {
        if self.origin.is_none() {
            return;
        }
        if self.rate.is_none() {
            self.origin = Some((now_ms, bytes));
        }
        self.last = (now_ms, bytes);
    }
}

/// What a finished row folds into: counts by kind and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    /// Uploads that finished.
    pub uploads: usize,
    /// Downloads that finished.
    pub downloads: usize,
    /// Transfers the user cancelled.
    pub cancelled: usize,
}

impl Folded {
    /// Counts a finished row (`Done` or `Cancelled`; anything else is not folded).
    pub fn add(&mut self, kind: TransferKind, state: &TransferState) {
        match (state, kind) {
            (TransferState::Done(_), TransferKind::Upload) => self.uploads += 1,
            (TransferState::Done(_), TransferKind::Download) => self.downloads += 1,
            (TransferState::Cancelled, _) => self.cancelled += 1,
            _ => {}
        }
    }

    /// Rows folded.
    pub fn total(&self) -> usize {
        self.uploads + self.downloads + self.cancelled
    }

    /// "3 uploads done", "2 uploads and 1 download done", "1 download done, 1 cancelled".
    pub fn words(&self) -> String {
        let count = |n: usize, one: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        };
        let done = match (self.uploads, self.downloads) {
            (0, 0) => None,
            (u, 0) => Some(format!("{} done", count(u, "upload"))),
            (0, d) => Some(format!("{} done", count(d, "download"))),
            (u, d) => Some(format!(
                "{} and {} done",
                count(u, "upload"),
                count(d, "download")
            )),
        };
        let cancelled = (self.cancelled > 0).then(|| format!("{} cancelled", self.cancelled));
        match (done, cancelled) {
            (Some(d), Some(c)) => format!("{d}, {c}"),
            (Some(w), None) | (None, Some(w)) => w,
            (None, None) => String::new(),
        }
    }
}

/// Rows of the transfers list shown without asking, at most: the rest wait behind "Show more",
/// so the list never pushes the files below the fold.
pub const OPEN_ROWS: usize = 4;

/// Which rows of the list (newest first; `true` where the row has folded) are shown: unfolded
/// rows up to [`OPEN_ROWS`] unless `show_all`, folded ones only when `show_folded`. Also
/// returns how many unfolded rows are held back.
pub fn shown_rows(folded: &[bool], show_folded: bool, show_all: bool) -> (Vec<bool>, usize) {
    let mut open = 0;
    let mut held_back = 0;
    let shown = folded
        .iter()
        .map(|&is_folded| {
            if is_folded {
                return show_folded;
            }
            open += 1;
            if open > OPEN_ROWS && !show_all {
                held_back += 1;
                false
            } else {
                true
            }
        })
        .collect();
    (shown, held_back)
}

/// A short badge for a MIME type (plain letters: no icon font or emoji needed), and a word for
/// screen readers.
pub fn type_icon(mime: &str) -> (&'static str, &'static str) {
    let top = mime.split('/').next().unwrap_or("");
    match (top, mime) {
        (_, "application/pdf") => ("PDF", "PDF document"),
        ("image", _) => ("IMG", "Image"),
        ("video", _) => ("VID", "Video"),
        ("audio", _) => ("AUD", "Audio"),
        ("text", _) => ("TXT", "Text"),
        (_, m) if m.contains("zip") || m.contains("compressed") || m.contains("tar") => {
            ("ZIP", "Archive")
        }
        _ => ("FILE", "File"),
    }
}

/// A moment as people say it, in the browser's time zone and without seconds: "just now",
/// "5 min ago", "in 20 min", "today 14:02", "yesterday 14:02", "tomorrow 09:30", "3 Mar 14:02",
/// "3 Mar 2024 14:02". The server never renders rows; there it reads the moment as UTC.
pub fn human_date(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    let (now, local, local_now) = {
        // The zone's offset differs across a daylight-saving change: take each moment's own.
        let offset = |at: i64| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
            (date.get_timezone_offset() * 60_000.0) as i64
        };
        let now = js_sys::Date::now() as i64;
        (now, ms - offset(ms), now - offset(now))
    };
    #[cfg(not(feature = "hydrate"))]
    let (now, local, local_now) = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        (now, ms, now)
    };
    relative_date(ms - now, local, local_now)
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// [`human_date`] without the clock: `ahead` is the moment minus now (negative: in the past),
/// `local` and `local_now` the moment and now as wall-clock milliseconds in the user's zone
/// (which decide "today", "yesterday" and the hour shown).
fn relative_date(ahead: i64, local: i64, local_now: i64) -> String {
    if ahead.abs() < MINUTE_MS {
        return "just now".into();
    }
    if ahead.abs() < 60 * MINUTE_MS {
        let minutes = ahead.abs() / MINUTE_MS;
        return if ahead < 0 {
            format!("{minutes} min ago")
        } else {
            format!("in {minutes} min")
        };
    }
    let day = local.div_euclid(DAY_MS);
    let minute_of_day = local.rem_euclid(DAY_MS) / MINUTE_MS;
    let time = format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
    let (year, month, date) = civil_date(day);
    let (this_year, _, _) = civil_date(local_now.div_euclid(DAY_MS));
    match day - local_now.div_euclid(DAY_MS) {
        0 => format!("today {time}"),
        -1 => format!("yesterday {time}"),
        1 => format!("tomorrow {time}"),
        _ if year == this_year => format!("{date} {} {time}", MONTHS[month - 1]),
        _ => format!("{date} {} {year} {time}", MONTHS[month - 1]),
    }
}

/// Year, month (1–12) and day of the month of a day counted from 1970-01-01 (proleptic
/// Gregorian; H. Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let date = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as usize, date)
}

/// Files that share their name with another: each one's place among its namesakes by upload
/// time (1 = the oldest), keyed by file id. The table shows it beside the name ("(2)"), so two
/// uploads of "report.pdf" can be told apart; numbering over the whole vault keeps a file's
/// number when a search hides its namesakes.
pub fn namesake_numbers(rows: &[FileRow]) -> std::collections::HashMap<String, usize> {
    let mut by_name: std::collections::HashMap<&str, Vec<&FileRow>> =
        std::collections::HashMap::new();
    for row in rows {
        by_name.entry(row.name.as_str()).or_default().push(row);
    }
    let mut numbers = std::collections::HashMap::new();
    for mut same in by_name.into_values().filter(|same| same.len() > 1) {
        same.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        for (i, row) in same.into_iter().enumerate() {
            numbers.insert(row.id.clone(), i + 1);
        }
    }
    numbers
}

/// Whether the account record needs the user's review, and in which words.
pub fn record_warning(state: &RecordState) -> Option<String> {
    match state {
        RecordState::Current(_) => None,
        RecordState::RolledBack { record, seen } => Some(format!(
            "The server returned an older copy of your contact list (version {}) than this \
             browser has seen (version {seen}). Someone may have removed a key you trusted. \
             Sharing with people whose key Coffer cannot confirm is blocked until you check their \
             safety numbers.",
            record.revision
        )),
        RecordState::Damaged => Some(
            "Your contact list could not be opened: it was damaged or tampered with. Sharing is \
             blocked until you confirm people's safety numbers again."
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, size: u64, created_at: i64) -> FileRow {
        FileRow {
            id: id.into(),
            name: name.into(),
            mime: String::new(),
            size,
            created_at,
            modified_ms: 0,
            ciphertext_size: 0,
            content: ContentBinding::Unbound,
            source: RowSource::Own {
                info: FileInfo {
                    id: id.into(),
                    ciphertext_size: 0,
                    chunk_size: 4096,
                    sealed_metadata: Vec::new(),
                    key_slot: Vec::new(),
                    version_record: None,
                    created_at,
                    updated_at: created_at,
                },
                version: None,
            },
            content_url: String::new(),
            sharer: None,
        }
    }

    #[test]
    fn search_matches_names_case_insensitively_and_sorts() {
        let rows = [
            row("1", "Beta.txt", 10, 3),
            row("2", "alpha.TXT", 30, 1),
            row("3", "photo.jpg", 20, 2),
        ];
        let names = |v: Vec<FileRow>| v.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(visible_rows(&rows, " TXT ", SortKey::Name, true)),
            ["alpha.TXT", "Beta.txt"]
        );
        assert_eq!(
            names(visible_rows(&rows, "", SortKey::Size, false)),
            ["alpha.TXT", "photo.jpg", "Beta.txt"]
        );
        assert_eq!(
            names(visible_rows(&rows, "", SortKey::Date, true)),
            ["alpha.TXT", "photo.jpg", "Beta.txt"]
        );
        assert!(visible_rows(&rows, "nothing", SortKey::Name, true).is_empty());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(4.2), "4 s");
        assert_eq!(human_duration(125.0), "3 min");
        assert_eq!(human_duration(7500.0), "2 h 5 min");
    }

    #[test]
    fn reconnecting_waits_longer_each_time_then_every_30_seconds() {
        let waits: Vec<u32> = (1..=9).map(reconnect_delay).collect();
        assert_eq!(waits, [1, 2, 4, 8, 15, 30, 30, 30, 30]);
        assert_eq!(reconnect_delay(u32::MAX), 30);
    }

    #[test]
    fn requests_failing_together_wait_for_one_try_and_an_answer_ends_the_outage() {
        let mut b = Backoff::default();
        assert!(!b.is_out());
        assert_eq!(b.failed(0.0), 1000.0);
        // Two more parts fail before that try: they join it.
        assert_eq!(b.failed(10.0), 1000.0);
        assert_eq!(b.failed(900.0), 1000.0);
        assert_eq!(b.next_try_in(10.0), 1);
        // The try fails: the next waits longer.
        assert_eq!(b.failed(1200.0), 3200.0);
        assert_eq!(b.next_try_in(1200.0), 2);
        assert_eq!(b.next_try_in(5000.0), 0);
        assert_eq!(b.failed(3300.0), 7300.0);
        assert!(b.is_out());
        assert!(b.answered());
        assert!(!b.is_out());
        assert!(!b.answered(), "a second answer ends nothing");
        // A new outage starts again from the shortest wait.
        assert_eq!(b.failed(10_000.0), 11_000.0);
    }

    #[test]
    fn a_long_outage_settles_on_a_try_every_30_seconds() {
        let mut b = Backoff::default();
        let mut now = 0.0;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let due = b.failed(now);
            waits.push(((due - now) / 1000.0) as u32);
            now = due + 50.0;
        }
        assert_eq!(waits, [1, 2, 4, 8, 15, 30, 30, 30]);
    }

    #[test]
    fn the_speed_is_not_guessed_before_the_first_bytes_and_a_warm_up() {
        let mut p = Pace::new();
        assert_eq!(p.update(0.0, 0), None);
        assert_eq!(
            p.update(3000.0, 0),
            None,
            "nothing sent yet: still starting"
        );
        assert_eq!(p.update(4000.0, 4 << 20), None);
        // A burst of parts right after the first one says nothing yet.
        assert_eq!(p.update(4020.0, 12 << 20), None);
        let rate = p.update(5500.0, 16 << 20).expect("known after the warm-up");
        assert_eq!(rate, (12 << 20) as f64 / 1.5);
    }

    /// Parts of 4 MiB finishing three at a time at 4 MiB/s on average: the time left that a
    /// row would show only ever goes down, by about the time that passed.
    #[test]
    fn time_left_does_not_jump_when_parts_finish_in_bursts() {
        let total: u64 = 200 << 20;
        let mut p = Pace::new();
        let mut lefts = Vec::new();
        let mut now = 500.0;
        let mut bytes = 0u64;
        for round in 0..15 {
            // Three parts land within 40 ms, then nothing for three seconds.
            for k in 0..3 {
                bytes += 4 << 20;
                if let Some(rate) = p.update(now + f64::from(k) * 20.0, bytes) {
                    lefts.push((round, (total - bytes) as f64 / rate));
                }
            }
            now += 3000.0;
        }
        assert!(lefts.len() > 20);
        for pair in lefts.windows(2) {
            let ((r0, a), (r1, b)) = (pair[0], pair[1]);
            assert!(b <= a + 0.5, "time left went up: {a:.1} s then {b:.1} s");
            if r1 > r0 {
                assert!(a - b < 6.0, "time left jumped: {a:.1} s then {b:.1} s");
            }
        }
        let last_rate = p.update(now, bytes).unwrap();
        assert!(
            (last_rate / f64::from(4 << 20) - 1.0).abs() < 0.35,
            "{last_rate}"
        );
    }

    #[test]
    fn an_outage_is_not_counted_as_a_slow_transfer() {
        let mut p = Pace::new();
        p.update(0.0, 1 << 20);
        for i in 1..=10 {
            p.update(f64::from(i) * 1000.0, (1 + i as u64) << 20);
        }
        let before = p.update(10_000.0, 11 << 20).unwrap();
        // 45 s without the server, then the transfer goes on.
        p.resume(55_000.0, 11 << 20);
        let after = p.update(56_000.0, 12 << 20).unwrap();
        assert!(
            (after - before).abs() / before < 0.05,
            "{before} then {after}"
        );
    }

    #[test]
    fn finished_rows_fold_into_one_line() {
        let mut f = Folded::default();
        assert_eq!(f.words(), "");
        for _ in 0..3 {
            f.add(TransferKind::Upload, &TransferState::Done("ok".into()));
        }
        assert_eq!(f.words(), "3 uploads done");
        f.add(TransferKind::Download, &TransferState::Done("ok".into()));
        assert_eq!(f.words(), "3 uploads and 1 download done");
        f.add(TransferKind::Upload, &TransferState::Cancelled);
        f.add(TransferKind::Upload, &TransferState::Failed("no".into()));
        f.add(TransferKind::Upload, &TransferState::Running);
        assert_eq!(f.words(), "3 uploads and 1 download done, 1 cancelled");
        assert_eq!(f.total(), 5);
        let mut one = Folded::default();
        one.add(TransferKind::Download, &TransferState::Done("ok".into()));
        assert_eq!(one.words(), "1 download done");
    }

    #[test]
    fn the_list_shows_a_few_open_rows_and_folded_ones_on_request() {
        let rows = [false, true, false, false, true, false, false, false];
        let (shown, held) = shown_rows(&rows, false, false);
        assert_eq!(shown, [true, false, true, true, false, true, false, false]);
        assert_eq!(held, 2);
        let (shown, held) = shown_rows(&rows, true, false);
        assert_eq!(shown, [true, true, true, true, true, true, false, false]);
        assert_eq!(held, 2);
        let (shown, held) = shown_rows(&rows, false, true);
        assert_eq!(shown, [true, false, true, true, false, true, true, true]);
        assert_eq!(held, 0);
    }

    #[test]
    fn reconnecting_says_when_the_next_try_is() {
        assert_eq!(TransferState::next_try_words(8), "(next try in 8 s)");
        assert_eq!(TransferState::next_try_words(0), "(trying now)");
        assert!(TransferState::Reconnecting { next_try_in: 3 }.is_active());
        assert!(!TransferState::Cancelled.is_active());
    }

    #[test]
    fn type_icons_follow_the_mime_type() {
        assert_eq!(type_icon("image/png").1, "Image");
        assert_eq!(type_icon("application/pdf").1, "PDF document");
        assert_eq!(type_icon("application/zip").1, "Archive");
        assert_eq!(type_icon("").1, "File");
    }

    /// 2025-03-14 14:02 in the user's zone, as wall-clock milliseconds.
    const PI_DAY: i64 = 1_741_960_920_000;

    #[test]
    fn recent_moments_are_relative_and_never_show_seconds() {
        let at = |ahead_ms: i64| relative_date(ahead_ms, PI_DAY + ahead_ms, PI_DAY);
        assert_eq!(at(-20_000), "just now");
        assert_eq!(at(-5 * MINUTE_MS - 30_000), "5 min ago");
        assert_eq!(at(20 * MINUTE_MS), "in 20 min");
        assert_eq!(at(-3 * 60 * MINUTE_MS), "today 11:02");
        assert_eq!(at(-DAY_MS), "yesterday 14:02");
        assert_eq!(at(DAY_MS - 4 * 60 * MINUTE_MS), "tomorrow 10:02");
        assert_eq!(at(-10 * DAY_MS), "4 Mar 14:02");
        assert_eq!(at(-400 * DAY_MS), "8 Feb 2024 14:02");
        for ahead in [-400 * DAY_MS, -DAY_MS, -61 * MINUTE_MS, 3 * DAY_MS] {
            assert_eq!(at(ahead + 17_000), at(ahead), "seconds never show");
        }
    }

    #[test]
    fn today_and_yesterday_follow_the_local_calendar_not_24_hours() {
        // 00:30 local: an upload at 23:50 local, 40 minutes earlier, is "40 min ago"; one at
        // 22:00 the evening before, 2.5 hours earlier, is "yesterday" although < 24 h ago.
        let midnight = PI_DAY - (14 * 60 + 2) * MINUTE_MS;
        let half_past_midnight = midnight + 30 * MINUTE_MS;
        let before = |ms: i64| relative_date(-ms, half_past_midnight - ms, half_past_midnight);
        assert_eq!(before(40 * MINUTE_MS), "40 min ago");
        assert_eq!(before(150 * MINUTE_MS), "yesterday 22:00");
        // A zone ahead of UTC: the same UTC instant is a different local day and hour.
        let utc_2330 = midnight + (23 * 60 + 30) * MINUTE_MS;
        let two_hours_ahead = 2 * 60 * MINUTE_MS;
        assert_eq!(
            relative_date(
                -3 * DAY_MS,
                utc_2330 - 3 * DAY_MS + two_hours_ahead,
                utc_2330 + two_hours_ahead
            ),
            "12 Mar 01:30"
        );
    }

    #[test]
    fn calendar_dates_cross_leap_days_and_the_epoch() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(-1), (1969, 12, 31));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(19_783), (2024, 3, 1));
        assert_eq!(civil_date(PI_DAY / DAY_MS), (2025, 3, 14));
    }

    #[test]
    fn namesakes_are_numbered_by_upload_time_and_others_are_not() {
        let rows = [
            row("b", "report.pdf", 10, 200),
            row("a", "report.pdf", 10, 100),
            row("c", "Report.pdf", 10, 50),
            row("d", "report.pdf", 10, 200),
            row("e", "photo.jpg", 10, 1),
        ];
        let numbers = namesake_numbers(&rows);
        assert_eq!(numbers.get("a"), Some(&1));
        assert_eq!(numbers.get("b"), Some(&2));
        assert_eq!(
            numbers.get("d"),
            Some(&3),
            "same time: the id decides, stably"
        );
        assert_eq!(
            numbers.get("c"),
            None,
            "a name differing in case is told apart already"
        );
        assert_eq!(numbers.get("e"), None);
        assert_eq!(numbers.len(), 3);
    }
}
