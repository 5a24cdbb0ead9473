//! Charts as PNG, drawn in-process with plotters and the bundled DejaVu Sans font (no system
//! fonts, no network): a line per series over the days of a window.
use std::sync::Once;

use chrono::NaiveDate;
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 560;
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// One line: a label and a value per day.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(NaiveDate, f64)>,
}

#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn font() -> Result<(), ChartError> {
    // plotters keeps its fonts in its own registry; the bundled one is added once per process.
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            result = Err(ChartError("the bundled font could not be loaded".into()));
        }
    });
    result
}

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// A line chart of `series` over their days, with `title`, as PNG bytes.
pub fn lines(title: &str, series: &[Series]) -> Result<Vec<u8>, ChartError> {
    font()?;
    let days: Vec<NaiveDate> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(d, _)| *d))
        .collect();
    let (Some(first), Some(last)) = (days.iter().min().copied(), days.iter().max().copied()) else {
        return Err(ChartError("nothing to draw".into()));
    };
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(_, v)| *v))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.1;
    let span = (last - first).num_days().max(1);
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 28))
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0i64..span, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| {
                (first + chrono::Duration::days(*x))
                    .format("%m-%d")
                    .to_string()
            })
            .label_style(("sans-serif", 16))
            .draw()
            .map_err(err)?;
        let colors = [
            RGBColor(37, 99, 235),
            RGBColor(22, 163, 74),
            RGBColor(220, 38, 38),
        ];
        for (i, s) in series.iter().enumerate() {
            let color = colors[i % colors.len()];
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|(d, v)| ((*d - first).num_days(), *v)),
                    color.stroke_width(3),
                ))
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(&rgb).map_err(err)?;
    }
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_a_png_of_the_expected_size() {
        let day = |n| NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + chrono::Duration::days(n);
        let series = vec![
            Series {
                label: "new users".into(),
                points: (0..30).map(|n| (day(n), (n % 7) as f64)).collect(),
            },
            Series {
                label: "revenue".into(),
                points: (0..30).map(|n| (day(n), n as f64 * 1.5)).collect(),
            },
        ];
        let png = lines("Last 30 days", &series).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), WIDTH);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), HEIGHT);
        assert!(lines("empty", &[]).is_err());
    }
}
