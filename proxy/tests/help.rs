//! `coupon-proxy --help` shows each option's default, taken from `config::defaults`, which
//! `Settings::resolve` uses: one place for every default.

use coupon_proxy::config::{defaults, Cli, Options, Settings};
use std::time::Duration;

#[test]
fn help_shows_each_default_once_as_resolve_uses_it() {
    let command = Cli::command_with_defaults();
    for arg in command.get_arguments() {
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        assert!(help.matches("default").count() <= 1, "{}: {help}", arg.get_id());
    }
    let help_of = |id: &str| {
        let arg = command.get_arguments().find(|a| a.get_id() == id).unwrap();
        arg.get_help().unwrap().to_string()
    };
    assert!(
        help_of("cache_ttl_secs").ends_with("in seconds [default: 30; 300 with --notifications]")
    );
    let sandbox = coupon_sandbox::Sandbox::new(coupon_sandbox::DATA).unwrap();
    let dev = coupon_proxy::dev::upstream("http://127.0.0.1:9", &sandbox);
    let resolved = Settings::resolve(Options::default(), Some(dev)).unwrap();
    assert_eq!(resolved.cache_ttl, Duration::from_secs(defaults::CACHE_TTL_SECS));
    assert_eq!(resolved.listen.to_string(), defaults::LISTEN);
    let notified = Options { notifications: Some(true), ..Options::default() };
    let dev = coupon_proxy::dev::upstream("http://127.0.0.1:9", &sandbox);
    let resolved = Settings::resolve(notified.clone(), Some(dev)).unwrap();
    assert_eq!(resolved.cache_ttl, Duration::from_secs(defaults::NOTIFIED_CACHE_TTL_SECS));
    let given = Options { cache_ttl_secs: Some(45), ..notified };
    let dev = coupon_proxy::dev::upstream("http://127.0.0.1:9", &sandbox);
    assert_eq!(Settings::resolve(given, Some(dev)).unwrap().cache_ttl, Duration::from_secs(45));
}
