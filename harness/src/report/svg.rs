//! The report's charts as inline SVG, drawn by hand: four small chart kinds need a few
//! dozen lines each, where a plotting crate would add a font stack and hundreds of
//! dependencies to the build, and its output would still need these pages' styling.

use std::fmt::Write;

/// Series colours (Okabe-Ito, readable by colour-blind readers).
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// The colour of series `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Text made safe inside SVG or HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A chart's frame: plot area from `left` to `width - 10`, `top` to `height - bottom`.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn right(&self) -> f64 {
        self.width - 10.0
    }

    fn base(&self) -> f64 {
        self.height - self.bottom
    }

    /// Opens the `<svg>` with its title (for screen readers).
    fn open(&self, out: &mut String, title: &str) {
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
            w = self.width,
            h = self.height,
            t = escape(title)
        );
    }

    /// The y axis from 0 to `max` with gridlines at quarters, labelled by `label`.
    fn y_axis(&self, out: &mut String, max: f64, label: impl Fn(f64) -> String) {
        for q in 0..=4 {
            let v = max * f64::from(q) / 4.0;
            let y = self.base() - (self.base() - self.top) * f64::from(q) / 4.0;
            let _ = write!(
                out,
                r##"<line x1="{l}" y1="{y:.1}" x2="{r}" y2="{y:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" font-size="10" text-anchor="end">{v}</text>"##,
                l = self.left,
                r = self.right(),
                tx = self.left - 4.0,
                ty = y + 3.0,
                v = label(v)
            );
        }
    }
}

/// A legend line under a chart: one swatch per series.
fn legend(out: &mut String, labels: &[String], y: f64) {
    let mut x = 10.0;
    for (i, label) in labels.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{ry}" width="10" height="10" fill="{c}"/><text x="{tx}" y="{ty}" font-size="11">{t}</text>"#,
            ry = y - 9.0,
            c = colour(i),
            tx = x + 14.0,
            ty = y,
            t = escape(label)
        );
        x += 24.0 + 6.5 * label.chars().count() as f64;
    }
}

/// Grouped bars: one group per category, one bar per series, values in [0, 1].
pub fn grouped_bars(title: &str, groups: &[String], series: &[(String, Vec<f64>)]) -> String {
    let per_group = series.len().max(1) as f64;
    let frame = Frame {
        width: (groups.len() as f64 * (per_group * 8.0 + 10.0) + 60.0).max(360.0),
        height: 260.0,
        left: 44.0,
        top: 12.0,
        bottom: 90.0,
    };
    let mut out = String::new();
    frame.open(&mut out, title);
    frame.y_axis(&mut out, 1.0, |v| format!("{:.0}%", v * 100.0));
    let slot = (frame.right() - frame.left) / groups.len().max(1) as f64;
    let bar = (slot - 6.0) / per_group;
    for (g, name) in groups.iter().enumerate() {
        let x0 = frame.left + slot * g as f64 + 3.0;
        for (i, (label, values)) in series.iter().enumerate() {
            let v = values.get(g).copied().unwrap_or(0.0).clamp(0.0, 1.0);
            let h = (frame.base() - frame.top) * v;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{t}: {p:.1}%</title></rect>"#,
                x = x0 + bar * i as f64,
                y = frame.base() - h,
                w = bar.max(1.0),
                c = colour(i),
                t = escape(&format!("{label}, {name}")),
                p = v * 100.0
            );
        }
        let _ = write!(
            out,
            r#"<text font-size="10" transform="translate({x:.1},{y}) rotate(-45)" text-anchor="end">{t}</text>"#,
            x = x0 + slot / 2.0,
            y = frame.base() + 12.0,
            t = escape(name)
        );
    }
    let labels: Vec<String> = series.iter().map(|(l, _)| l.clone()).collect();
    legend(&mut out, &labels, frame.height - 6.0);
    out.push_str("</svg>");
    out
}

/// Lines over a shared x axis, values in [0, 1] (`fast_p` against `p`, `pass@1`
/// against the turn).
pub fn lines(title: &str, x: &[f64], x_label: &str, series: &[(String, Vec<f64>)]) -> String {
    let frame = Frame {
        width: 480.0,
        height: 260.0,
        left: 44.0,
        top: 12.0,
        bottom: 56.0,
    };
    let (lo, hi) = (
        x.first().copied().unwrap_or(0.0),
        x.last().copied().unwrap_or(1.0),
    );
    let span = if hi > lo { hi - lo } else { 1.0 };
    let px = |v: f64| frame.left + (frame.right() - frame.left) * (v - lo) / span;
    let py = |v: f64| frame.base() - (frame.base() - frame.top) * v.clamp(0.0, 1.0);
    let mut out = String::new();
    frame.open(&mut out, title);
    frame.y_axis(&mut out, 1.0, |v| format!("{:.0}%", v * 100.0));
    for t in 0..=4 {
        let v = lo + span * f64::from(t) / 4.0;
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" font-size="10" text-anchor="middle">{v}</text>"#,
            x = px(v),
            y = frame.base() + 14.0,
            v = format_tick(v)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y}" font-size="11" text-anchor="middle">{t}</text>"#,
        x = (frame.left + frame.right()) / 2.0,
        y = frame.base() + 28.0,
        t = escape(x_label)
    );
    for (i, (label, values)) in series.iter().enumerate() {
        let points: Vec<String> = x
            .iter()
            .zip(values)
            .map(|(&a, &b)| format!("{:.1},{:.1}", px(a), py(b)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"><title>{t}</title></polyline>"#,
            c = colour(i),
            p = points.join(" "),
            t = escape(label)
        );
        if points.len() == 1 {
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{c}"/>"#,
                x = px(x[0]),
                y = py(values[0]),
                c = colour(i)
            );
        }
    }
    let labels: Vec<String> = series.iter().map(|(l, _)| l.clone()).collect();
    legend(&mut out, &labels, frame.height - 6.0);
    out.push_str("</svg>");
    out
}

