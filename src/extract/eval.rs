//! The article-body metric of the scrapinghub article-extraction-benchmark
//! (<https://github.com/scrapinghub/article-extraction-benchmark>, `evaluate.py`), re-implemented.
//!
//! Tokens are `\w+` matches (Unicode word characters, case-sensitive). A text becomes the multiset
//! of its overlapping 4-token shingles (a text shorter than 4 tokens is one shingle). Per page,
//! tp = size of the multiset intersection of predicted and true shingles, fp = predicted − tp,
//! fn = true − tp, each divided by tp+fp+fn. Precision = tp/(tp+fp) averaged over pages with a
//! non-empty prediction; recall = tp/(tp+fn) averaged over all pages (empty prediction = recall
//! 0); F1 = harmonic mean of the two averages. Exact-match accuracy = share of pages whose
//! predicted shingle multiset equals the true one.

use std::collections::HashMap;

/// `\w+` tokens: maximal runs of alphanumeric characters and `_` (an approximation of Python
/// `re`'s Unicode `\w`, which the benchmark uses; they differ only on some combining marks).
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let w = c.is_alphanumeric() || c == '_';
        match (w, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Multiset of 4-token shingles (one shingle of all tokens if fewer than 4; none if empty).
pub fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let t = tokens(text);
    let mut m = HashMap::new();
    if t.is_empty() {
        return m;
    }
    if t.len() < 4 {
        *m.entry(t).or_insert(0) += 1;
        return m;
    }
    for w in t.windows(4) {
        *m.entry(w.to_vec()).or_insert(0) += 1;
    }
    m
}

/// Per-page counts: (tp, fp, fn) as fractions of tp+fp+fn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageScore {
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
    /// Prediction had at least one token.
    pub predicted: bool,
    /// Shingle multisets are equal.
    pub exact: bool,
}

impl PageScore {
    /// Precision of this page (1 when nothing was predicted and nothing expected).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fp)
        }
    }
    /// Recall of this page.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fn_)
        }
    }
    /// Per-page F1 (for ranking the worst pages).
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Scores one page.
pub fn score_page(predicted: &str, truth: &str) -> PageScore {
    let p = shingles(predicted);
    let t = shingles(truth);
    let np: usize = p.values().sum();
    let nt: usize = t.values().sum();
    let mut tp = 0usize;
    for (k, c) in &p {
        if let Some(c2) = t.get(k) {
            tp += (*c).min(*c2);
        }
    }
    let fp = np - tp;
    let fn_ = nt - tp;
    let total = (tp + fp + fn_).max(1) as f64;
    PageScore {
        tp: tp as f64 / total,
        fp: fp as f64 / total,
        fn_: fn_ as f64 / total,
        predicted: np > 0,
        exact: p == t,
    }
}

/// Aggregate figures over pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub pages: usize,
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
    /// Pages with an empty prediction.
    pub empty: usize,
}

/// Averages page scores as the benchmark does.
pub fn summarize(scores: &[PageScore]) -> Summary {
    let n = scores.len().max(1) as f64;
    let predicted: Vec<&PageScore> = scores.iter().filter(|s| s.predicted).collect();
    let precision = if predicted.is_empty() {
        0.0
    } else {
        predicted.iter().map(|s| s.precision()).sum::<f64>() / predicted.len() as f64
    };
    let recall = scores.iter().map(|s| s.recall()).sum::<f64>() / n;
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Summary {
        pages: scores.len(),
        f1,
        precision,
        recall,
        accuracy: scores.iter().filter(|s| s.exact).count() as f64 / n,
        empty: scores.len() - predicted.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unicode_words() {
        assert_eq!(
            tokens("Hello, wörld! 3.5 — Город_x"),
            vec!["Hello", "wörld", "3", "5", "Город_x"]
        );
    }

    #[test]
    fn page_scores() {
        let s = score_page("a b c d e", "a b c d e");
        assert!(s.exact && s.precision() == 1.0 && s.recall() == 1.0);
        // predicted: abcd bcde; truth: abcd bcdf → tp 1, fp 1, fn 1.
        let s = score_page("a b c d e", "a b c d f");
        assert!((s.precision() - 0.5).abs() < 1e-9);
        assert!((s.recall() - 0.5).abs() < 1e-9);
        let s = score_page("", "a b c d");
        assert!(!s.predicted && s.recall() == 0.0);
        let s = score_page("x y", "x y");
        assert!(s.exact);
    }

    #[test]
    fn summary_excludes_empty_predictions_from_precision() {
        let sum = summarize(&[score_page("a b c d", "a b c d"), score_page("", "a b c d")]);
        assert_eq!(sum.precision, 1.0);
        assert_eq!(sum.recall, 0.5);
        assert_eq!(sum.empty, 1);
        assert!((sum.f1 - 2.0 / 3.0).abs() < 1e-9);
    }
}
