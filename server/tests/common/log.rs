//! What the servers of one test binary log, captured to look for secrets in.

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

#[derive(Clone, Default)]
pub struct CapturedLog(pub Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every server in this test binary logs at `level` into one buffer. A process has one global
/// subscriber, so a later call must ask for the level the first one set.
pub fn captured_log(level: &str) -> CapturedLog {
    static LOG: OnceLock<(String, CapturedLog)> = OnceLock::new();
    let (set, log) = LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        (level.to_string(), log)
    });
    assert_eq!(set, level, "this binary's log level is set already");
    log.clone()
}
