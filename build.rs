//! Compiles the protocol definitions in `proto/` with protox (a pure-Rust protobuf compiler, so
//! no system `protoc` is needed) and generates the tonic server stubs. The well-known types the
//! protocols import (`google.protobuf.Timestamp` and `Empty`) come with protox and are
//! generated here too, so no `prost-types` dependency is needed.

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
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .compile_well_known_types(true)
        .compile_fds(descriptors)?;
    Ok(())
}
