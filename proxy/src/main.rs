//! `coupon-proxy`: see `--help`. Built with the default `sandbox` feature it can run the
//! whole product on a fresh machine (sandbox mode, the default); built with
//! `--no-default-features` it is the production binary, which holds no sandbox code, data or
//! keys and refuses sandbox mode.

use coupon_proxy::config::{CallbacksAction, Cli, Command, LogFormat, Mode, Settings, StartError};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse_with_defaults();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.log_format {
        // Every field (request id, route, status, latency, WeChat's Request-ID) as JSON.
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).init(),
        // Escape codes only for a person at a terminal, never into a file or a pipe.
        LogFormat::Text => {
            logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).init()
        }
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coupon-proxy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StartError> {
    match cli.command.unwrap_or(Command::Serve) {
        #[cfg(feature = "sandbox")]
        Command::SandboxData => {
            let data = serde_json::to_string_pretty(&coupon_sandbox::generate())
                .map_err(|e| StartError::Sandbox(e.to_string()))?;
            println!("{data}");
            Ok(())
        }
        #[cfg(feature = "sandbox")]
        Command::Sandbox { listen } => {
            let sandbox =
                coupon_sandbox::Sandbox::new(coupon_sandbox::DATA).map_err(StartError::Sandbox)?;
            let addr = coupon_sandbox::spawn(sandbox, listen)
                .await
                .map_err(|source| StartError::Listen { addr: listen, source })?;
            println!("sandbox upstream listening on http://{addr}");
            shutdown_signal().await;
            Ok(())
        }
        Command::Callbacks { action: CallbacksAction::Set { url } } => {
            let options = cli.options.with_file()?;
            let (dev, _) = dev_upstream(options.mode.unwrap_or_default()).await?;
            let settings = Settings::resolve(options, dev)?;
            let held = coupon_proxy::register_callbacks(&settings, &url).await?;
            println!("代金券 (COUPON.USE) notifications go to {}", held.stock);
            println!("商家券 (COUPON.SEND) notifications go to {}", held.merchant);
            Ok(())
        }
        Command::Serve => {
            let options = cli.options.with_file()?;
            let (dev, serving_at) = dev_upstream(options.mode.unwrap_or_default()).await?;
            let settings = Settings::resolve(options, dev)?;
            let running = coupon_proxy::start(settings).await?;
            serving_at(running.addr);
            println!("coupon-proxy listening on http://{}", running.addr);
            shutdown_signal().await;
            tracing::info!("shutting down gracefully");
            running.shutdown().await;
            Ok(())
        }
    }
}

/// What the proxy is told where it serves: the sandbox sends its notifications there.
type ServingAt = Box<dyn FnOnce(std::net::SocketAddr)>;

/// In sandbox mode, the sandbox started on a loopback port, to notify the proxy once it serves.
#[cfg(feature = "sandbox")]
async fn dev_upstream(
    mode: Mode,
) -> Result<(Option<coupon_proxy::config::DevUpstream>, ServingAt), StartError> {
    if mode != Mode::Sandbox {
        return Ok((None, Box::new(|_| {})));
    }
    let (dev, sandbox) =
        coupon_proxy::dev::spawn_sandbox(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(StartError::Sandbox)?;
    // The sandbox serves for the life of the process.
    Ok((Some(dev), Box::new(move |addr| coupon_proxy::dev::notify(&sandbox, addr))))
}

/// A production build has no sandbox: sandbox mode is refused by `Settings::resolve`.
#[cfg(not(feature = "sandbox"))]
async fn dev_upstream(
    _mode: Mode,
) -> Result<(Option<coupon_proxy::config::DevUpstream>, ServingAt), StartError> {
    Ok((None, Box::new(|_| {})))
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
