//! The cost of a configuration: an expression over the knobs
//! (`site-workers * 0.05 + site-queue * 0.001`), parsed by `evalexpr`. A knob's name
//! may hold `-`; the expression names it as written, or with `_` for `-`.

use evalexpr::{
    build_operator_tree, ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node,
    Value,
};

use super::knob::Knob;
use super::TuneError;

/// A parsed cost expression whose every variable is a knob.
#[derive(Debug, Clone)]
pub struct Cost {
    source: String,
    tree: Node<DefaultNumericTypes>,
    idents: Vec<String>,
}

impl Cost {
    /// Parses `source` over `knobs`; refuses an expression that does not parse, names
    /// something that is not a knob, or is not a finite number at the ranges' ends.
    pub fn parse(source: &str, knobs: &[Knob]) -> Result<Self, TuneError> {
        let bad = |why: String| TuneError::Cost {
            expr: source.to_string(),
            why,
        };
        if source.trim().is_empty() {
            return Err(bad("it is empty".into()));
        }
        let tree = build_operator_tree::<DefaultNumericTypes>(&identifiers(source, knobs))
            .map_err(|e| bad(e.to_string()))?;
        let idents: Vec<String> = knobs.iter().map(Knob::ident).collect();
        if let Some(unknown) = tree
            .iter_variable_identifiers()
            .find(|v| !idents.iter().any(|i| i == v))
        {
            let names: Vec<&str> = knobs.iter().map(|k| k.name.as_str()).collect();
            return Err(bad(format!(
                "'{unknown}' is not a knob (knobs: {})",
                names.join(", ")
            )));
        }
        let cost = Self {
            source: source.to_string(),
            tree,
            idents,
        };
        for corner in [
            knobs.iter().map(|k| k.lo).collect::<Vec<_>>(),
            knobs.iter().map(|k| k.hi).collect(),
        ] {
            cost.eval(&corner).map_err(|e| match e {
                TuneError::Cost { why, .. } => bad(why),
                other => other,
            })?;
        }
        Ok(cost)
    }

    /// The expression as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The cost of `values` (one per knob, in the knobs' order).
    pub fn eval(&self, values: &[f64]) -> Result<f64, TuneError> {
        let bad = |why: String| TuneError::Cost {
            expr: self.source.clone(),
            why,
        };
        let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
        for (name, v) in self.idents.iter().zip(values) {
            ctx.set_value(name.clone(), Value::from_float(*v))
                .map_err(|e| bad(e.to_string()))?;
        }
        let v = self
            .tree
            .eval_number_with_context(&ctx)
            .map_err(|e| bad(e.to_string()))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(bad(format!("it is {v} at {values:?}")))
        }
    }
}

/// `source` with each knob's name written as its identifier (`site-workers` →
/// `site_workers`) where it stands alone, longest names first.
fn identifiers(source: &str, knobs: &[Knob]) -> String {
    let mut named: Vec<&Knob> = knobs.iter().filter(|k| k.name.contains('-')).collect();
    named.sort_by_key(|k| std::cmp::Reverse(k.name.len()));
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = source.to_string();
    for k in named {
        let mut s = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&k.name) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + k.name.len()..].chars().next();
            s.push_str(&rest[..at]);
            if before.is_some_and(word) || after.is_some_and(word) {
                s.push_str(&k.name);
            } else {
                s.push_str(&k.ident());
            }
            rest = &rest[at + k.name.len()..];
        }
        s.push_str(rest);
        out = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs() -> Vec<Knob> {
        [
            "site-workers=1..64:int",
            "site-queue=1..1000:log",
            "replicas=1..10:int",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
    }

    #[test]
    fn a_cost_names_knobs_as_written_or_with_underscores() {
        let c = Cost::parse(
            "site-workers * 0.05 + site_queue * 0.001 + 2*replicas",
            &knobs(),
        )
        .unwrap();
        assert!((c.eval(&[10.0, 100.0, 3.0]).unwrap() - 6.6).abs() < 1e-12);
        let c = Cost::parse("site-workers-replicas", &knobs()).unwrap();
        assert_eq!(c.eval(&[10.0, 100.0, 3.0]).unwrap(), 7.0);
        let c = Cost::parse("math::ln(site-queue) + 1", &knobs()).unwrap();
        assert!((c.eval(&[1.0, 1.0, 1.0]).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_costs_are_refused_with_the_reason() {
        let e = |s: &str| Cost::parse(s, &knobs()).unwrap_err().to_string();
        assert!(e("").contains("empty"));
        assert!(
            e("site-workers *").starts_with("--cost 'site-workers *': "),
            "{}",
            e("site-workers *")
        );
        assert!(e("workers * 2")
            .contains("'workers' is not a knob (knobs: site-workers, site-queue, replicas)"));
        assert!(
            e("1 / (site-workers - 1)").contains("inf"),
            "{}",
            e("1 / (site-workers - 1)")
        );
        assert!(
            e("site-workers > 3").contains("Boolean"),
            "{}",
            e("site-workers > 3")
        );
    }
}
