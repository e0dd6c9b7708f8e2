//! Compiles the protocol definitions in `proto/` with protox (a pure-Rust protobuf compiler, so
//! no system `protoc` is needed) and generates the tonic server stubs. The well-known types the
//! protocols import (`google.protobuf.Timestamp` and `Empty`) come with protox and are
//! generated here too, so no `prost-types` dependency is needed. On Linux it also links the
//! executable without position independence (see `main`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/plugin.proto",
        "proto/grpc_stdio.proto",
        "proto/health.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    // On Linux the executable is linked at a fixed address (not position-independent), as Go
    // links Terraform's providers: the loader then has no relocations to apply at each start
    // (26,000 of them, 630 KB of the binary), which was a tenth of the provider's start-up
    // CPU. Address randomisation still applies to the stack, the heap and shared libraries.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .compile_well_known_types(true)
        .compile_fds(descriptors)?;
    Ok(())
}
