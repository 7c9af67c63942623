//! Throughput and latency of the operations whose cost users feel: streaming seal/open per chunk
//! size, Argon2id at the default parameters, and HPKE wrap/unwrap of a file key.
//!
//! `cargo bench -p coffer-crypto` (results and machine in docs/PERFORMANCE.md).

// criterion is a native-only dev-dependency; under wasm32 this bench is an empty program so that
// `cargo clippy --target wasm32-unknown-unknown --all-targets` still builds.
fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::run();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Duration;

    use coffer_crypto::{
        derive_password_keys, unwrap_file_key, wrap_file_key, FileId, FileKey, IdentityKeyPair,
        KdfParams, StreamDecryptor, StreamEncryptor,
    };
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const FILE_LEN: usize = 8 * 1024 * 1024;
    const CHUNK_SIZES: [u32; 4] = [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
    /// Size of each `push`, like a browser reading a file in slices.
    const PUSH_LEN: usize = 1024 * 1024;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::from_seed([42; 32])
    }

    fn seal(key: &FileKey, id: &FileId, chunk_size: u32, plaintext: &[u8]) -> Vec<u8> {
        let mut enc = StreamEncryptor::new(key, id, chunk_size, &mut rng()).unwrap();
        let mut out = Vec::with_capacity(plaintext.len() + plaintext.len() / 1000 + 200);
        out.extend_from_slice(enc.header());
        for part in plaintext.chunks(PUSH_LEN) {
            out.extend(enc.push(part).unwrap());
        }
        out.extend(enc.finish().unwrap());
        out
    }

    fn open(key: &FileKey, id: &FileId, ciphertext: &[u8]) -> usize {
        let mut dec = StreamDecryptor::new(key, id);
        let mut n = 0;
        for part in ciphertext.chunks(PUSH_LEN) {
            n += dec.push(part).unwrap().len();
        }
        n + dec.finish().unwrap().len()
    }

    fn stream(c: &mut Criterion) {
        let key = FileKey::generate(&mut rng());
        let id = FileId::from_bytes([1; 16]);
        let plaintext = vec![0x5a; FILE_LEN];
        let mut group = c.benchmark_group("stream");
        group
            .throughput(Throughput::Bytes(FILE_LEN as u64))
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for chunk_size in CHUNK_SIZES {
            let label = format!("{} KiB", chunk_size / 1024);
            group.bench_with_input(BenchmarkId::new("seal", &label), &chunk_size, |b, &cs| {
                b.iter(|| seal(&key, &id, cs, &plaintext))
            });
            let ciphertext = seal(&key, &id, chunk_size, &plaintext);
            group.bench_with_input(BenchmarkId::new("open", &label), &ciphertext, |b, ct| {
                b.iter(|| open(&key, &id, ct))
            });
        }
        group.finish();
    }

    fn argon2id(c: &mut Criterion) {
        let mut group = c.benchmark_group("argon2id");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        group.bench_function("default (64 MiB, t=3, p=1)", |b| {
            b.iter(|| derive_password_keys("correct horse", &[7; 16], &KdfParams::DEFAULT).unwrap())
        });
        group.finish();
    }

    fn hpke(c: &mut Criterion) {
        let mut r = rng();
        let pair = IdentityKeyPair::generate(&mut r);
        let public = pair.public_key();
        let key = FileKey::generate(&mut r);
        let id = FileId::from_bytes([1; 16]);
        let wrapped = wrap_file_key(&public, &key, &id, &mut r);
        let mut group = c.benchmark_group("hpke");
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        group.bench_function("wrap_file_key", |b| {
            b.iter(|| wrap_file_key(&public, &key, &id, &mut r))
        });
        group.bench_function("unwrap_file_key", |b| {
            b.iter(|| unwrap_file_key(&pair, &wrapped, &id).unwrap())
        });
        group.finish();
    }

    criterion_group!(benches, stream, argon2id, hpke);

    pub fn run() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}
