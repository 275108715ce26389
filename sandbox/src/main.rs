//! Runs the vendor emulators for rehearsals: see `mfa-sandbox --help`.

use std::process::ExitCode;

use mfa_sandbox::sandbox::{Options, Sandbox, USAGE};
use mfa_sandbox::type_names;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}{}", type_names().join(", "));
        return ExitCode::SUCCESS;
    }
    let opts = match Options::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mfa-sandbox: {e}\n\n{USAGE}{}", type_names().join(", "));
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async {
        let sandbox = match Sandbox::start(&opts).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("mfa-sandbox: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("MFA sandbox running. Emulated vendors:");
        for (t, e) in &sandbox.emulators {
            println!("  {t:<11} {}  (state: {}/_emulator/state)", e.url(), e.url());
        }
        if let Some(ca) = &opts.client_ca {
            println!("Client certificates: demanded in every TLS handshake, signed by the CA in {}", ca.display());
        }
        println!("\nPoint the providers at it with:\n");
        print!("{}", sandbox.env_script());
        if let Some(path) = &opts.env_file
            && let Err(e) = std::fs::write(path, sandbox.env_script())
        {
            eprintln!("mfa-sandbox: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("\nPress Ctrl-C to stop.");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        println!("mfa-sandbox: stopped");
        ExitCode::SUCCESS
    })
}
