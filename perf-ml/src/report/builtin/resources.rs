//! `resources`: the CPU of the generator, the target (when local) and the machine,
//! sampled each second, points laid end to end.

use serde::Serialize;

use crate::report::charts::{Chart, Series};
use crate::report::html::figure;
use crate::report::{Input, Page, Plugin};

/// One resource sample of one point.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceLine {
    /// The point.
    pub point: usize,
    /// Seconds since the run's first point started (points laid end to end).
    pub t_s: f64,
    /// Generator CPU, % of one core.
    pub gen_cpu_pct: f64,
    /// Target CPU, % of one core (when sampled).
    pub sut_cpu_pct: Option<f64>,
    /// Whole machine, %.
    pub machine_cpu_pct: f64,
}

/// Resource usage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resources;

impl Plugin for Resources {
    type Findings = Vec<ResourceLine>;
    fn name(&self) -> &'static str {
        "resources"
    }
    fn title(&self) -> &'static str {
        "Resource usage"
    }
    fn analyze(&self, input: &Input<'_>) -> Result<Vec<ResourceLine>, String> {
        let mut offset = 0.0;
        let mut lines = Vec::new();
        for d in input.details()? {
            for s in &d.resources {
                lines.push(ResourceLine {
                    point: d.index,
                    t_s: offset + s.t_s,
                    gen_cpu_pct: s.gen_cpu_pct,
                    sut_cpu_pct: s.sut_cpu_pct,
                    machine_cpu_pct: s.machine_cpu_pct,
                });
            }
            offset += d.resources.last().map_or(d.row.duration_s, |s| s.t_s);
        }
        if lines.is_empty() {
            return Err("no resource samples in the points".into());
        }
        Ok(lines)
    }
    fn render(&self, v: &Vec<ResourceLine>, _page: &Page<'_>) -> String {
        let mut c = Chart {
            title: "CPU".into(),
            x_label: "seconds (points end to end)".into(),
            y_label: "% of one core".into(),
            ..Chart::default()
        };
        c.series.push(Series {
            label: "generator".into(),
            points: v.iter().map(|x| (x.t_s, x.gen_cpu_pct)).collect(),
            markers: false,
            color: 0,
        });
        let sut: Vec<(f64, f64)> = v
            .iter()
            .filter_map(|x| x.sut_cpu_pct.map(|c| (x.t_s, c)))
            .collect();
        if !sut.is_empty() {
            c.series.push(Series {
                label: "target".into(),
                points: sut,
                markers: false,
                color: 1,
            });
        }
        c.series.push(Series {
            label: "machine (% of all cores)".into(),
            points: v.iter().map(|x| (x.t_s, x.machine_cpu_pct)).collect(),
            markers: false,
            color: 5,
        });
        figure(
            "chart-resources",
            &c,
            "CPU of the generator, the target (when local) and the whole machine, sampled each second.",
        )
    }
}
