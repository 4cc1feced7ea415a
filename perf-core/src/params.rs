//! Scenario parameters: declared with a type, default and range ([`ParamSpec`]), given
//! on the command line as `k=v` (sweeps: `k=v1,v2`), validated into [`Params`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// A whole number.
    Int,
    /// A decimal number.
    Float,
    /// A size in bytes; accepts `512`, `4k`, `64KiB`, `1m`.
    Bytes,
    /// A duration in milliseconds; accepts `250`, `250ms`, `2s`.
    Millis,
}

/// A declared parameter: what scenario files put in their spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Name used in `--param name=value` and as a `runs.csv` column.
    pub name: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// Its type.
    pub kind: ParamKind,
    /// Default value.
    pub default: f64,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
}

impl ParamSpec {
    /// A whole-number parameter.
    pub const fn int(
        name: &'static str,
        help: &'static str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Self {
        Self {
            name,
            help,
            kind: ParamKind::Int,
            default: default as f64,
            min: min as f64,
            max: max as f64,
        }
    }
    /// A decimal parameter.
    pub const fn float(
        name: &'static str,
        help: &'static str,
        default: f64,
        min: f64,
        max: f64,
    ) -> Self {
        Self {
            name,
            help,
            kind: ParamKind::Float,
            default,
            min,
            max,
        }
    }
    /// A size in bytes.
    pub const fn bytes(
        name: &'static str,
        help: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Self {
        Self {
            name,
            help,
            kind: ParamKind::Bytes,
            default: default as f64,
            min: min as f64,
            max: max as f64,
        }
    }
    /// A duration in milliseconds.
    pub const fn millis(
        name: &'static str,
        help: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Self {
        Self {
            name,
            help,
            kind: ParamKind::Millis,
            default: default as f64,
            min: min as f64,
            max: max as f64,
        }
    }

    /// Parses one value of this parameter.
    pub fn parse(&self, raw: &str) -> Result<f64, ParamError> {
        let bad = |reason: String| ParamError::BadValue {
            name: self.name.to_string(),
            value: raw.to_string(),
            reason,
        };
        let s = raw.trim();
        let v =
            match self.kind {
                ParamKind::Int => s
                    .parse::<i64>()
                    .map(|v| v as f64)
                    .map_err(|_| bad("not a whole number".into()))?,
                ParamKind::Float => s
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad("not a number".into()))?,
                ParamKind::Bytes => parse_bytes(s)
                    .ok_or_else(|| bad("not a size; use 512, 4k, 64KiB or 1m".into()))?,
                ParamKind::Millis => parse_millis(s)
                    .ok_or_else(|| bad("not a duration; use 250, 250ms or 2s".into()))?,
            };
        if v < self.min || v > self.max {
            return Err(bad(format!(
                "must be from {} to {}",
                self.show(self.min),
                self.show(self.max)
            )));
        }
        Ok(v)
    }

    /// A value as the user would write it.
    pub fn show(&self, v: f64) -> String {
        match self.kind {
            ParamKind::Int | ParamKind::Bytes => format!("{}", v as i64),
            ParamKind::Millis => format!("{}ms", v as i64),
            ParamKind::Float => format!("{v}"),
        }
    }
}

fn parse_bytes(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (num, mult) = [
        ("kib", 1024.0),
        ("mib", 1048576.0),
        ("kb", 1000.0),
        ("mb", 1e6),
        ("k", 1024.0),
        ("m", 1048576.0),
        ("b", 1.0),
    ]
    .iter()
    .find_map(|(suf, m)| lower.strip_suffix(suf).map(|n| (n.to_string(), *m)))
    .unwrap_or((lower.clone(), 1.0));
    let v = num.trim().parse::<f64>().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * mult).round())
}

fn parse_millis(s: &str) -> Option<f64> {
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (s, 1.0)
    };
    let v = num.trim().parse::<f64>().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * mult)
}

