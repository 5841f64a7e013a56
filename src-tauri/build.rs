fn main() {
    // The UI is embedded in the binary: a new build of it is a new binary.
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build();
}
