//! `cargo xtask test`: makes a fresh Debian machine ready (PostgreSQL,
//! Chromium + ChromeDriver, CJK fonts) and runs every suite of the workspace.
//!
//! `.ci/run` calls exactly `cargo xtask test`.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

const PG_HOST: &str = "127.0.0.1";
const PG_PORT: &str = "5432";
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_WAIT: Duration = Duration::from_secs(30);
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CJK_FONT_PACKAGE: &str = "fonts-wqy-microhei";
/// Debian packages the tests use, with what for.
const TEST_PACKAGES: [(&str, &str); 3] = [
    (CJK_FONT_PACKAGE, "Chinese text in screenshots and PDFs"),
    ("poppler-utils", "reading the certificate PDFs back in tests"),
    ("zbar-tools", "decoding the certificate QR codes in tests"),
];

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [--quick] [<cargo test args>...]
        Make this machine ready (PostgreSQL on 127.0.0.1:5432, Chromium and
        ChromeDriver, the fonts-wqy-microhei CJK font; installed with apt-get
        when running as root), then run, in order:
          cargo fmt --all -- --check
          cargo clippy --workspace --all-targets -- -D warnings
          cargo test --workspace --all-targets [<cargo test args>...]
        --quick skips fmt and clippy. Everything else is passed to cargo test,
        e.g. `cargo xtask test -- --nocapture`.
  help  Print this message.
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => match test(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("xtask: FAILED: {err:#}");
                ExitCode::FAILURE
            }
        },
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown command `{other}`\n");
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

struct TestOptions {
    quick: bool,
    /// Arguments passed through to `cargo test`.
    cargo_test_args: Vec<String>,
}

fn parse_test_args(args: &[String]) -> TestOptions {
    let mut quick = false;
    let mut cargo_test_args = Vec::new();
    let mut after_double_dash = false;
    for arg in args {
        if !after_double_dash && arg == "--quick" {
            quick = true;
            continue;
        }
        if arg == "--" {
            after_double_dash = true;
        }
        cargo_test_args.push(arg.clone());
    }
    TestOptions {
        quick,
        cargo_test_args,
    }
}

fn test(args: &[String]) -> Result<()> {
    let opts = parse_test_args(args);
    let root = repo_root();
    let started = Instant::now();
    let mut apt = Apt::default();

    let mut steps: Vec<&str> = vec!["postgres", "chromium"];
    if !opts.quick {
        steps.extend(["fmt", "clippy"]);
    }
    steps.push("test");
    let total = steps.len();

    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let step_started = Instant::now();
        let result = match *step {
            "postgres" => {
                println!("xtask: [{n}/{total}] postgres: making sure PostgreSQL accepts connections on {PG_HOST}:{PG_PORT}");
                ensure_postgres(&mut apt)
            }
            "chromium" => {
                println!("xtask: [{n}/{total}] chromium: making sure Chromium, ChromeDriver and {CJK_FONT_PACKAGE} are installed");
                ensure_chromium(&mut apt)
            }
            "fmt" => {
                println!("xtask: [{n}/{total}] fmt: cargo fmt --all -- --check");
                cargo(&root, ["fmt", "--all", "--", "--check"], &[])
            }
            "clippy" => {
                println!(
                    "xtask: [{n}/{total}] clippy: cargo clippy --workspace --all-targets -- -D warnings"
                );
                cargo(
                    &root,
                    ["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
                    &[],
                )
            }
            "test" => run_tests(&root, &opts.cargo_test_args, n, total),
            _ => unreachable!("unknown step {step}"),
        };
        let secs = step_started.elapsed().as_secs();
        println!(
            "xtask: [{n}/{total}] {step}: {} in {secs}s",
            if result.is_ok() { "done" } else { "FAILED" }
        );
        result.with_context(|| format!("step `{step}` failed after {secs}s"))?;
    }

    let skipped = if opts.quick {
        " (--quick: fmt and clippy skipped)"
    } else {
        ""
    };
    println!(
        "xtask: all {total} steps passed in {}s{skipped}",
        started.elapsed().as_secs()
    );
    Ok(())
}

