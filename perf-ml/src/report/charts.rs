//! The report's charts as inline SVG (plotters' SVG backend; text is SVG `<text>`, so
//! nothing is fetched and no font file is needed).

use plotters::prelude::*;

/// One line or set of markers.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Markers instead of a line.
    pub markers: bool,
    /// Palette index.
    pub color: usize,
}

/// A chart: axes, series, and shaded areas.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Lines and markers.
    pub series: Vec<Series>,
    /// A band around a line: (x, low, high), drawn under the series.
    pub band: Vec<(f64, f64, f64)>,
    /// Vertical shaded spans (x from, x to, palette index, label).
    pub spans: Vec<(f64, f64, usize, String)>,
    /// Horizontal reference lines (y, label).
    pub hlines: Vec<(f64, String)>,
    /// The band's legend [default: "90% interval"].
    pub band_label: Option<String>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

impl Chart {
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.band.iter().map(|b| b.0))
            .chain(self.spans.iter().flat_map(|s| [s.0, s.1]));
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(self.band.iter().flat_map(|b| [b.1, b.2]))
            .chain(self.hlines.iter().map(|h| h.0));
        let fold = |it: &mut dyn Iterator<Item = f64>| {
            it.filter(|v| v.is_finite())
                .fold(None, |acc: Option<(f64, f64)>, v| {
                    Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v))))
                })
        };
        let (x0, x1) = fold(&mut xs.into_iter())?;
        let (_, y1) = fold(&mut ys.into_iter())?;
        let pad = |a: f64, b: f64| if b > a { (a, b) } else { (a - 1.0, b + 1.0) };
        Some((pad(x0, x1), (0.0, if y1 > 0.0 { y1 * 1.08 } else { 1.0 })))
    }

    /// The chart as an SVG document, or why it cannot be drawn.
    pub fn svg(&self, size: (u32, u32)) -> Result<String, String> {
        let ((x0, x1), (y0, y1)) = self.ranges().ok_or("no data to plot")?;
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
            let e = |e: DrawingAreaErrorKind<_>| e.to_string();
            root.fill(&WHITE).map_err(e)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(e)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(e)?;
            for (a, b, c, label) in &self.spans {
                let c = color(*c);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(*a, y0), (*b, y1)],
                        c.mix(0.18).filled(),
                    )))
                    .map_err(e)?
                    .label(label.clone())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.mix(0.3).filled())
                    });
            }
            if !self.band.is_empty() {
                let mut poly: Vec<(f64, f64)> = self.band.iter().map(|b| (b.0, b.2)).collect();
                poly.extend(self.band.iter().rev().map(|b| (b.0, b.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        color(0).mix(0.15).filled(),
                    )))
                    .map_err(e)?
                    .label(self.band_label.as_deref().unwrap_or("90% interval"))
                    .legend(|(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], color(0).mix(0.2).filled())
                    });
            }
            for (y, label) in &self.hlines {
                chart
                    .draw_series(LineSeries::new([(x0, *y), (x1, *y)], BLACK.stroke_width(1)))
                    .map_err(e)?
                    .label(label.clone())
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], BLACK));
            }
            for s in &self.series {
                let c = color(s.color);
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .collect();
                let drawn = if s.markers {
                    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.filled())))
                } else {
                    chart.draw_series(LineSeries::new(pts, c.stroke_width(2)))
                };
                drawn
                    .map_err(e)?
                    .label(s.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 14, y)], c.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(e)?;
            root.present().map_err(e)?;
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_series_bands_and_spans_into_svg() {
        let c = Chart {
            title: "p95 vs load".into(),
            x_label: "req/s".into(),
            y_label: "ms".into(),
            series: vec![Series {
                label: "p95".into(),
                points: vec![(1.0, 2.0), (2.0, 3.0)],
                markers: true,
                color: 0,
            }],
            band: vec![(1.0, 1.5, 2.5), (2.0, 2.5, 3.5)],
            spans: vec![(1.2, 1.4, 1, "stall".into())],
            hlines: vec![(3.2, "SLO".into())],
            band_label: None,
        };
        let svg = c.svg((600, 300)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("p95 vs load") && svg.contains("<circle"),
            "{svg}"
        );
        assert_eq!(
            Chart::default().svg((10, 10)).unwrap_err(),
            "no data to plot"
        );
    }
}
