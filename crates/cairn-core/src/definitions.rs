//! Milestone definitions: what a product counts and which thresholds it celebrates.
//!
//! Definitions are written by the product team as TOML (a `cairn.toml` in their repository) or
//! JSON (through the API); both deserialize into [`Definitions`]. [`Definitions::compile`]
//! validates them, reporting *every* problem at once with its path, and returns a
//! [`Compiled`] form indexed by metric, so that evaluating an event costs in proportion to the
//! milestones that watch its metric, not to all milestones.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Placeholders a milestone title may use.
const TITLE_PLACEHOLDERS: &[&str] = &["count", "name"];

/// The product team's definitions, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definitions {
    /// Schema version of this document; only `1` exists so far.
    pub version: u32,
    /// Everything that can be counted.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Ladders: one metric and increasing thresholds, each threshold a milestone.
    #[serde(default)]
    pub ladders: Vec<Ladder>,
}

/// A countable thing, such as `project_created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Stable key, `[a-z0-9_.:-]{1,64}`.
    pub key: String,
    /// Human name, used in plain-words criteria ("10 projects created").
    pub name: String,
    /// Whether a browser (with a user token) may track it; otherwise only the server key may.
    #[serde(default)]
    pub client: bool,
}

/// A ladder of usage milestones on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// Stable key; each step's milestone key is `{key}.{threshold}`.
    pub key: String,
    /// The metric whose total climbs the ladder.
    pub metric: String,
    /// Strictly increasing, each greater than 0.
    pub thresholds: Vec<u64>,
    /// Title of the first step, when it is 1 ("First project!"). Defaults to `title`.
    #[serde(default)]
    pub title_first: Option<String>,
    /// Title of every step, with placeholders `{count}` and `{name}` ("{count} projects!").
    pub title: String,
}

/// One problem found while validating definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where the problem is, e.g. `ladders[0].thresholds`.
    pub path: String,
    /// A plain message, shown to people as it is.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Definitions that could not be read or are invalid.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    /// The text is not TOML/JSON of the expected shape.
    #[error("cannot read definitions: {0}")]
    Syntax(String),
    /// The document is well-formed but has problems; every one is listed.
    #[error("{} problem(s) in definitions: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

/// One milestone after ladders are expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Stable key, e.g. `projects.10`.
    pub key: String,
    /// Metric it watches.
    pub metric: String,
    /// Total at which it is reached.
    pub threshold: u64,
    /// Title with placeholders filled in.
    pub title: String,
}

/// Validated definitions, indexed for evaluation.
#[derive(Debug, Clone)]
pub struct Compiled {
    source: Definitions,
    milestones: Vec<Milestone>,
    /// metric -> indices into `milestones`, ordered by threshold.
    by_metric: BTreeMap<String, Vec<usize>>,
}

