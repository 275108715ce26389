//! Compiles the protocol definitions with protox (a pure-Rust protobuf compiler), so building the
//! provider never needs a system `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["proto/tfplugin5.proto", "proto/plugin.proto"];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        // The client stubs are used by the integration tests that talk to the plugin directly.
        .build_client(true)
        // ...over a channel the tests build themselves; the plugin itself needs no client transport.
        .build_transport(false)
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
