//! WeChat's card background palette (卡券背景颜色图). A coupon names a colour; the card
//! needs a hex value. Unknown names (the docs' own example says `"xxxxx"`) fall back to a
//! default rather than an unstyled card.

/// The colour a card gets when its name is missing or not in WeChat's palette.
pub const DEFAULT_BACKGROUND: &str = "#63b359";

const PALETTE: [(&str, &str); 15] = [
    ("COLOR010", "#63b359"),
    ("COLOR020", "#2c9f67"),
    ("COLOR030", "#509fc9"),
    ("COLOR040", "#5885cf"),
    ("COLOR050", "#9062c0"),
    ("COLOR060", "#d09a45"),
    ("COLOR070", "#e4b138"),
    ("COLOR080", "#ee903c"),
    ("COLOR081", "#f08500"),
    ("COLOR082", "#a9d92d"),
    ("COLOR090", "#dd6549"),
    ("COLOR100", "#cc463d"),
    ("COLOR101", "#cf3e36"),
    ("COLOR102", "#5e6671"),
    // Not a palette entry, only the fallback spelled as a name so it round-trips.
    ("DEFAULT", DEFAULT_BACKGROUND),
];

/// Every palette name WeChat publishes, in order (for sandbox data and tests).
pub fn names() -> impl Iterator<Item = &'static str> {
    [
        "Color010", "Color020", "Color030", "Color040", "Color050", "Color060", "Color070",
        "Color080", "Color081", "Color082", "Color090", "Color100", "Color101", "Color102",
    ]
    .into_iter()
}

/// Resolves a WeChat colour name (case-insensitive) to a `#rrggbb` value.
pub fn resolve(name: Option<&str>) -> &'static str {
    let Some(name) = name else { return DEFAULT_BACKGROUND };
    let name = name.trim();
    PALETTE
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(DEFAULT_BACKGROUND, |(_, hex)| hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_colour_resolves_and_unknown_names_fall_back() {
        assert_eq!(resolve(Some("Color020")), "#2c9f67");
        assert_eq!(resolve(Some("color102")), "#5e6671");
        assert_eq!(resolve(Some("xxxxx")), DEFAULT_BACKGROUND);
        assert_eq!(resolve(None), DEFAULT_BACKGROUND);
        assert_eq!(
            names().map(|n| resolve(Some(n))).collect::<std::collections::HashSet<_>>().len(),
            14
        );
    }
}
