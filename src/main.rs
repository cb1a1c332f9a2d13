//! The `wagate` binary: parses the command line and runs the command.

use anyhow::Context;
use clap::Parser;
use wagate::cli::{Cli, Command};

/// mimalloc instead of the system allocator: the gateway allocates many
/// small short-lived buffers per request, where glibc's malloc spent a
/// sixth of the CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wagate::allocator::purge_freed_memory_soon();
    wagate::allocator::without_huge_pages();
    let cli = Cli::parse();
    wagate::logging::init(cli.log_format);
    match cli.command {
        Command::Serve(args) => {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("binding {}", args.listen))?;
            wagate::server::run(args, listener, wagate::server::shutdown_signal()).await
        }
        Command::Sim(args) => {
            wagate::sim::run_standalone(args, wagate::server::shutdown_signal()).await
        }
        Command::Bench(args) if args.table => {
            println!("{}", wagate::bench::suite::run(args).await?);
            Ok(())
        }
        Command::Bench(args) => {
            println!("{}", wagate::bench::run(args).await?);
            Ok(())
        }
        Command::Migrate(args) => {
            wagate::store::open(&args.database, wagate::store::PoolSettings::default())
                .await
                .with_context(|| {
                    format!("migrating {}", wagate::store::redacted(&args.database))
                })?;
            println!(
                "wagate: {} is up to date",
                wagate::store::redacted(&args.database)
            );
            Ok(())
        }
    }
}
