//! The plugin binary. Terraform runs it as `terraform-provider-<type>[_vX.Y.Z]`; the name picks
//! which vendor's provider to serve.

use std::process::ExitCode;

use mfa_providers::plugin::{logging, serve};
use mfa_providers::{SOURCE_NAMESPACE, provider_type_from_exe, vendors};

fn usage(exe: &str) -> String {
    format!(
        "usage: {exe} [--debug] [--version]\n\
         Terraform starts this plugin itself. --debug serves it for a Terraform you attach with TF_REATTACH_PROVIDERS."
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args();
    let exe = args.next().unwrap_or_default();
    let mut debug = false;
    for a in args {
        match a.as_str() {
            "--debug" => debug = true,
            "--version" | "-v" => {
                println!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            // For packaging scripts: the provider types this binary serves, one per line.
            "--provider-types" => {
                println!("{}", vendors::type_names().join("\n"));
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                println!("{}", usage(&exe));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{}", usage(&exe));
                return ExitCode::from(2);
            }
        }
    }
    let ty = provider_type_from_exe(&exe);
    let Some(vendor) = ty.and_then(vendors::find) else {
        eprintln!(
            "This plugin serves the provider named by its file name, terraform-provider-<type>[_vX.Y.Z], where <type> is one of: {}. \
             This copy is named {:?}; install it under one of those names (see README).",
            vendors::type_names().join(", "),
            exe.rsplit('/').next().unwrap_or(&exe)
        );
        return ExitCode::FAILURE;
    };
    logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = serve::ServeOptions {
        provider: (vendor.provider)(),
        debug,
        source_address: format!("registry.terraform.io/{SOURCE_NAMESPACE}/{}", vendor.type_name),
    };
    match runtime.block_on(serve::serve(opts)) {
        Ok(()) => {
            // Don't wait for lingering tasks (idle streams, pooled connections): Terraform waits on us.
            runtime.shutdown_background();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
