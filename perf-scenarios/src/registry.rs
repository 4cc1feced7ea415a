//! The scenarios, generated from `scenarios/*.rs` by the build script.

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

use perf_core::scenario::ScenarioSpec;

/// The scenario of that name, or an error listing the ones there are.
pub fn find(name: &str) -> Result<ScenarioSpec, String> {
    let all = all();
    let names: Vec<&str> = all.iter().map(|s| s.name).collect();
    let list = names.join(", ");
    all.iter()
        .find(|s| s.name == name)
        .cloned()
        .ok_or_else(|| format!("unknown scenario '{name}'; there are: {list}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_registered_under_its_own_name_and_builds() {
        let all = all();
        let names: Vec<&str> = all.iter().map(|s| s.name).collect();
        for with_browser in ["browse", "checkout"] {
            assert!(
                find(with_browser).unwrap().browser.is_some(),
                "{with_browser} has browser steps"
            );
        }
        for required in ["api", "browse", "checkout", "static"] {
            assert!(
                names.contains(&required),
                "{required} missing from {names:?}"
            );
        }
        let mut sorted = names.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "scenario names are unique");
        for s in &all {
            let p = perf_core::Params::resolve(s.name, &s.params, &[]).unwrap();
            let built = (s.build)(&p).unwrap();
            assert!(
                !built.transactions.is_empty(),
                "{} has transactions",
                s.name
            );
            perf_core::parse_slos(s.default_slo).unwrap();
            for spec in &s.params {
                assert!(
                    spec.min <= spec.default && spec.default <= spec.max,
                    "{}.{} default in range",
                    s.name,
                    spec.name
                );
            }
        }
        assert!(find("nope")
            .unwrap_err()
            .contains("api, browse, checkout, static"));
    }
}