/// The workspace root: the parent of this crate's directory.
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

// ---------------------------------------------------------------------------
// Step 5: cargo test

fn run_tests(root: &Path, extra: &[String], n: usize, total: usize) -> Result<()> {
    let pg_url = match env::var("ZHIYUAN_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => PG_URL.to_string(),
    };
    let envs = [
        ("ZHIYUAN_TEST_PG_URL", pg_url.as_str()),
        ("ZHIYUAN_REQUIRE_PG", "1"),
        ("ZHIYUAN_REQUIRE_BROWSER", "1"),
        ("CHROMEDRIVER", CHROMEDRIVER),
        ("CHROMIUM", CHROMIUM),
    ];

    let mut args: Vec<String> = vec!["test".into()];
    // `--workspace` unless the caller picked packages with -p/--package.
    let picks_package = extra
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-p" || a.starts_with("--package") || (a.starts_with("-p") && a.len() > 2));
    if !picks_package {
        args.push("--workspace".into());
    }
    args.push("--all-targets".into());
    args.extend(extra.iter().cloned());

    println!(
        "xtask: [{n}/{total}] test: cargo {} (with {})",
        args.join(" "),
        envs.iter()
            .map(|(k, v)| format!("{k}={}", hide_password(v)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    cargo(root, &args, &envs)
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for printing.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

fn cargo<I, S>(root: &Path, args: I, envs: &[(&str, &str)]) -> Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    // The cargo that runs us (`cargo run` sets $CARGO), so the same toolchain.
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

// ---------------------------------------------------------------------------
// Step 1: PostgreSQL

fn pg_isready() -> bool {
    Command::new("pg_isready")
        .args(["-q", "-h", PG_HOST, "-p", PG_PORT])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Versions under /etc/postgresql that have a `main` cluster, e.g. ["15"].
fn pg_cluster_versions() -> Vec<String> {
    let Ok(entries) = fs::read_dir("/etc/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("main").is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    versions.sort();
    versions
}

fn start_pg_clusters(versions: &[String]) {
    for version in versions {
        println!("xtask:   starting PostgreSQL cluster {version}/main");
        let result =
            run(Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", version, "main", "start"]));
        // Not fatal by itself (it may already be running, e.g. started by the
        // package's postinst); the wait below decides.
        if let Err(err) = result {
            println!("xtask:   warning: {err:#}");
        }
    }
}

/// A freshly installed Debian cluster asks for a password on 127.0.0.1;
/// the tests connect as `postgres` without one.
fn trust_local_postgres(versions: &[String]) -> Result<()> {
    const LINES: &str =
        "# added by cargo xtask test: the test suites connect as postgres without a password\n\
                         host all postgres 127.0.0.1/32 trust\n\
                         host all postgres ::1/128 trust\n";
    for version in versions {
        let path = PathBuf::from(format!("/etc/postgresql/{version}/main/pg_hba.conf"));
        let current = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        if current.contains("added by cargo xtask test") {
            continue;
        }
        println!(
            "xtask:   allowing trust auth for user postgres on localhost in {}",
            path.display()
        );
        fs::write(&path, format!("{LINES}{current}"))
            .with_context(|| format!("writing {}", path.display()))?;
        // Reload in case the package's postinst already started it.
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", version, "main", "reload"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    Ok(())
}

fn ensure_postgres(apt: &mut Apt) -> Result<()> {
    if pg_isready() {
        println!("xtask:   PostgreSQL is already accepting connections");
        return Ok(());
    }
    let versions = pg_cluster_versions();
    if !versions.is_empty() {
        println!(
            "xtask:   PostgreSQL is not running; found cluster(s) for version(s) {}",
            versions.join(", ")
        );
        start_pg_clusters(&versions);
    } else if is_root() {
        println!("xtask:   PostgreSQL is not installed; installing it with apt-get");
        apt.install(&["postgresql"])?;
        let versions = pg_cluster_versions();
        if versions.is_empty() {
            bail!("installed postgresql, but found no cluster under /etc/postgresql/<version>/main");
        }
        trust_local_postgres(&versions)?;
        start_pg_clusters(&versions);
    } else {
        bail!(
            "PostgreSQL is not accepting connections on {PG_HOST}:{PG_PORT}, \
             there is no cluster under /etc/postgresql, and we are not root so \
             cannot install it: run as root, or start PostgreSQL yourself \
             (trust auth for user postgres on {PG_HOST}:{PG_PORT})"
        );
    }

    println!(
        "xtask:   waiting up to {}s for PostgreSQL on {PG_HOST}:{PG_PORT}",
        PG_WAIT.as_secs()
    );
    let deadline = Instant::now() + PG_WAIT;
    loop {
        if pg_isready() {
            println!("xtask:   PostgreSQL is accepting connections");
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "PostgreSQL did not accept connections on {PG_HOST}:{PG_PORT} within {}s \
                 (`pg_isready -h {PG_HOST} -p {PG_PORT}` kept failing; see /var/log/postgresql/)",
                PG_WAIT.as_secs()
            );
        }
        sleep(Duration::from_millis(500));
    }
}

// ---------------------------------------------------------------------------
// Step 2: Chromium, ChromeDriver, CJK font

fn ensure_chromium(apt: &mut Apt) -> Result<()> {
    let have_browser = || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if have_browser() {
        println!("xtask:   {CHROMIUM} and {CHROMEDRIVER} are installed");
    } else if is_root() {
        println!("xtask:   installing chromium, chromium-driver and {CJK_FONT_PACKAGE} with apt-get");
        apt.install(&["chromium", "chromium-driver", CJK_FONT_PACKAGE])?;
        if !have_browser() {
            bail!(
                "installed chromium and chromium-driver, but {CHROMIUM} or {CHROMEDRIVER} is still missing"
            );
        }
    } else {
        bail!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing and we are not root: \
             run as root, or `sudo apt-get install chromium chromium-driver {CJK_FONT_PACKAGE}`"
        );
    }

    for (package, purpose) in TEST_PACKAGES {
        match dpkg_installed(package) {
            Some(true) => println!("xtask:   {package} is installed"),
            Some(false) if is_root() => {
                println!("xtask:   installing {package} with apt-get ({purpose})");
                apt.install(&[package])?;
            }
            Some(false) => bail!(
                "{package} is not installed (needed for {purpose}) and we are not root: `sudo apt-get install {package}`"
            ),
            None => println!("xtask:   warning: dpkg not found; cannot check that {package} is installed"),
        }
    }
    Ok(())
}

/// `Some(installed)`, or `None` when dpkg isn't there.
fn dpkg_installed(package: &str) -> Option<bool> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    Some(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

// ---------------------------------------------------------------------------
// Helpers

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// apt-get with `apt-get update` run at most once per xtask run.
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn install(&mut self, packages: &[&str]) -> Result<()> {
        if !self.updated {
            println!("xtask:   apt-get update");
            run(Self::command().arg("update"))?;
            self.updated = true;
        }
        println!("xtask:   apt-get install -y {}", packages.join(" "));
        run(Self::command().args(["install", "-y"]).args(packages))
    }

    fn command() -> Command {
        let mut cmd = Command::new("apt-get");
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    }
}

/// Runs a command with inherited stdio; an error names the command line.
fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    let status = cmd.status().map_err(|e| anyhow!("could not run `{line}`: {e}"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            hide_password("postgres://u:s3cret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(hide_password(PG_URL), PG_URL);
        assert_eq!(hide_password("/usr/bin/chromium"), "/usr/bin/chromium");
    }

    #[test]
    fn quick_flag_is_ours_and_the_rest_goes_to_cargo_test() {
        let opts = parse_test_args(&strings(&["--quick", "--", "--nocapture", "--quick"]));
        assert!(opts.quick);
        assert_eq!(opts.cargo_test_args, strings(&["--", "--nocapture", "--quick"]));

        let opts = parse_test_args(&strings(&["-p", "zhiyuan-web", "--", "--nocapture"]));
        assert!(!opts.quick);
        assert_eq!(
            opts.cargo_test_args,
            strings(&["-p", "zhiyuan-web", "--", "--nocapture"])
        );
    }
}
