//! The plugin seam: an analysis of a results directory is a [`Plugin`]. It reads the
//! directory through an [`Input`], returns typed findings (serialized into `report.json`
//! under its name), or the reason it has none, and renders its section of `report.html`
//! from its findings, reading other plugins' findings through the [`Page`].
//!
//! [`Plugins`] is the ordered registry: [`Plugins::builtin`] holds every analysis of
//! the built-in report, in page order; user plugins are pushed after them, and
//! parameters are set as `plugin.key=value` before anything is read.

use std::any::Any;

use serde::Serialize;

use super::input::Input;

/// An analysis: what it finds and how its section looks.
pub trait Plugin {
    /// What the analysis finds; written into `report.json` under [`Plugin::name`].
    type Findings: Serialize + 'static;

    /// The key in `report.json` and the section's HTML id: lower-case letters, digits
    /// and `_`, unique among the registered plugins.
    fn name(&self) -> &'static str;

    /// The section's heading.
    fn title(&self) -> &'static str;

    /// The analysis: its findings, or one line saying why there are none (the report
    /// keeps that line in the section's place).
    fn analyze(&self, input: &Input<'_>) -> Result<Self::Findings, String>;

    /// The section's HTML below its heading. Text from the data must be escaped
    /// ([`super::html::esc`]); [`super::html`] has tables and charts.
    fn render(&self, findings: &Self::Findings, page: &Page<'_>) -> String;

    /// One line for the console, when the findings have a headline.
    fn summary(&self, _findings: &Self::Findings) -> Option<String> {
        None
    }

    /// The parameters [`Plugin::set`] takes: (key, what it means and its default).
    fn params(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Sets a parameter from its text; an error says what is wrong with the value.
    fn set(&mut self, key: &str, _value: &str) -> Result<(), String> {
        Err(format!("has no parameter '{key}'"))
    }
}

/// What goes wrong when plugins are registered or configured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PluginError {
    /// Two plugins of one name, or a name `report.json` uses for itself.
    #[error("plugin name '{0}' is taken (names are unique and not one of {RESERVED:?})")]
    Taken(String),
    /// A name of other characters than lower-case letters, digits and `_`.
    #[error("plugin name '{0}': use lower-case letters, digits and _")]
    BadName(String),
    /// `--plugin-param` without `plugin.key=value`.
    #[error("plugin parameter '{0}': expected PLUGIN.KEY=VALUE, such as apdex.threshold=300ms")]
    Syntax(String),
    /// A parameter for a plugin that is not registered.
    #[error("plugin parameter '{given}': no plugin '{plugin}' (plugins: {known})")]
    Unknown {
        /// The assignment as given.
        given: String,
        /// The plugin it names.
        plugin: String,
        /// The registered plugins.
        known: String,
    },
    /// The plugin refused the key or the value.
    #[error("plugin parameter '{given}': {plugin} {why}")]
    Refused {
        /// The assignment as given.
        given: String,
        /// The plugin.
        plugin: String,
        /// Its reason.
        why: String,
    },
}

/// Top-level keys of `report.json` that are not plugins.
pub const RESERVED: [&str; 7] = [
    "scenario",
    "dir",
    "generated_at",
    "points",
    "limits",
    "plugins",
    "schema",
];

/// One plugin's outcome, typed (for other plugins' sections) and serialized.
pub(crate) struct Outcome {
    pub findings: Result<Box<dyn Any>, String>,
    pub json: Option<serde_json::Value>,
    pub summary: Option<String>,
}

/// [`Plugin`] with its findings' type erased, so plugins of any type share a list.
pub(crate) trait Erased {
    fn name(&self) -> &'static str;
    fn title(&self) -> &'static str;
    fn run(&self, input: &Input<'_>) -> Outcome;
    fn render(&self, findings: &dyn Any, page: &Page<'_>) -> String;
    fn params(&self) -> Vec<(&'static str, &'static str)>;
    fn set(&mut self, key: &str, value: &str) -> Result<(), String>;
}

impl<P: Plugin> Erased for P {
    fn name(&self) -> &'static str {
        Plugin::name(self)
    }
    fn title(&self) -> &'static str {
        Plugin::title(self)
    }
    fn run(&self, input: &Input<'_>) -> Outcome {
        match self.analyze(input) {
            Ok(f) => match serde_json::to_value(&f) {
                Ok(json) => Outcome {
                    summary: self.summary(&f),
                    json: Some(json),
                    findings: Ok(Box::new(f)),
                },
                Err(e) => Outcome {
                    findings: Err(format!("its findings do not serialize: {e}")),
                    json: None,
                    summary: None,
                },
            },
            Err(why) => Outcome {
                findings: Err(why),
                json: None,
                summary: None,
            },
        }
    }
    fn render(&self, findings: &dyn Any, page: &Page<'_>) -> String {
        match findings.downcast_ref::<P::Findings>() {
            Some(f) => Plugin::render(self, f, page),
            None => unreachable!("a plugin renders the findings it made"),
        }
    }
    fn params(&self) -> Vec<(&'static str, &'static str)> {
        Plugin::params(self)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        Plugin::set(self, key, value)
    }
}

/// Every plugin's findings while sections are rendered.
#[derive(Debug)]
pub struct Page<'a> {
    /// The report being rendered (its points, limits and sections' JSON).
    pub report: &'a super::Report,
    pub(crate) typed: &'a [(&'static str, Option<&'a dyn Any>)],
}

impl Page<'_> {
    /// The findings of the plugin `name`, when it made some of type `T`.
    pub fn findings<T: 'static>(&self, name: &str) -> Option<&T> {
        self.typed
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, f)| f.and_then(|f| f.downcast_ref::<T>()))
    }
}

