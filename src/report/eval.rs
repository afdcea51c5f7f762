//! `copytrail eval links`: precision and recall of the stored links against labels
//! (`labels.jsonl` of the republication benchmarks: one object per page with `url`, `role`
//! = original | copy | unrelated, and on copies `original_url`, `transform`, `credited`,
//! optionally `lang`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{LinkRow, ReportError};

/// One labelled page.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    /// Page URL.
    pub url: String,
    /// original | copy | unrelated.
    pub role: String,
    /// For copies: the page it was taken from.
    #[serde(default)]
    pub original_url: Option<String>,
    /// For copies: full, light_edit, boilerplate, excerpt, shuffled, translation.
    #[serde(default)]
    pub transform: Option<String>,
    /// For copies: whether it credits its original.
    #[serde(default)]
    pub credited: Option<bool>,
    /// The page's language (cross-language sets).
    #[serde(default)]
    pub lang: Option<String>,
}

/// Reads a labels file; lines that do not parse are errors.
///
/// # Errors
/// I/O errors, a message naming the bad line, or a file without any label.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let labels: Vec<Label> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect::<Result<_, _>>()?;
    if labels.is_empty() {
        return Err(format!(
            "{}: no labels (nothing to evaluate)",
            path.display()
        ));
    }
    Ok(labels)
}

/// The origin domains of an evaluation run, sorted: the hosts of labelled originals, plus every
/// labelled host outside `.example` that carries no labelled copy (the benchmarks' real
/// publishers; in the republication set that is every host outside `.example`).
pub fn origin_hosts(labels: &[Label]) -> Vec<String> {
    let host = |u: &str| url::Url::parse(u).ok()?.host_str().map(str::to_string);
    let copy_hosts: std::collections::HashSet<String> = labels
        .iter()
        .filter(|l| l.role == "copy")
        .filter_map(|l| host(&l.url))
        .collect();
    let mut hosts: Vec<String> = labels
        .iter()
        .filter_map(|l| {
            let h = host(&l.url)?;
            let publisher = !(h.ends_with(".example") || copy_hosts.contains(&h));
            (l.role == "original" || publisher).then_some(h)
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Precision/recall of one group of labelled copies.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    /// Labelled copies.
    pub copies: usize,
    /// Of those, linked to the right original.
    pub found: usize,
    /// found / copies (0..1).
    pub recall: f64,
}

/// The evaluation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkEval {
    /// Links predicted.
    pub predicted: usize,
    /// Labelled (copy, original) pairs.
    pub labelled: usize,
    /// Predicted pairs that are labelled.
    pub correct: usize,
    /// correct / predicted.
    pub precision: f64,
    /// correct / labelled.
    pub recall: f64,
    /// F1 of the two.
    pub f1: f64,
    /// Per transform.
    pub by_transform: BTreeMap<String, Group>,
    /// Per language of the copy (when labelled).
    pub by_lang: BTreeMap<String, Group>,
    /// Links whose copy or original is labelled `unrelated`.
    pub unrelated_linked: usize,
    /// Correct links whose `credited` matches the label.
    pub credited_agree: usize,
    /// credited_agree / correct (0..1).
    pub credited_accuracy: f64,
    /// The wrong links: (copy_url, predicted original, labelled original or role).
    pub false_links: Vec<(String, String, String)>,
    /// Labelled copies not linked to their original: (copy_url, transform).
    pub missed: Vec<(String, String)>,
}

/// Compares links with labels.
pub fn evaluate(links: &[LinkRow], labels: &[Label]) -> LinkEval {
    let by_url: HashMap<&str, &Label> = labels.iter().map(|l| (l.url.as_str(), l)).collect();
    let gold: HashSet<(&str, &str)> = labels
        .iter()
        .filter(|l| l.role == "copy")
        .filter_map(|l| Some((l.url.as_str(), l.original_url.as_deref()?)))
        .collect();
    let mut ev = LinkEval {
        predicted: links.len(),
        labelled: gold.len(),
        ..Default::default()
    };
    let mut found: HashSet<&str> = HashSet::new();
    for l in links {
        let pair = (l.copy_url.as_str(), l.original_url.as_str());
        let copy_label = by_url.get(l.copy_url.as_str());
        let orig_label = by_url.get(l.original_url.as_str());
        if copy_label.is_some_and(|c| c.role == "unrelated")
            || orig_label.is_some_and(|o| o.role == "unrelated")
        {
            ev.unrelated_linked += 1;
        }
        if gold.contains(&pair) {
            ev.correct += 1;
            found.insert(pair.0);
            if copy_label.and_then(|c| c.credited) == Some(l.credited) {
                ev.credited_agree += 1;
            }
        } else {
            let truth = match copy_label {
                Some(c) if c.role == "copy" => c.original_url.clone().unwrap_or_default(),
                Some(c) => format!("({} page)", c.role),
                None => "(unlabelled page)".into(),
            };
            ev.false_links
                .push((l.copy_url.clone(), l.original_url.clone(), truth));
        }
    }
    for l in labels.iter().filter(|l| l.role == "copy") {
        let hit = found.contains(l.url.as_str());
        let t = l.transform.clone().unwrap_or_else(|| "-".into());
        let g = ev.by_transform.entry(t.clone()).or_default();
        g.copies += 1;
        g.found += hit as usize;
        if let Some(lang) = &l.lang {
            let g = ev.by_lang.entry(lang.clone()).or_default();
            g.copies += 1;
            g.found += hit as usize;
        }
        if !hit {
            ev.missed.push((l.url.clone(), t));
        }
    }
    for g in ev.by_transform.values_mut().chain(ev.by_lang.values_mut()) {
        g.recall = ratio(g.found, g.copies);
    }
    ev.precision = ratio(ev.correct, ev.predicted);
    ev.recall = ratio(ev.correct, ev.labelled);
    ev.f1 = if ev.precision + ev.recall > 0.0 {
        2.0 * ev.precision * ev.recall / (ev.precision + ev.recall)
    } else {
        0.0
    };
    ev.credited_accuracy = ratio(ev.credited_agree, ev.correct);
    ev
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Prints the evaluation as text.
///
/// # Errors
/// Output errors.
pub fn write_eval(ev: &LinkEval, out: &mut dyn Write) -> Result<(), ReportError> {
    writeln!(
        out,
        "links: {} predicted, {} labelled, {} correct",
        ev.predicted, ev.labelled, ev.correct
    )?;
    writeln!(
        out,
        "precision {:.4}  recall {:.4}  F1 {:.4}",
        ev.precision, ev.recall, ev.f1
    )?;
    writeln!(
        out,
        "credited matches labels on {:.4} of correct links ({}/{})",
        ev.credited_accuracy, ev.credited_agree, ev.correct
    )?;
    writeln!(
        out,
        "links touching an unrelated page: {}",
        ev.unrelated_linked
    )?;
    writeln!(out, "recall per transform:")?;
    for (t, g) in &ev.by_transform {
        writeln!(out, "  {t:<12} {:.4} ({}/{})", g.recall, g.found, g.copies)?;
    }
    if !ev.by_lang.is_empty() {
        writeln!(out, "recall per language:")?;
        for (t, g) in &ev.by_lang {
            writeln!(out, "  {t:<12} {:.4} ({}/{})", g.recall, g.found, g.copies)?;
        }
    }
    if !ev.false_links.is_empty() {
        writeln!(out, "false links ({}):", ev.false_links.len())?;
        for (c, o, t) in &ev.false_links {
            writeln!(out, "  {c}\n    -> {o}\n    labelled: {t}")?;
        }
    }
    Ok(())
}