impl Definitions {
    /// Reads definitions from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, DefinitionsError> {
        toml::from_str(text).map_err(|e| DefinitionsError::Syntax(e.message().to_owned()))
    }

    /// Reads definitions from JSON text.
    pub fn from_json(text: &str) -> Result<Self, DefinitionsError> {
        serde_json::from_str(text).map_err(|e| DefinitionsError::Syntax(e.to_string()))
    }

    /// Lists every problem, in document order; empty when the definitions are valid.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |path: String, message: String| problems.push(Problem { path, message });
        if self.version != 1 {
            report(
                "version".into(),
                format!("unsupported version {}, expected 1", self.version),
            );
        }
        let mut metric_keys = BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            if !is_valid_key(&m.key) {
                report(
                    format!("metrics[{i}].key"),
                    format!("\"{}\" must match [a-z0-9_.:-]{{1,64}}", m.key),
                );
            }
            if !metric_keys.insert(m.key.as_str()) {
                report(
                    format!("metrics[{i}].key"),
                    format!("duplicate metric \"{}\"", m.key),
                );
            }
        }
        let mut ladder_keys = BTreeSet::new();
        for (i, l) in self.ladders.iter().enumerate() {
            if !is_valid_key(&l.key) {
                report(
                    format!("ladders[{i}].key"),
                    format!("\"{}\" must match [a-z0-9_.:-]{{1,64}}", l.key),
                );
            }
            if !ladder_keys.insert(l.key.as_str()) {
                report(
                    format!("ladders[{i}].key"),
                    format!("duplicate ladder \"{}\"", l.key),
                );
            }
            if !metric_keys.contains(l.metric.as_str()) {
                report(
                    format!("ladders[{i}].metric"),
                    format!("unknown metric \"{}\"", l.metric),
                );
            }
            if l.thresholds.is_empty() {
                report(
                    format!("ladders[{i}].thresholds"),
                    "must not be empty".into(),
                );
            }
            if l.thresholds.contains(&0) {
                report(
                    format!("ladders[{i}].thresholds"),
                    "every threshold must be greater than 0".into(),
                );
            }
            if l.thresholds.windows(2).any(|w| w[0] >= w[1]) {
                report(format!("ladders[{i}].thresholds"), "must increase".into());
            }
            for (field, text) in [
                ("title", Some(&l.title)),
                ("title_first", l.title_first.as_ref()),
            ] {
                if let Some(text) = text {
                    for name in unknown_placeholders(text, TITLE_PLACEHOLDERS) {
                        report(
                            format!("ladders[{i}].{field}"),
                            format!("unknown placeholder {{{name}}}"),
                        );
                    }
                }
            }
        }
        problems
    }

    /// Validates and indexes the definitions.
    pub fn compile(self) -> Result<Compiled, DefinitionsError> {
        let problems = self.validate();
        if !problems.is_empty() {
            return Err(DefinitionsError::Invalid(problems));
        }
        let names: BTreeMap<&str, &str> = self
            .metrics
            .iter()
            .map(|m| (m.key.as_str(), m.name.as_str()))
            .collect();
        let mut milestones = Vec::new();
        for l in &self.ladders {
            let name = names.get(l.metric.as_str()).copied().unwrap_or_default();
            for &threshold in &l.thresholds {
                let template = match (&l.title_first, threshold) {
                    (Some(first), 1) => first,
                    _ => &l.title,
                };
                milestones.push(Milestone {
                    key: format!("{}.{threshold}", l.key),
                    metric: l.metric.clone(),
                    threshold,
                    title: fill(
                        template,
                        &[("count", &threshold.to_string()), ("name", name)],
                    ),
                });
            }
        }
        let mut by_metric: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, m) in milestones.iter().enumerate() {
            by_metric.entry(m.metric.clone()).or_default().push(i);
        }
        for indices in by_metric.values_mut() {
            indices.sort_by_key(|&i| milestones[i].threshold);
        }
        Ok(Compiled {
            source: self,
            milestones,
            by_metric,
        })
    }
}

impl Compiled {
    /// The definitions as written.
    pub fn source(&self) -> &Definitions {
        &self.source
    }

    /// Every milestone, ladders expanded.
    pub fn milestones(&self) -> &[Milestone] {
        &self.milestones
    }

    /// The milestones watching `metric`, by increasing threshold.
    pub fn watching<'a>(&'a self, metric: &str) -> impl Iterator<Item = &'a Milestone> + 'a {
        self.by_metric
            .get(metric)
            .into_iter()
            .flatten()
            .map(|&i| &self.milestones[i])
    }

    /// The metric with this key, if defined.
    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.source.metrics.iter().find(|m| m.key == key)
    }

    /// The milestone with this key, if defined.
    pub fn milestone(&self, key: &str) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.key == key)
    }
}

/// Whether `key` is a valid metric or milestone key: `[a-z0-9_.:-]{1,64}`.
pub fn is_valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b))
}

/// Names of `{placeholders}` in `text` that are not in `known`.
fn unknown_placeholders<'a>(text: &'a str, known: &[&str]) -> Vec<&'a str> {
    placeholders(text)
        .filter(|name| !known.contains(name))
        .collect()
}

fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// Fills `{name}` placeholders; unknown ones are left as they are (validation rejects them).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}
