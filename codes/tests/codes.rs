//! The drawings a till's scanner reads: the QR code decodes to the coupon code, the barcode
//! has Code 128's structure, and what cannot be drawn is `None`.

use coupon_codes::{barcode, code128, qr, Drawing};

/// The dark modules of a drawing's path (`M{x},{y}h{w}v{h}h-{w}z` rectangles), as a grid.
fn raster(d: &Drawing) -> Vec<Vec<bool>> {
    let mut grid = vec![vec![false; d.width as usize]; d.height as usize];
    for rect in d.path.split('M').filter(|r| !r.is_empty()) {
        let rect = rect.strip_suffix('z').expect("each rectangle is closed");
        let (xy, rest) = rect.split_once('h').unwrap();
        let (x, y) = xy.split_once(',').unwrap();
        let (w, rest) = rest.split_once('v').unwrap();
        let (h, back) = rest.split_once('h').unwrap();
        let (x, y, w, h): (usize, usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), w.parse().unwrap(), h.parse().unwrap());
        assert_eq!(back, format!("-{w}"), "the rectangle returns to its left edge");
        for row in &mut grid[y..y + h] {
            row[x..x + w].iter_mut().for_each(|m| *m = true);
        }
    }
    grid
}

#[test]
fn the_qr_code_decodes_to_the_coupon_code() {
    let d = qr("123446565767").unwrap();
    assert_eq!((d.width, d.height), (29, 29), "version 1 (21 modules) with a 4-module quiet zone");
    let grid = raster(&d);
    assert!(grid[..4].iter().all(|row| row.iter().all(|m| !m)), "the quiet zone is light");
    const SCALE: usize = 8;
    let px = d.width as usize * SCALE;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| {
        if grid[y / SCALE][x / SCALE] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, "123446565767");
}

#[test]
fn a_code_too_long_for_any_qr_code_is_not_drawn() {
    assert_eq!(qr(&"9".repeat(8000)), None);
}

#[test]
fn the_barcode_is_start_c_six_pairs_checksum_and_stop_between_quiet_zones() {
    let d = barcode("123446565767").unwrap();
    // 8 symbols of 11 modules, the 13-module stop, 10 quiet modules each side.
    assert_eq!((d.width, d.height), (8 * 11 + 13 + 20, 40));
    let row = &raster(&d)[0];
    assert!(row[..10].iter().chain(&row[row.len() - 10..]).all(|m| !m), "quiet zones");
    assert!(row[10], "the first bar starts after the quiet zone");
    assert_eq!(d.path.matches('M').count(), 8 * 3 + 4, "three bars a symbol, four in the stop");
    assert_eq!(barcode("券"), None, "only printable ASCII");
    assert_eq!(barcode(""), None);
}

#[test]
fn code128_table_and_checksum() {
    let patterns = code128::patterns();
    let mut seen = std::collections::HashSet::new();
    for (value, p) in patterns.iter().enumerate() {
        let w: Vec<u32> = p.bytes().map(|b| u32::from(b - b'0')).collect();
        let modules: u32 = w.iter().sum();
        assert_eq!(modules, if value == 106 { 13 } else { 11 }, "symbol {value}");
        let bars: u32 = w.iter().step_by(2).sum();
        assert_eq!(
            bars % 2,
            0,
            "symbol {value}: Code 128 bars always cover an even number of modules"
        );
        assert!(seen.insert(*p), "symbol {value} repeats");
    }
    // Start C, the six digit pairs, then (105 + 1·12 + 2·34 + 3·46 + 4·56 + 5·57 + 6·67) mod 103 = 101.
    assert_eq!(code128::symbols("123446565767").unwrap(), vec![105, 12, 34, 46, 56, 57, 67, 101]);
    assert_eq!(code128::symbols("SBX1").unwrap()[0], 104, "letters use code set B");
    assert!(code128::symbols("券").is_none());
}

#[test]
fn a_drawing_round_trips_through_the_modules_json() {
    let d = barcode("SBX1").unwrap();
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<Drawing>(&json).unwrap(), d);
}
