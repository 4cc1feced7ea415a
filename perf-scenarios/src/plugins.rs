//! The report's plugins: the built-in analyses, then one per file of `plugins/*.rs`
//! (compiled in by the build script, like the scenarios), configured by
//! `report --plugin-param PLUGIN.KEY=VALUE`.

use perf_ml::report::Plugins;

mod files {
    include!(concat!(env!("OUT_DIR"), "/plugins.rs"));
}

/// Every plugin, with `params` (`plugin.key=value`) set; an error is one line naming
/// the file or the parameter.
pub fn all(params: &[String]) -> Result<Plugins, String> {
    let mut p = Plugins::builtin();
    files::register(&mut p).map_err(|(file, e)| format!("{file}: {e}"))?;
    for a in params {
        p.set(a).map_err(|e| e.to_string())?;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_files_follow_the_built_ins_and_take_their_parameters() {
        let p = all(&["apdex.threshold=300ms".into()]).unwrap();
        let names = p.names();
        assert_eq!(names.first(), Some(&"bottlenecks"));
        assert_eq!(names.last(), Some(&"apdex"), "{names:?}");
        for (bad, says) in [
            ("apdex.threshold=300", "with a unit"),
            ("apdex.threshold=0ms", "above zero"),
            ("apdex.threshold=fast", "'fast' is not a duration"),
            ("apdex.speed=1s", "has no parameter 'speed'"),
            ("nope.x=1", "no plugin 'nope' (plugins: bottlenecks, "),
            ("apdex", "expected PLUGIN.KEY=VALUE"),
            ("=1", "expected PLUGIN.KEY=VALUE"),
        ] {
            let e = all(&[bad.into()]).unwrap_err();
            assert!(
                e.contains(says) && e.contains(bad) && !e.contains('\n'),
                "{bad}: {e}"
            );
        }
    }
}
