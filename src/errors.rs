//! An error on one line with its causes, where `main`'s one cause a line
//! does not fit: logs, the TUI's message line, `/healthz`. Each error's own
//! text leaves its cause to the chain, so the causes are joined here.

/// `err` and every cause under it, joined by ": ".
pub fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