/// Bad `--param` input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// Not `name=value`.
    #[error("invalid --param '{0}': expected name=value")]
    Syntax(String),
    /// The scenario has no such parameter.
    #[error("unknown parameter '{name}' for scenario '{scenario}'; it takes: {known}")]
    Unknown {
        /// The name given.
        name: String,
        /// The scenario.
        scenario: String,
        /// The parameters it has.
        known: String,
    },
    /// Out of range or not of the type.
    #[error("invalid value '{value}' for parameter '{name}': {reason}")]
    BadValue {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// Validated parameter values of one run (every declared parameter has a value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params(BTreeMap<String, f64>);

impl Params {
    /// Defaults of every declared parameter, with `overrides` (`name=value`) applied.
    pub fn resolve(
        scenario: &str,
        specs: &[ParamSpec],
        overrides: &[(String, String)],
    ) -> Result<Self, ParamError> {
        let mut map: BTreeMap<String, f64> = specs
            .iter()
            .map(|s| (s.name.to_string(), s.default))
            .collect();
        for (k, v) in overrides {
            let spec = find(scenario, specs, k)?;
            map.insert(k.clone(), spec.parse(v)?);
        }
        Ok(Self(map))
    }

    /// Values read back from a results file.
    pub fn from_values(values: impl IntoIterator<Item = (String, f64)>) -> Self {
        Self(values.into_iter().collect())
    }

    /// The value of a declared parameter (0 if it was not declared).
    pub fn get(&self, name: &str) -> f64 {
        self.0.get(name).copied().unwrap_or(0.0)
    }

    /// The value as a whole number.
    pub fn int(&self, name: &str) -> i64 {
        self.get(name) as i64
    }

    /// Every name and value, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(" "))
    }
}

fn find<'a>(
    scenario: &str,
    specs: &'a [ParamSpec],
    name: &str,
) -> Result<&'a ParamSpec, ParamError> {
    specs
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ParamError::Unknown {
            name: name.to_string(),
            scenario: scenario.to_string(),
            known: if specs.is_empty() {
                "no parameters".into()
            } else {
                specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            },
        })
}

/// Splits `name=value` (the value may hold a comma-separated list for sweeps).
pub fn split_assignment(raw: &str) -> Result<(String, String), ParamError> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_string(), v.trim().to_string()))
        }
        _ => Err(ParamError::Syntax(raw.to_string())),
    }
}

/// Every combination of swept values (`size=1k,64k`, `think=0,100`): the cartesian
/// product, in the order given. Each value is checked against its spec.
pub fn grid(
    scenario: &str,
    specs: &[ParamSpec],
    sweeps: &[(String, String)],
) -> Result<Vec<Vec<(String, String)>>, ParamError> {
    let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (k, vs) in sweeps {
        let spec = find(scenario, specs, k)?;
        let values: Vec<&str> = vs
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(ParamError::Syntax(format!("{k}={vs}")));
        }
        for v in &values {
            spec.parse(v)?;
        }
        out = out
            .into_iter()
            .flat_map(|combo| {
                values.iter().map(move |v| {
                    let mut c = combo.clone();
                    c.push((k.clone(), v.to_string()));
                    c
                })
            })
            .collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [ParamSpec; 3] = [
        ParamSpec::bytes("size", "payload", 1024, 0, 1 << 20),
        ParamSpec::float("write_ratio", "writes", 0.1, 0.0, 1.0),
        ParamSpec::millis("think", "think time", 0, 0, 60_000),
    ];

    #[test]
    fn resolves_defaults_and_overrides() {
        let p = Params::resolve(
            "api",
            &SPECS,
            &[("size".into(), "64k".into()), ("think".into(), "2s".into())],
        )
        .unwrap();
        assert_eq!(
            (p.get("size"), p.get("write_ratio"), p.get("think")),
            (65536.0, 0.1, 2000.0)
        );
        assert_eq!(p.to_string(), "size=65536 think=2000 write_ratio=0.1");
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let e = Params::resolve("api", &SPECS, &[("nope".into(), "1".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown parameter 'nope' for scenario 'api'; it takes: size, write_ratio, think"
        );
        let e = Params::resolve("api", &SPECS, &[("size".into(), "2m".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value '2m' for parameter 'size': must be from 0 to 1048576"
        );
        let e =
            Params::resolve("api", &SPECS, &[("write_ratio".into(), "NaN".into())]).unwrap_err();
        assert!(e.to_string().contains("not a number"));
        assert!(split_assignment("size").is_err() && split_assignment("=3").is_err());
    }

    #[test]
    fn grid_is_the_cartesian_product() {
        let g = grid(
            "api",
            &SPECS,
            &[
                ("size".into(), "1k,64k".into()),
                ("think".into(), "0,100,200".into()),
            ],
        )
        .unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[1],
            vec![
                ("size".to_string(), "1k".to_string()),
                ("think".to_string(), "100".to_string())
            ]
        );
        assert!(grid("api", &SPECS, &[("size".into(), "1k,zzz".into())]).is_err());
        assert_eq!(
            grid("api", &SPECS, &[]).unwrap(),
            vec![Vec::<(String, String)>::new()]
        );
    }
}
