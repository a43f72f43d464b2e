//! `coupon-proxy`: see `--help`.

use clap::Parser;
use coupon_proxy::config::{Cli, Command, Settings};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coupon-proxy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::SandboxData => {
            let data = serde_json::to_string_pretty(&coupon_proxy::sandbox::generate()).map_err(|e| e.to_string())?;
            println!("{data}");
            Ok(())
        }
        Command::Sandbox { listen } => {
            let sandbox = coupon_proxy::sandbox::Sandbox::new(coupon_proxy::sandbox::DATA)?;
            let addr = coupon_proxy::sandbox::spawn(sandbox, listen).await.map_err(|e| e.to_string())?;
            println!("sandbox upstream listening on http://{addr}");
            shutdown_signal().await;
            Ok(())
        }
        Command::Serve => {
            let settings = Settings::resolve(cli.options.with_file()?)?;
            let running = coupon_proxy::start(settings).await?;
            println!("coupon-proxy listening on http://{}", running.addr);
            shutdown_signal().await;
            tracing::info!("shutting down gracefully");
            running.shutdown().await;
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
