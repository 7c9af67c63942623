//! A fixed-bytes RNG, shared by the integration tests and the crate's unit tests
//! (`#[path]`-included there).

/// An RNG that replays fixed bytes, so a test can choose every "random" value, and panics when
/// asked for more than it holds (a test that draws more randomness than it supplied is wrong).
pub struct ReplayRng(Vec<u8>);

impl ReplayRng {
    pub fn new(parts: &[&[u8]]) -> Self {
        Self(parts.concat())
    }

    pub fn assert_exhausted(&self) {
        assert!(self.0.is_empty(), "{} unused RNG bytes", self.0.len());
    }
}

impl rand_core::RngCore for ReplayRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(dest.len() <= self.0.len(), "ReplayRng exhausted");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for ReplayRng {}