/// A tick label: integers without decimals.
fn format_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Speedup bins of the distribution: powers of two from 1/16x to 16x.
const BIN_EDGES_LOG2: [f64; 9] = [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0];

/// The share of each series' speedups per bin (below 1/16x and above 16x fold into the
/// outer bins), as grouped bars.
pub fn speedup_histogram(title: &str, series: &[(String, Vec<f64>)]) -> String {
    let bins = BIN_EDGES_LOG2.len() - 1;
    let names: Vec<String> = (0..bins)
        .map(|b| {
            let label = |e: f64| {
                if e < 0.0 {
                    format!("1/{}", 2f64.powf(-e))
                } else {
                    format!("{}", 2f64.powf(e))
                }
            };
            format!(
                "{}-{}x",
                label(BIN_EDGES_LOG2[b]),
                label(BIN_EDGES_LOG2[b + 1])
            )
        })
        .collect();
    let shares = binned_shares(series, bins, |s| {
        (s.log2() - BIN_EDGES_LOG2[0])
            .floor()
            .clamp(0.0, (bins - 1) as f64) as usize
    });
    grouped_bars(title, &names, &shares)
}

/// Per series, the share of its values in each of `bins` bins (`bin_of` picks one).
fn binned_shares(
    series: &[(String, Vec<f64>)],
    bins: usize,
    bin_of: impl Fn(f64) -> usize,
) -> Vec<(String, Vec<f64>)> {
    series
        .iter()
        .map(|(label, values)| {
            let mut counts = vec![0usize; bins];
            for &v in values {
                counts[bin_of(v).min(bins - 1)] += 1;
            }
            let n = values.len().max(1) as f64;
            (
                label.clone(),
                counts.iter().map(|&c| c as f64 / n).collect(),
            )
        })
        .collect()
}

/// Bin edges of the roofline-fraction histogram (the last bin is open: estimates past
/// the roofline).
const ROOFLINE_EDGES: [f64; 8] = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, f64::INFINITY];

/// The share of each series' roofline fractions per bin of [`ROOFLINE_EDGES`], as
/// grouped bars.
pub fn roofline_histogram(title: &str, series: &[(String, Vec<f64>)]) -> String {
    let bins = ROOFLINE_EDGES.len() - 1;
    let percent = |e: f64| format!("{:.0}%", e * 100.0);
    let names: Vec<String> = (0..bins)
        .map(|b| match ROOFLINE_EDGES[b + 1] {
            e if e.is_infinite() => format!("> {}", percent(ROOFLINE_EDGES[b])),
            e => format!("{}-{}", percent(ROOFLINE_EDGES[b]), percent(e)),
        })
        .collect();
    let shares = binned_shares(series, bins, |f| {
        ROOFLINE_EDGES[1..]
            .iter()
            .position(|&upper| f < upper || (upper == 1.0 && f == 1.0))
            .unwrap_or(bins - 1)
    });
    grouped_bars(title, &names, &shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_and_escape_labels() {
        let series = vec![("<model> & co".to_string(), vec![0.5, 1.0])];
        for svg in [
            grouped_bars("t", &["a".into(), "b".into()], &series),
            lines("t", &[0.0, 1.0], "p", &series),
            speedup_histogram("t", &[("m".into(), vec![0.01, 1.5, 100.0])]),
        ] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(!svg.contains("<model>"), "labels are escaped");
        }
    }

    #[test]
    fn the_histogram_folds_the_extremes_into_the_outer_bins() {
        let svg = speedup_histogram("t", &[("m".into(), vec![0.001, 1000.0, 1.5])]);
        assert_eq!(svg.matches(": 33.3%").count(), 3, "{svg}");
    }

    #[test]
    fn the_roofline_histogram_keeps_the_roofline_in_its_last_closed_bin() {
        // 0.05 -> 0%-10%, 1.0 -> 90%-100%, 1.02 -> > 100%, 0.3 -> 25%-50%.
        let svg = roofline_histogram("t", &[("m".into(), vec![0.05, 1.0, 1.02, 0.3])]);
        for bin in [
            "0%-10%: 25.0%",
            "90%-100%: 25.0%",
            "&gt; 100%: 25.0%",
            "25%-50%: 25.0%",
        ] {
            assert!(svg.contains(bin), "{bin} in {svg}");
        }
        assert_eq!(svg.matches(": 0.0%").count(), 3, "{svg}");
    }
}
