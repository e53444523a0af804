//! Skipped tests say so loudly.

/// Says, past the test harness's output capture (which only catches `print!`/`eprint!`), that a
/// kind of test was skipped and how to run it; once per test binary and kind.
pub fn skip_loudly(kind: &str, why: &str, how: &str) {
    use std::io::Write;
    use std::sync::Mutex;
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|k| k == kind) {
        return;
    }
    said.push(kind.to_owned());
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! SKIPPED: the {kind} tests of this binary did NOT run: {why}\n\
         !!!!!!!! to run them: {how}\n"
    );
}
