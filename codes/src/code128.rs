//! Code 128 barcodes for the OFF_LINE sheet, encoded here (no network, no image service).
//! Code set C packs digit pairs (coupon codes are usually digits); code set B covers
//! printable ASCII.

/// Bar and space widths (in modules) of symbol values 0..=106; 103–105 start A/B/C, 106 stop.
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

const START_B: usize = 104;
const START_C: usize = 105;
const CODE_B: usize = 100;
const STOP: usize = 106;

/// The symbol values for `text`, start and checksum included, stop excluded; `None` when a
/// character is outside printable ASCII.
pub fn symbols(text: &str) -> Option<Vec<usize>> {
    if text.is_empty() || !text.bytes().all(|b| (32..=126).contains(&b)) {
        return None;
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let mut out = Vec::new();
    if digits >= 4 && (digits == text.len() || digits.is_multiple_of(2)) {
        out.push(START_C);
        let pairs = digits / 2 * 2;
        for pair in text.as_bytes()[..pairs].chunks(2) {
            out.push(usize::from(pair[0] - b'0') * 10 + usize::from(pair[1] - b'0'));
        }
        if pairs < text.len() {
            out.push(CODE_B);
            out.extend(text.bytes().skip(pairs).map(|b| usize::from(b - 32)));
        }
    } else {
        out.push(START_B);
        out.extend(text.bytes().map(|b| usize::from(b - 32)));
    }
    let checksum =
        out.iter().enumerate().map(|(i, v)| if i == 0 { *v } else { i * v }).sum::<usize>() % 103;
    out.push(checksum);
    Some(out)
}

/// Bar and space widths for `text`, stop pattern included, starting with a bar.
pub fn widths(text: &str) -> Option<Vec<u8>> {
    let symbols = symbols(text)?;
    Some(
        symbols
            .into_iter()
            .chain([STOP])
            .flat_map(|s| PATTERNS[s].bytes().map(|b| b - b'0'))
            .collect(),
    )
}

/// The patterns, for tests that check the table's own invariants.
pub fn patterns() -> &'static [&'static str; 107] {
    &PATTERNS
}
