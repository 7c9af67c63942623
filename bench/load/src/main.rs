//! `coffer-bench`: load and seeding tools for a Coffer server on this machine (bench/abuse.sh,
//! the large-vault end-to-end test). Every subcommand talks HTTP to a running server exactly as
//! the browser does (same bodies, same keys made by `coffer_app::keyring` and `coffer_crypto`),
//! refuses any base URL that is not loopback, and is bounded in count and time (the limits are
//! in each subcommand's arguments).
//!
//! ```text
//! coffer-bench seed      --base URL --user NAME --password PW --files N [--concurrency 16]
//! coffer-bench logins    --base URL --user NAME --password PW [--concurrency 64] [--seconds 25] [--pid PID]
//! coffer-bench parts     --base URL --user NAME --password PW [--parts 200] [--part-bytes 8388608] [--pid PID]
//! coffer-bench list      --base URL --user NAME --password PW [--concurrency 64] [--seconds 20]
//! coffer-bench slowloris --base URL --user NAME --password PW [--connections 1000] [--seconds 60]
//! ```
//!
//! Progress goes to stderr; results (a Markdown table, or `seed`'s count) to stdout. Nothing is
//! asserted on time: these are measurements, not tests. A subcommand fails (exit 1) only when
//! the server answers something a correct server never would (a wrong byte, an unexpected
//! status), or when it cannot reach it.

mod account;
mod args;
mod cmd;
mod pattern;
mod roundtrip;
mod rss;
mod server;
mod small_file;
mod stats;
mod upload;

use std::process::ExitCode;

/// What every fallible step returns: a message for the person running the bench.
type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "usage: coffer-bench <seed|logins|parts|list|slowloris> --base URL \
                     --user NAME --password PW [options]; see the source's module docs \
                     (bench/load/src/cmd/*.rs) for each subcommand's options";

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let Some(command) = argv.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match args::Args::parse(argv) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("coffer-bench {command}: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coffer-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match command.as_str() {
            "seed" => cmd::seed::run(args).await,
            "logins" => cmd::logins::run(args).await,
            "parts" => cmd::parts::run(args).await,
            "list" => cmd::list::run(args).await,
            "slowloris" => cmd::slowloris::run(args).await,
            "-h" | "--help" | "help" => {
                println!("{USAGE}");
                Ok(())
            }
            other => Err(format!("unknown subcommand {other:?}").into()),
        }
    });
    // Slow connections and their tasks are left to the runtime's shutdown.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coffer-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
