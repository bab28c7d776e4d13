//! Rendering an error with its causes on one line, for log fields and status files.
//!
//! Both binaries log errors whose `Display` is only the outermost layer (reqwest's "error
//! sending request" says nothing about *why*); the causes are what an operator needs.

/// An error and its causes, `: `-joined ("error sending request: …: Connection refused").
///
/// For an `anyhow::Error` prefer `format!("{e:#}")`, which prints the same chain.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_cause_is_joined_in_order() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer: inner");
        assert_eq!(error_chain(&std::io::Error::other("alone")), "alone");
    }
}
