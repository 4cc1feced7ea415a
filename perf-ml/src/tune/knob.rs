//! A tuned setting: its name, range and scale (`site-workers=1..64:int`,
//! `site-queue=1..1000:log`), and the maps between its values, the optimizer's space
//! (logarithms for a log scale) and the unit interval the models see.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TuneError;

/// How a knob's values are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Any value in the range, spread evenly.
    Linear,
    /// Whole numbers only.
    Int,
    /// Positive values spread evenly in their logarithm (a timeout of 1 .. 1,000 ms).
    Log,
    /// Whole numbers spread evenly in their logarithm (a queue of 1 .. 1,000).
    LogInt,
}

/// One knob: `NAME=LO..HI[:int][:log]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knob {
    /// As the user wrote it: a site option (`site-workers`), a scenario parameter, or a
    /// name the `--apply` command uses (`{replicas}`).
    pub name: String,
    /// Lowest value.
    pub lo: f64,
    /// Highest value.
    pub hi: f64,
    /// How values are spread.
    pub scale: Scale,
}

impl FromStr for Knob {
    type Err = TuneError;

    fn from_str(spec: &str) -> Result<Self, TuneError> {
        let bad = |why: String| TuneError::Knob {
            spec: spec.to_string(),
            why,
        };
        let (name, rest) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=LO..HI[:int][:log]".into()))?;
        let name = name.trim();
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if name.is_empty()
            || !name.chars().all(ident)
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Err(bad(format!(
                "the name '{name}' must start with a letter and hold only letters, digits, '_' and '-'"
            )));
        }
        let mut parts = rest.split(':');
        let range = parts.next().unwrap_or_default();
        let (mut int, mut log) = (false, false);
        for p in parts {
            match p.trim() {
                "int" if !int => int = true,
                "log" if !log => log = true,
                other => {
                    return Err(bad(format!(
                        "unknown or repeated scale ':{other}' (use :int, :log or both)"
                    )))
                }
            }
        }
        let scale = match (int, log) {
            (true, true) => Scale::LogInt,
            (true, false) => Scale::Int,
            (false, true) => Scale::Log,
            (false, false) => Scale::Linear,
        };
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| bad(format!("the range '{range}' is not LO..HI")))?;
        let num = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("'{}' is not a number", s.trim())))
        };
        let (lo, hi) = (num(lo)?, num(hi)?);
        if lo >= hi {
            return Err(bad(format!(
                "the range is empty or inverted: {lo} is not below {hi}"
            )));
        }
        if scale.whole() && (lo.fract() != 0.0 || hi.fract() != 0.0) {
            return Err(bad("an :int range needs whole ends".into()));
        }
        if matches!(scale, Scale::Log | Scale::LogInt) && lo <= 0.0 {
            return Err(bad("a :log range must be above 0".into()));
        }
        Ok(Self {
            name: name.to_string(),
            lo,
            hi,
            scale,
        })
    }
}

impl Scale {
    /// Whether only whole numbers are taken.
    pub fn whole(self) -> bool {
        matches!(self, Self::Int | Self::LogInt)
    }
}

impl Knob {
    /// The optimizer's bounds of this knob: the logarithms of the ends for a log scale.
    pub fn opt_bounds(&self) -> (f64, f64) {
        match self.scale {
            Scale::Log | Scale::LogInt => (self.lo.ln(), self.hi.ln()),
            _ => (self.lo, self.hi),
        }
    }

    /// A value from the optimizer's space: exponentiated for a log scale, rounded for
    /// whole numbers, and kept inside the range.
    pub fn from_opt(&self, x: f64) -> f64 {
        let v = match self.scale {
            Scale::Log => x.exp(),
            Scale::LogInt => x.exp().round(),
            Scale::Int => x.round(),
            Scale::Linear => x,
        };
        v.clamp(self.lo, self.hi)
    }

    /// A value in the optimizer's space.
    pub fn to_opt(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Log | Scale::LogInt => v.ln(),
            _ => v,
        }
    }

    /// Where a value sits in its range, 0 .. 1 in the optimizer's space.
    pub fn unit(&self, v: f64) -> f64 {
        let (a, b) = self.opt_bounds();
        (self.to_opt(v) - a) / (b - a)
    }

    /// The value at `u` (0 .. 1) of the range in the optimizer's space.
    pub fn from_unit(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return self.lo;
        }
        if u >= 1.0 {
            return self.hi;
        }
        let (a, b) = self.opt_bounds();
        self.from_opt(a + u * (b - a))
    }

    /// The value as an option or a command line takes it: a whole number without a
    /// decimal point, else up to 4 significant decimals.
    pub fn show(&self, v: f64) -> String {
        if self.scale.whole() || v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }

    /// The name as an identifier of the cost expression (`-` becomes `_`).
    pub fn ident(&self) -> String {
        self.name.replace('-', "_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_parse_with_their_scale_and_map_to_the_unit_interval() {
        let w: Knob = "site-workers=1..64:int".parse().unwrap();
        assert_eq!((w.lo, w.hi, w.scale), (1.0, 64.0, Scale::Int));
        assert_eq!(w.from_opt(12.4), 12.0);
        assert_eq!(w.show(12.0), "12");
        let q: Knob = "site-queue=1..1000:log:int".parse().unwrap();
        assert_eq!(q.scale, Scale::LogInt);
        assert_eq!(q.from_unit(0.5), 32.0);
        let q: Knob = "site-queue=1..1000:log".parse().unwrap();
        assert!((q.unit(31.622_776_6) - 0.5).abs() < 1e-6);
        assert!((q.from_unit(1.0) - 1000.0).abs() < 1e-9);
        let t: Knob = " site-service-time-ms = 2.5 .. 10".parse().unwrap();
        assert_eq!(
            (t.name.as_str(), t.scale),
            ("site-service-time-ms", Scale::Linear)
        );
        assert_eq!(t.show(3.25), "3.25");
        assert_eq!(t.ident(), "site_service_time_ms");
    }

    #[test]
    fn bad_knobs_are_refused_naming_the_spec() {
        let e = |s: &str| s.parse::<Knob>().unwrap_err().to_string();
        assert!(
            e("workers").contains("expected NAME=LO..HI"),
            "{}",
            e("workers")
        );
        assert!(e("workers=8..8:int").contains("empty or inverted"));
        assert!(e("workers=9..3").contains("empty or inverted"));
        assert!(e("workers=..3").contains("'' is not a number"));
        assert!(e("workers=1..x").contains("'x' is not a number"));
        assert!(e("workers=1..5:float").contains("unknown or repeated scale ':float'"));
        assert!(e("workers=1..5:int:int").contains("repeated"));
        assert!(e("workers=1.5..5:int").contains("whole ends"));
        assert!(e("queue=0..5:log").contains("above 0"));
        assert!(e("9lives=1..5").contains("must start with a letter"));
        assert!(
            e("a b=1..5").starts_with("--knob 'a b=1..5': "),
            "{}",
            e("a b=1..5")
        );
    }
}