/// The registered plugins, in page order.
pub struct Plugins {
    pub(crate) list: Vec<Box<dyn Erased>>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Plugins {
    /// No plugins.
    pub fn empty() -> Self {
        Self { list: Vec::new() }
    }

    /// The built-in report's analyses ([`super::builtin`]), in page order.
    pub fn builtin() -> Self {
        let mut p = Self::empty();
        super::builtin::register(&mut p).expect("built-in plugin names are unique");
        p
    }

    /// Adds `plugin` after the others.
    pub fn push(&mut self, plugin: impl Plugin + 'static) -> Result<(), PluginError> {
        let name = Plugin::name(&plugin);
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(PluginError::BadName(name.to_string()));
        }
        if RESERVED.contains(&name) || self.names().contains(&name) {
            return Err(PluginError::Taken(name.to_string()));
        }
        self.list.push(Box::new(plugin));
        Ok(())
    }

    /// The plugins' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|p| p.name()).collect()
    }

    /// Every plugin's parameters: (`plugin.key`, what it means).
    pub fn params(&self) -> Vec<(String, &'static str)> {
        self.list
            .iter()
            .flat_map(|p| {
                p.params()
                    .into_iter()
                    .map(|(k, help)| (format!("{}.{k}", p.name()), help))
            })
            .collect()
    }

    /// Sets a parameter from `plugin.key=value` (as `report --plugin-param` takes it).
    pub fn set(&mut self, assignment: &str) -> Result<(), PluginError> {
        let syntax = || PluginError::Syntax(assignment.to_string());
        let (target, value) = assignment.split_once('=').ok_or_else(syntax)?;
        let (plugin, key) = target.trim().split_once('.').ok_or_else(syntax)?;
        if plugin.is_empty() || key.is_empty() {
            return Err(syntax());
        }
        let known = self.names().join(", ");
        let p = self
            .list
            .iter_mut()
            .find(|p| p.name() == plugin)
            .ok_or_else(|| PluginError::Unknown {
                given: assignment.to_string(),
                plugin: plugin.to_string(),
                known,
            })?;
        p.set(key, value.trim())
            .map_err(|why| PluginError::Refused {
                given: assignment.to_string(),
                plugin: plugin.to_string(),
                why,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl Plugin for Named {
        type Findings = ();
        fn name(&self) -> &'static str {
            self.0
        }
        fn title(&self) -> &'static str {
            "named"
        }
        fn analyze(&self, _input: &Input<'_>) -> Result<(), String> {
            Ok(())
        }
        fn render(&self, _findings: &(), _page: &Page<'_>) -> String {
            String::new()
        }
    }

    #[test]
    fn names_are_unique_plain_and_not_the_reports_own_keys() {
        let mut p = Plugins::builtin();
        let builtin = p.names();
        assert_eq!(builtin.len(), 15, "{builtin:?}");
        assert_eq!(p.push(Named("mine_2")), Ok(()));
        assert_eq!(
            p.push(Named("mine_2")),
            Err(PluginError::Taken("mine_2".into()))
        );
        assert_eq!(
            p.push(Named("model")),
            Err(PluginError::Taken("model".into()))
        );
        assert_eq!(
            p.push(Named("points")),
            Err(PluginError::Taken("points".into()))
        );
        for bad in ["", "Apdex", "a-b", "a.b"] {
            assert_eq!(p.push(Named(bad)), Err(PluginError::BadName(bad.into())));
        }
        assert_eq!(p.names().len(), builtin.len() + 1);
        // A plugin without parameters refuses any.
        let e = p.set("mine_2.x=1").unwrap_err().to_string();
        assert_eq!(
            e,
            "plugin parameter 'mine_2.x=1': mine_2 has no parameter 'x'"
        );
    }
}
