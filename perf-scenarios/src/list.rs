//! `list`: the scenarios, their parameters and defaults; the report's plugins and theirs.

use crate::registry;

/// The listing as text.
pub fn render() -> String {
    let mut o = String::new();
    for s in registry::all() {
        o.push_str(&format!("{}\n    {}\n", s.name, s.description));
        o.push_str(&format!(
            "    default load: {} req/s for {}s (open model); SLO: {}\n",
            s.default_rate,
            s.default_duration.as_secs_f64(),
            if s.default_slo.is_empty() {
                "none"
            } else {
                s.default_slo
            }
        ));
        for p in &s.params {
            o.push_str(&format!(
                "    --param {}=<{:?}>  {} [default {}, {} to {}]\n",
                p.name,
                p.kind,
                p.help,
                p.show(p.default),
                p.show(p.min),
                p.show(p.max)
            ));
        }
        o.push('\n');
    }
    match crate::plugins::all(&[]) {
        Ok(plugins) => {
            o.push_str(&format!(
                "report plugins, in page order: {}\n",
                plugins.names().join(", ")
            ));
            for (key, help) in plugins.params() {
                o.push_str(&format!("    --plugin-param {key}=<value>  {help}\n"));
            }
        }
        Err(e) => o.push_str(&format!("report plugins: {e}\n")),
    }
    o
}
